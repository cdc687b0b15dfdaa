"""Simulated citizens holding whole WhatsApp conversations through the signed webhook.

Each citizen writes to a municipality's WhatsApp number (the ``To`` of the catalogue)
like Twilio would deliver it: a form POST signed with ``X-Twilio-Signature``
(twilio's RequestValidator). The replies reach a local Twilio stand-in
(bot/app/devtools/standins.py), which stamps each one with its arrival time.

Script of one conversation (11 turns): greeting, a procedure question (cost of a
certificate), a guided request (retiro de voluminosos) field by field up to its
folio, and a status lookup with the folio received.

When a turn ends: a *warm-up* pass holds one conversation per municipality, turn by
turn, and counts the replies of each turn once no new reply came for
``QUIET_SECONDS``. Under load a turn ends when that many replies have arrived; its
latency runs from sending the webhook to the arrival of its last expected reply at
the stand-in. The citizen then sends the next message at once (closed loop: the
throughput is the capacity), or with ``think_seconds`` after a pause of 0.5-1.5 times
that, the citizens starting at random instants within the first pause.

A turn without all its replies after ``TURN_TIMEOUT_SECONDS`` counts its missing
replies as *lost*. After the last turn the generator waits ``QUIET_SECONDS`` more;
then each turn's window (from its send to the next send) is checked: a body that
appears twice in one window is *duplicated*, replies beyond the expected count are
*unexpected*. *Errors* are webhook answers other than 200, failed requests, and the
channel's apology ("Tuvimos un problema…"), which it sends when a turn failed.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

from bot.app.devtools.standins import TwilioStandIn

QUIET_SECONDS = 1.5
TURN_TIMEOUT_SECONDS = 30.0
APOLOGY = "Tuvimos un problema, intenta de nuevo en unos minutos."
FOLIO = re.compile(r"\b([A-Z]{3}-[2-9A-Z]{6})\b")

FIRST_NAMES = ("Juana", "Pedro", "María", "José", "Camila", "Luis", "Valentina", "Jorge", "Francisca", "Diego")
LAST_NAMES = ("Pérez", "González", "Muñoz", "Rojas", "Díaz", "Soto", "Contreras", "Silva", "Morales", "Sepúlveda")


def rut_for(index: int) -> str:
    """A valid, distinct RUT (``12.345.678-5`` style) for citizen ``index``."""
    from stdnum.cl import rut

    number = str(10_000_000 + index * 37)
    digits = f"{int(number):,}".replace(",", ".")
    return f"{digits}-{rut.calc_check_digit(number)}"


def phone_for(index: int) -> str:
    """A distinct Chilean mobile number in E.164 (``+569…``)."""
    return f"+569{60_000_000 + index:08d}"


def percentile(values: List[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


@dataclass
class Citizen:
    """One simulated citizen: who writes, to which municipality, and what."""

    index: int
    to: str  # municipality's WhatsApp number, E.164
    code: str  # municipality's folio code (PEN, ANG…), for the plain bot's made-up folio
    number: str = ""
    name: str = ""
    rut: str = ""
    same_as: Optional["Citizen"] = None  # say exactly what this citizen says (plain bot: same replies each time)

    def __post_init__(self) -> None:
        self.number = self.number or phone_for(self.index)
        self.name = self.name or (
            f"{FIRST_NAMES[self.index % 10]} {LAST_NAMES[(self.index // 10) % 10]} {LAST_NAMES[(self.index + 3) % 10]}"
        )
        self.rut = self.rut or rut_for(self.index)

    def script(self) -> List[str]:
        """The messages of the conversation; ``{folio}`` is filled in with the folio received."""
        if self.same_as is not None:
            return self.same_as.script()
        contact = f"{50_000_000 + self.index:08d}"  # the contact phone the form asks for: 9 XXXX XXXX
        return [
            "hola",
            "cuanto cuesta el certificado de residencia",
            "quiero pedir el retiro de un colchon",
            self.name,
            self.rut,
            f"pasaje los aromos {1000 + self.index % 9000}",
            f"9 {contact[:4]} {contact[4:]}",
            "un colchon de dos plazas y un sillon",
            "omitir",
            "si",
            "en que va mi solicitud {folio}",
        ]


@dataclass
class TurnResult:
    conversation: int
    turn: int
    sent_at: float
    latency_ms: Optional[float] = None  # None: lost
    expected: int = 0
    received: int = 0
    duplicated: int = 0
    unexpected: int = 0
    error: Optional[str] = None


@dataclass
class LoadResult:
    """Figures of one load run."""

    conversations: int
    concurrency: int
    turns: List[TurnResult] = field(default_factory=list)
    wall_seconds: float = 0.0
    folios: int = 0
    status_with_folio: int = 0
    expected_replies: Dict[str, List[int]] = field(default_factory=dict)
    inboxes: Optional["Inboxes"] = None  # every reply by citizen number (to look at a run)
    warmup_apologies: int = 0

    def summary(self) -> Dict[str, Any]:

        latencies = [t.latency_ms for t in self.turns if t.latency_ms is not None]
        done = sum(1 for t in self.turns if not t.error and t.received >= t.expected)
        return {
            "conversations": self.conversations,
            "concurrency": self.concurrency,
            "turns": len(self.turns),
            "turns_completed": done,
            "wall_seconds": round(self.wall_seconds, 2),
            "turns_per_second": round(done / self.wall_seconds, 2) if self.wall_seconds else 0.0,
            "latency_p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
            "latency_p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
            "latency_p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
            "latency_max_ms": round(max(latencies), 1) if latencies else None,
            "errors": sum(1 for t in self.turns if t.error),
            "warmup_errors": self.warmup_apologies,
            "lost_replies": sum(max(0, t.expected - t.received) for t in self.turns),
            "duplicated_replies": sum(t.duplicated for t in self.turns),
            "unexpected_replies": sum(t.unexpected for t in self.turns),
            "folios": self.folios,
            "status_with_folio": self.status_with_folio,
            "error_samples": sorted({t.error for t in self.turns if t.error})[:5],
        }


class Inboxes:
    """Replies captured by the Twilio stand-in, per citizen, with arrival times (event-loop side)."""

    def __init__(self, twilio: TwilioStandIn, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.replies: Dict[str, List[Tuple[float, str]]] = {}
        self.events: Dict[str, asyncio.Event] = {}
        self.close = twilio.on_record(self._from_thread)

    def _from_thread(self, entry: Dict[str, Any]) -> None:
        if "sid" in entry:  # a delivered message (failures the stand-in was told to return are not replies)
            self.loop.call_soon_threadsafe(self._deliver, entry)

    def _deliver(self, entry: Dict[str, Any]) -> None:
        to = str(entry.get("To", "")).split(":", 1)[-1]
        self.replies.setdefault(to, []).append((entry["received_at"], entry.get("Body") or ""))
        event = self.events.get(to)
        if event is not None:
            event.set()

    def of(self, number: str) -> List[Tuple[float, str]]:
        return self.replies.setdefault(number, [])

    async def wait_count(self, number: str, count: int, timeout: float) -> bool:
        """Wait until ``number`` has at least ``count`` replies; False on timeout."""
        deadline = time.monotonic() + timeout
        event = self.events.setdefault(number, asyncio.Event())
        while len(self.of(number)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                return len(self.of(number)) >= count
        return True

    async def wait_quiet(self, number: str, start: int, quiet: float, timeout: float) -> int:
        """Wait until no reply came for ``quiet`` seconds (after at least one, or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.of(number)
            last = replies[-1][0] if len(replies) > start else None
            if last is not None and time.monotonic() - last >= quiet:
                break
            await asyncio.sleep(0.05)
        return len(self.of(number)) - start


class Webhook:
    """Posts WhatsApp messages to the assistant the way Twilio does."""

    def __init__(self, url: str, auth_token: str, public_url: str, account_sid: str) -> None:
        self.url = url
        self.public_url = public_url
        self.account_sid = account_sid
        self.validator = RequestValidator(auth_token)
        self.session: Optional[aiohttp.ClientSession] = None

    async def __aenter__(self) -> "Webhook":
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=30)
        )
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.session is not None:
            await self.session.close()

    async def send(self, citizen: Citizen, body: str) -> Optional[str]:
        """POST one message; returns an error description or None."""
        params = {
            "SmsMessageSid": "",
            "NumMedia": "0",
            "ProfileName": citizen.name.split()[0],
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": self.account_sid,
            "From": f"whatsapp:{citizen.number}",
            "To": f"whatsapp:{citizen.to}",
            "Body": body,
            "WaId": citizen.number.lstrip("+"),
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        params["SmsMessageSid"] = params["MessageSid"]
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.public_url, params),
        }
        assert self.session is not None
        try:
            async with self.session.post(self.url, data=urlencode(params), headers=headers) as response:
                await response.read()
                if response.status != 200:
                    return f"webhook {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return f"webhook {type(exc).__name__}"
        return None


def _fill(text: str, folio: Optional[str], citizen: Citizen) -> str:
    return text.replace("{folio}", folio or f"{citizen.code}-BNCH22")


async def warm_up(webhook: Webhook, inboxes: Inboxes, citizens: Sequence[Citizen]) -> Dict[str, List[int]]:
    """One conversation per municipality, turn by turn: how many replies each turn gets."""

    async def one(citizen: Citizen) -> List[int]:
        counts, folio = [], None
        for text in citizen.script():
            start = len(inboxes.of(citizen.number))
            error = await webhook.send(citizen, _fill(text, folio, citizen))
            if error:
                raise RuntimeError(f"calentamiento: {error}")
            counts.append(await inboxes.wait_quiet(citizen.number, start, QUIET_SECONDS, TURN_TIMEOUT_SECONDS))
            found = FOLIO.findall("\n".join(b for _, b in inboxes.of(citizen.number)[start:]))
            if found and folio is None and "{folio}" not in text:
                folio = found[-1]
        return counts

    results = await asyncio.gather(*(one(c) for c in citizens))
    return {c.to: counts for c, counts in zip(citizens, results, strict=False)}


async def converse(
    webhook: Webhook, inboxes: Inboxes, citizen: Citizen, expected: List[int], think_seconds: float, result: LoadResult
) -> None:
    """One whole conversation under load."""
    folio: Optional[str] = None
    turns: List[Tuple[TurnResult, int]] = []
    script = citizen.script()
    for number, text in enumerate(script):
        replies = inboxes.of(citizen.number)
        start = len(replies)
        turn = TurnResult(citizen.index, number, time.monotonic(), expected=expected[number])
        turn.error = await webhook.send(citizen, _fill(text, folio, citizen))
        turns.append((turn, start))
        result.turns.append(turn)
        if turn.error is None:
            if await inboxes.wait_count(citizen.number, start + turn.expected, TURN_TIMEOUT_SECONDS):
                if turn.expected:
                    turn.latency_ms = (replies[start + turn.expected - 1][0] - turn.sent_at) * 1000
                else:  # a turn without replies has no end to time: wait as the warm-up did
                    await asyncio.sleep(QUIET_SECONDS)
        window = "\n".join(b for _, b in replies[start:])
        if "{folio}" in text:
            if folio and folio in window:
                result.status_with_folio += 1
        elif folio is None:
            found = FOLIO.findall(window)
            if found:
                folio = found[-1]
                result.folios += 1
        if think_seconds:  # a citizen reads and types: between half and one and a half times the pause
            await asyncio.sleep(think_seconds * random.uniform(0.5, 1.5))
    await asyncio.sleep(QUIET_SECONDS)
    replies = inboxes.of(citizen.number)
    for position, (turn, start) in enumerate(turns):
        end = turns[position + 1][1] if position + 1 < len(turns) else len(replies)
        bodies = [body for _, body in replies[start:end]]
        turn.received = min(len(bodies), turn.expected)
        turn.duplicated = len(bodies) - len(set(bodies))
        turn.unexpected = max(0, len(bodies) - turn.expected)
        if APOLOGY in bodies and not turn.error:
            turn.error = "disculpa del canal (turno fallido)"


async def run_load(
    webhook_url: str,
    twilio: TwilioStandIn,
    auth_token: str,
    public_url: str,
    account_sid: str,
    municipalities: Sequence[Tuple[str, str]],
    concurrency: int,
    conversations: int,
    think_seconds: float = 0.0,
    first_index: int = 0,
    same_script: bool = False,
) -> LoadResult:
    """Warm up, then ``conversations`` conversations, ``concurrency`` at a time (closed loop).

    ``municipalities``: (WhatsApp number, folio code) pairs; citizens are spread over them.
    ``same_script``: every citizen (warm-up included) sends the texts of the first citizen, for a
    bot whose number of replies depends on the words, like ``rasa init``'s, whose intents do not fit.
    """
    loop = asyncio.get_running_loop()
    inboxes = Inboxes(twilio, loop)
    result = LoadResult(conversations, concurrency, inboxes=inboxes)
    try:
        async with Webhook(webhook_url, auth_token, public_url, account_sid) as webhook:
            await _run(
                webhook,
                inboxes,
                result,
                municipalities,
                concurrency,
                conversations,
                think_seconds,
                first_index,
                same_script,
            )
    finally:
        inboxes.close()
    return result


async def _run(
    webhook: Webhook,
    inboxes: Inboxes,
    result: LoadResult,
    municipalities: Sequence[Tuple[str, str]],
    concurrency: int,
    conversations: int,
    think_seconds: float,
    first_index: int,
    same_script: bool,
) -> None:
    template = Citizen(first_index, *municipalities[0]) if same_script else None
    warm = [Citizen(first_index + i, to, code, same_as=template) for i, (to, code) in enumerate(municipalities)]
    result.expected_replies = await warm_up(webhook, inboxes, warm)
    result.warmup_apologies = sum(body == APOLOGY for c in warm for _, body in inboxes.of(c.number))
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(conversations):
        to, code = municipalities[i % len(municipalities)]
        queue.put_nowait(Citizen(first_index + len(municipalities) + i, to, code, same_as=template))

    async def worker() -> None:
        if think_seconds:  # citizens do not all write at the same instant
            await asyncio.sleep(random.uniform(0, think_seconds))
        while not queue.empty():
            citizen = queue.get_nowait()
            await converse(webhook, inboxes, citizen, result.expected_replies[citizen.to], think_seconds, result)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    # Wall time of the load: up to the last turn's last reply (not the final quiet wait).
    ends = [t.sent_at + (t.latency_ms or 0) / 1000 for t in result.turns]
    result.wall_seconds = max(ends) - started if ends else 0.0

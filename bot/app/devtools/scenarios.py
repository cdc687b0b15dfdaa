"""Multi-turn scenarios: citizens' whole conversations, checked turn by turn (``make eval``).

A scenario (eval/scenarios.yml, written apart from the training data and never used
for training) says which channel and municipality the citizen writes to, what they
type or which option they press at each turn, and facts the reply must (or must not)
hold. What the citizen types may hold "{folio}" (or "{folio_suelto}", as typed: "pen 4xk7m2"): the
last folio the assistant gave in that scenario, to ask how that very request goes. The runner starts
the assistant as ``python -m bot run`` with WhatsApp and Telegram pointed at local stand-ins
(bot/app/devtools/standins.py), writes through the signed webhooks as Twilio and Telegram would, and
reads the replies the stand-ins receive: the path a citizen's message really takes.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from twilio.request_validator import RequestValidator

from bot.forms.fields import option_number
from bot.text import normalise

QUIET_SECONDS = 1.5  # a turn is over when no reply came for this long after the first one
TURN_TIMEOUT_SECONDS = 40
FOLIO = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{6}\b")
_NUMBERED = re.compile(r"^\s*(\d{1,2})\.\s+(.+?)\s*$", re.MULTILINE)
TELEGRAM_SECRET = "secreto-de-los-escenarios"
TWILIO_TOKEN = "token-de-los-escenarios"
TWILIO_SID = "ACescenarios00000000000000000000"
PUBLIC_URL = "https://asistente.escenarios.local/webhooks/whatsapp/webhook"


def load_scenarios(path: str | Path) -> List[Dict[str, Any]]:
    """The scenarios of a file, checked for the shape the runner needs (``ValueError`` otherwise)."""
    with open(path, encoding="utf-8") as handle:
        scenarios = (yaml.safe_load(handle) or {}).get("scenarios") or []
    for scenario in scenarios:
        if scenario.get("canal") not in ("whatsapp", "telegram"):
            raise ValueError(f"{scenario.get('id')}: canal debe ser whatsapp o telegram")
        for turn in scenario.get("turnos") or []:
            if ("dice" in turn) == ("boton" in turn):
                raise ValueError(f"{scenario.get('id')}: cada turno tiene 'dice' o 'boton'")
    return scenarios


@dataclass
class Reply:
    """What the assistant sent in one turn: its texts and the options it offered."""

    texts: List[str] = field(default_factory=list)
    options: List[Dict[str, str]] = field(default_factory=list)  # {"title", "answer"}: what to send to choose it

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def check(expected: Dict[str, Any], reply: Reply) -> List[str]:
    """The facts of ``expected`` that ``reply`` does not hold (empty: the turn passes)."""
    # What the citizen sees: the texts and, on Telegram, the titles of the buttons under them.
    seen = "\n".join([reply.text, *(o["title"] for o in reply.options)])
    said = normalise(seen)

    def holds(fact: Any) -> bool:
        # A fact made only of punctuation ("{") is looked for as written: normalised it would be empty.
        norm = normalise(str(fact))
        return norm in said if norm else str(fact) in seen

    problems = []
    for fact in expected.get("contiene") or []:
        if not holds(fact):
            problems.append(f"falta «{fact}»")
    anyone = expected.get("alguno") or []
    if anyone and not any(holds(fact) for fact in anyone):
        problems.append(f"falta alguno de {anyone}")
    for fact in expected.get("no_contiene") or []:
        if holds(fact):
            problems.append(f"sobra «{fact}»")
    if "folio" in expected and bool(FOLIO.search(reply.text)) != bool(expected["folio"]):
        problems.append("falta el folio" if expected["folio"] else "no debía dar folio")
    titles = [normalise(o["title"]) for o in reply.options]
    for option in expected.get("opciones") or []:
        if not any(normalise(str(option)) in title for title in titles):
            problems.append(f"falta la opción «{option}»")
    return problems


class Channels:
    """Writes to the assistant as Twilio and Telegram do, and reads what it sends back."""

    def __init__(self, base: str, twilio: Any, telegram: Any, catalogue: Any, telegram_tokens: Dict[str, str]) -> None:
        from channels.telegram_api import TelegramSettings

        self.base, self.twilio, self.telegram, self.catalogue = base, twilio, telegram, catalogue
        self.tokens = telegram_tokens
        self.settings = TelegramSettings.from_values(
            ",".join(f"{k}={v}" for k, v in telegram_tokens.items()), TELEGRAM_SECRET, ""
        )
        self.validator = RequestValidator(TWILIO_TOKEN)

    def _post(self, path: str, data: bytes, headers: Dict[str, str]) -> int:
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def whatsapp(self, municipio: str, citizen: str, text: str) -> int:
        number = self.catalogue.municipalities[municipio].whatsapp_numbers[0]
        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": TWILIO_SID,
            "From": f"whatsapp:{citizen}",
            "To": f"whatsapp:{number}",
            "Body": text,
            "NumMedia": "0",
            "ProfileName": "Vecina",
        }
        signature = self.validator.compute_signature(PUBLIC_URL, form)
        return self._post(
            "/webhooks/whatsapp/webhook",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        )

    def telegram_update(self, municipio: str, update: Dict[str, Any]) -> int:
        return self._post(
            "/webhooks/telegram/webhook",
            json.dumps(update).encode(),
            {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": self.settings.secret_for(municipio),
            },
        )

    def sent_whatsapp(self, citizen: str) -> List[Dict[str, Any]]:
        return self.twilio.matching(lambda r: r.get("To") == f"whatsapp:{citizen}" and "sid" in r)

    def sent_telegram(self, municipio: str, chat: int) -> List[Dict[str, Any]]:
        token = self.tokens[municipio]
        return self.telegram.matching(
            lambda r: (
                r.get("method") == "sendMessage" and r.get("token") == token and str(r.get("chat_id")) == str(chat)
            )
        )


def _replies_after(read, seen: int) -> List[Dict[str, Any]]:
    """Wait for the turn's replies: the first one, then QUIET_SECONDS without another."""
    deadline = time.monotonic() + TURN_TIMEOUT_SECONDS
    count, changed = seen, time.monotonic()
    while time.monotonic() < deadline:
        current = read()
        if len(current) != count:
            count, changed = len(current), time.monotonic()
        elif count > seen and time.monotonic() - changed >= QUIET_SECONDS:
            break
        time.sleep(0.1)
    return read()[seen:]


def _whatsapp_reply(records: List[Dict[str, Any]]) -> Reply:
    reply = Reply([r.get("Body", "") for r in records])
    if reply.texts:  # options are the numbered list of the last message that has one
        for text in reversed(reply.texts):
            found = _NUMBERED.findall(text)
            if found:
                reply.options = [{"title": title, "answer": number} for number, title in found]
                break
    return reply


def _telegram_reply(records: List[Dict[str, Any]]) -> Reply:
    reply = Reply([r.get("text", "") for r in records])
    for record in reversed(records):
        keyboard = (record.get("reply_markup") or {}).get("inline_keyboard")
        if keyboard:
            reply.options = [{"title": b["text"], "answer": b["callback_data"]} for row in keyboard for b in row]
            break
    return reply


def _chosen(reply: Optional[Reply], title: str) -> Optional[Dict[str, str]]:
    """The option pressed: by its title, or by its place among those offered ("2": the second button)."""
    wanted = normalise(title)
    options = reply.options if reply else []
    if wanted.isdigit() and not any(normalise(o["title"]) == wanted for o in options):
        place = option_number(wanted, len(options))
        return options[place - 1] if place else None
    return next((o for o in options if normalise(o["title"]) == wanted), None) or next(
        (o for o in options if wanted in normalise(o["title"])), None
    )


def with_folio(said: Optional[str], folio: str) -> Optional[str]:
    """What the citizen says with the folio given earlier written in: "{folio}" as given ("PEN-4XK7M2"),
    "{folio_suelto}" as a citizen may type it ("pen 4xk7m2"); unchanged when no folio was given yet."""
    if said is None or not folio:
        return said
    return said.replace("{folio}", folio).replace("{folio_suelto}", folio.lower().replace("-", " "))


def run_scenario(channels: Channels, scenario: Dict[str, Any]) -> Dict[str, Any]:
    """Play one scenario; returns its turns with the replies and the problems found."""
    municipio, canal = scenario["municipio"], scenario["canal"]
    citizen = "+5699" + str(uuid.uuid4().int)[:7]
    chat = int(uuid.uuid4().int % 10**9) + 10**9
    previous: Optional[Reply] = None
    folio = ""  # the last folio the assistant gave in this scenario: "{folio}" in what the citizen says
    turns = []
    for number, turn in enumerate(scenario.get("turnos") or [], 1):
        said = with_folio(turn.get("dice"), folio)
        problems: List[str] = []
        if canal == "whatsapp":
            seen = len(channels.sent_whatsapp(citizen))
            if said is None:
                option = _chosen(previous, str(turn["boton"]))
                said = option["answer"] if option else str(turn["boton"])
                if option is None:
                    problems.append(f"no se ofreció la opción «{turn['boton']}»")
            channels.whatsapp(municipio, citizen, str(said))
            reply = _whatsapp_reply(_replies_after(lambda: channels.sent_whatsapp(citizen), seen))
        else:
            seen = len(channels.sent_telegram(municipio, chat))
            sender = {"id": chat, "is_bot": False, "first_name": "Vecina"}
            message = {
                "message_id": number,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "from": sender,
            }
            update: Dict[str, Any] = {"update_id": int(uuid.uuid4().int % 10**9)}
            if said is not None:
                update["message"] = {**message, "text": str(said)}
            else:
                option = _chosen(previous, str(turn["boton"]))
                if option is None:
                    problems.append(f"no se ofreció la opción «{turn['boton']}»")
                    update["message"] = {**message, "text": str(turn["boton"])}
                else:
                    update["callback_query"] = {
                        "id": f"cb-{uuid.uuid4().hex[:8]}",
                        "chat_instance": "e",
                        "data": option["answer"],
                        "from": sender,
                        "message": message,
                    }
            channels.telegram_update(municipio, update)
            reply = _telegram_reply(_replies_after(lambda: channels.sent_telegram(municipio, chat), seen))
        given = FOLIO.findall(reply.text)
        folio = given[-1] if given else folio
        if "espera" in turn:
            problems += check(turn.get("espera") or {}, reply)
        turns.append(
            {
                "dice": said if turn.get("dice") is not None else None,
                "boton": turn.get("boton"),
                "respuesta": reply.text,
                "opciones": [o["title"] for o in reply.options],
                "revisado": "espera" in turn,
                "problemas": problems,
            }
        )
        previous = reply
    return {
        "id": scenario.get("id"),
        "clase": scenario.get("clase"),
        "canal": canal,
        "municipio": municipio,
        "paso": all(not t["problemas"] for t in turns),
        "turnos": turns,
    }


def summarise(results: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Pass rates of scenarios and of checked turns, overall and per class."""
    checked = [t for r in results for t in r["turnos"] if t["revisado"] or t["problemas"]]
    classes: Dict[str, List[bool]] = {}
    for result in results:
        classes.setdefault(result["clase"] or "?", []).append(result["paso"])
    return {
        "scenarios": len(results),
        "scenario_pass_rate": sum(r["paso"] for r in results) / len(results) if results else 0.0,
        "turns": len(checked),
        "turn_pass_rate": sum(not t["problemas"] for t in checked) / len(checked) if checked else 0.0,
        "by_class": {name: {"scenarios": len(v), "passed": sum(v)} for name, v in sorted(classes.items())},
    }


def run_all(scenarios_path: str, report: str, workers: int = 4) -> Dict[str, Any]:
    """Start the assistant with the stand-ins, play every scenario, print and save the report."""
    from bot.app.devtools.processes import start_assistant
    from bot.app.devtools.standins import TelegramStandIn, TwilioStandIn
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir, var_dir

    scenarios = load_scenarios(scenarios_path)
    catalogue = load_catalogue(catalogue_dir())
    tokens = {slug: f"{7000 + i}:ESCENARIOS{i}" for i, slug in enumerate(sorted(catalogue.municipalities))}
    twilio, telegram = TwilioStandIn().start(), TelegramStandIn().start()
    env = {
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "WHATSAPP_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": twilio.url,
        "TELEGRAM_BOT_TOKENS": ",".join(f"{k}={v}" for k, v in tokens.items()),
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "NOTIFY_DISABLED": "1",
    }
    var = var_dir() / "scenarios" / uuid.uuid4().hex[:8]
    print(f"Iniciando el asistente para {len(scenarios)} escenarios (registro en {var}/assistant.log)…", flush=True)
    running = start_assistant(var, None, env)
    try:
        channels = Channels(running.base, twilio, telegram, catalogue, tokens)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda s: run_scenario(channels, s), scenarios))
    finally:
        running.stop()
        twilio.stop()
        telegram.stop()
    summary = summarise(results)
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps({**summary, "results": results}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"Escenarios de varias vueltas: {summary['scenarios']} ({scenarios_path})")
    print(f"scenario_pass_rate   {summary['scenario_pass_rate']:.3f}")
    print(f"turn_pass_rate       {summary['turn_pass_rate']:.3f}  ({summary['turns']} turnos revisados)")
    for name, counts in summary["by_class"].items():
        print(f"  {name:22s} {counts['passed']:3d} / {counts['scenarios']}")
    for result in results:
        if not result["paso"]:
            bad = next(t for t in result["turnos"] if t["problemas"])
            print(f"  ✗ {result['id']}: «{bad['dice'] or bad['boton']}» → {'; '.join(bad['problemas'])}")
    print(f"Detalle: {report}")
    return summary

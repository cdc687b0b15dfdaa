"""The durable inbox: every incoming message is stored before the webhook is answered.

Then it is processed once, in arrival order per conversation, by whichever worker
(or replica) holds the conversation's lock:

1. ``accept`` stores the message (``pendiente``); a retried webhook is recognised by
   its (channel, message id) and dropped.
2. ``drain`` takes the conversation's lock and handles its open messages by ``id``
   order. A message is ``procesando`` while handled, ``listo`` after; its payload
   (what the citizen wrote) is cleared then.
3. If handling fails (the channel's API is down, the assistant is not ready), the
   message goes back to ``pendiente`` (with the replies the channel did not take, so
   the turn is not run twice) and the conversation waits: ``sweep`` (every
   ``SWEEP_SECONDS`` in each replica) retries it after ``INBOX_RETRY_SECONDS``, and also picks up messages a
   stopped replica left behind. After ``GIVE_UP_AFTER`` it is ``fallido`` and logged.
4. A poison message never blocks its conversation twice: one claimed ``MAX_ATTEMPTS``
   times without finishing (each claim counts, so a turn that froze the process and was
   picked up again after the restart counts too), one that failed ``MAX_ATTEMPTS`` times
   with an unexpected error, or one whose turn ran past the turn timeout (``GiveUp``) is
   ``fallido``: logged at ERROR and the citizen gets ``APOLOGY`` once, through the channel's
   handler as a kept reply, then the conversation goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.answers.channel import APOLOGY
from bot.config import settings
from bot.runtime import database, run_blocking
from bot.storage.tables import InboundMessageRow, utcnow
from channels.locks import ConversationLocks
from channels.replies import UndeliveredReplies

logger = logging.getLogger(__name__)


# A message waiting this long (its worker failed or stopped) is retried by any replica.
RETRY_AFTER = timedelta(seconds=settings().inbox_retry_seconds)
SWEEP_SECONDS = min(10.0, RETRY_AFTER.total_seconds() / 2)
GIVE_UP_AFTER = timedelta(hours=1)
NOT_READY_RETRY_SECONDS = 2.0
PENDING_REPLIES = "respuestas_pendientes"
GIVEN_UP = "abandonado"  # payload flag: the message is given up, its pending reply is the apology
# Claims of a turn that never finished, or unexpected errors; a channel or the assistant being down
# (replies kept for later, the model loading) is retried until GIVE_UP_AFTER.
MAX_ATTEMPTS = 3
OPEN = ("pendiente", "procesando")
# Messages this process finished, by channel (a Rasa worker's health shows them: bot/app/rasa_worker.py).
HANDLED: Counter = Counter()


class NotReady(RuntimeError):
    """The assistant cannot handle messages yet (model loading): keep the message for later."""


class InboxUnavailable(RuntimeError):
    """The database did not take the message."""


class GiveUp(RuntimeError):
    """The message must not be tried again (its turn ran too long); the citizen was already told."""


class Message:
    """An open message handed to the channel: its conversation, payload and attempt number."""

    def __init__(
        self, message_id: str, sender_id: str, payload: Dict[str, Any], attempts: int = 1, row_id: Optional[int] = None
    ) -> None:
        self.id = row_id
        self.message_id = message_id
        self.sender_id = sender_id
        self.payload = dict(payload or {})
        self.attempts = attempts
        self.newly_given_up = False  # set by the claim that gave it up (to log it once)

    @classmethod
    def from_row(cls, row: InboundMessageRow) -> "Message":
        """The message held by an inbox row."""
        return cls(row.message_id, row.sender_id, row.payload or {}, row.attempts, row.id)

    @property
    def pending_replies(self) -> List[Dict[str, Any]]:
        """Replies of an earlier attempt that the channel did not take, to deliver as they are."""
        return list(self.payload.get(PENDING_REPLIES) or [])

    @property
    def given_up(self) -> bool:
        """Whether the inbox gave this message up (what is left is delivering the apology)."""
        return bool(self.payload.get(GIVEN_UP))

    @property
    def retried(self) -> bool:
        """Whether an earlier attempt started handling this message."""
        return self.attempts > 1


Handler = Callable[[Message], Awaitable[None]]


class Inbox:
    """The inbox of one channel."""

    def __init__(self, channel: str, handle: Handler, locks: Optional[ConversationLocks] = None) -> None:
        self.channel = channel
        self._handle = handle
        self._locks = locks or ConversationLocks.from_env()
        self._tasks: Set[asyncio.Task] = set()
        self._sweeper: Optional[asyncio.Task] = None
        self.app: Any = None  # the Sanic app of the Rasa server, once known (its ``ctx.agent`` runs turns)

    def bind(self, blueprint: Any) -> None:
        """Sweep while the server runs: start after it starts, stop before it stops."""

        @blueprint.listener("after_server_start")
        async def start_sweeper(app: Any, _loop: Any) -> None:
            self.app = app
            self.start_sweeper()

        @blueprint.listener("before_server_stop")
        async def stop_sweeper(_app: Any, _loop: Any) -> None:
            await self.stop()

    # ---- intake ----------------------------------------------------------------------

    async def accept(self, message_id: str, sender_id: str, payload: Dict[str, Any]) -> bool:
        """Store a new message and schedule its conversation; ``False`` for a retry already stored.

        Raises ``InboxUnavailable`` when the database cannot store it.
        """
        try:
            stored = await run_blocking(_store, self.channel, message_id, sender_id, payload)
        except Exception as exc:
            raise InboxUnavailable(str(exc)) from exc
        if stored:
            self.schedule(sender_id)
        return stored

    def handle_unstored(self, message_id: str, sender_id: str, payload: Dict[str, Any]) -> asyncio.Task:
        """Handle a message the database could not store, now and only once (best effort)."""

        async def work() -> None:
            try:
                async with self._locks.hold(f"{self.channel}:{sender_id}"):
                    await self._handle(Message(message_id, sender_id, payload))
            except Exception:
                logger.exception("%s: se perdió el mensaje %s de %s", self.channel, message_id, sender_id)

        return self._track(asyncio.get_running_loop().create_task(work()))

    def schedule(self, sender_id: str) -> asyncio.Task:
        """Handle the conversation's open messages in the background."""
        return self._track(asyncio.get_running_loop().create_task(self.drain(sender_id)))

    def _track(self, task: asyncio.Task) -> asyncio.Task:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- processing ------------------------------------------------------------------

    async def drain(self, sender_id: str) -> None:
        """Handle the conversation's open messages in order, until none is left or one must wait."""
        try:
            while True:
                async with self._locks.hold(f"{self.channel}:{sender_id}"):
                    message = await run_blocking(_claim_next, self.channel, sender_id)
                    if message is None:
                        return
                    if not await self._process(message):
                        return
        except Exception:
            logger.exception("%s: no se pudo procesar la conversación %s; se reintentará", self.channel, sender_id)

    async def _process(self, message: Message) -> bool:
        """Handle one claimed message; whether to go on with the conversation's next one (``False``: this one
        must wait for a later attempt, or nothing else is open)."""
        if message.newly_given_up:
            logger.error(
                "%s: el mensaje %s quedó fallido: se tomó %d veces sin terminar; se envía una disculpa",
                self.channel,
                message.message_id,
                message.attempts - 1,
            )
        try:
            await self._handle(message)
        except GiveUp as exc:
            logger.error(
                "%s: el mensaje %s queda fallido (%s); no se reintentará", self.channel, message.message_id, exc
            )
            await run_blocking(_mark_failed, message.id)
            return True
        except NotReady:
            await run_blocking(_release, message.id, False)
            asyncio.get_running_loop().call_later(NOT_READY_RETRY_SECONDS, self.schedule, message.sender_id)
            return False
        except UndeliveredReplies as exc:
            logger.warning("%s: %s del mensaje %s; se reintentará", self.channel, exc, message.message_id)
            gave_up = await run_blocking(_release, message.id, True, {PENDING_REPLIES: exc.remaining})
            if gave_up:
                logger.error("%s: no se pudieron entregar las respuestas a %s", self.channel, message.sender_id)
            return gave_up
        except Exception:
            logger.exception("%s: falló el mensaje %s (intento %d)", self.channel, message.message_id, message.attempts)
            # An unexpected error (a bug) must not hold the conversation back for long.
            if message.attempts >= MAX_ATTEMPTS and not message.given_up:
                logger.error(
                    "%s: el mensaje %s quedó fallido tras %d intentos con error; se envía una disculpa",
                    self.channel,
                    message.message_id,
                    message.attempts,
                )
                given_up = await run_blocking(_give_up, message.id)
                return given_up is None or await self._process(given_up)
            gave_up = await run_blocking(_release, message.id, True)
            if gave_up:
                logger.error(
                    "%s: el mensaje %s quedó sin procesar tras %d intentos",
                    self.channel,
                    message.message_id,
                    message.attempts,
                )
            return gave_up
        if message.given_up:
            await run_blocking(_mark_failed, message.id)
            more = True
        else:
            more = await run_blocking(_mark_done, message.id, self.channel, message.sender_id)
        HANDLED[self.channel] += 1
        # Nothing else open: stop here (a message stored from now on schedules a drain of its own).
        return more

    # ---- recovery --------------------------------------------------------------------

    async def sweep(self) -> List[str]:
        """Schedule every conversation with a message waiting longer than ``RETRY_AFTER``; returns them."""
        senders = await run_blocking(_stale_senders, self.channel)
        for sender_id in senders:
            self.schedule(sender_id)
        return senders

    def start_sweeper(self) -> None:
        """Sweep every ``SWEEP_SECONDS`` while this process runs."""
        if self._sweeper is not None and not self._sweeper.done():
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                try:
                    await self.sweep()
                except Exception:
                    logger.exception("%s: falló la revisión de mensajes pendientes", self.channel)

        self._sweeper = asyncio.get_running_loop().create_task(loop())

    async def stop(self) -> None:
        """Stop sweeping (messages in flight finish or are picked up after a restart)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        await self._locks.close()

    async def wait_idle(self) -> None:
        """Wait for the background work scheduled so far (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


# ---- database work (run in a worker thread) -------------------------------------------


def _store(channel: str, message_id: str, sender_id: str, payload: Dict[str, Any]) -> bool:
    try:
        with database().session() as session:
            session.add(
                InboundMessageRow(
                    channel=channel,
                    message_id=message_id,
                    sender_id=sender_id,
                    payload=payload,
                    status="pendiente",
                    attempts=0,
                )
            )
        return True
    except IntegrityError:
        return False


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite drops the zone


def _claim_next(channel: str, sender_id: str) -> Optional[Message]:
    """The conversation's oldest open message, marked ``procesando`` (caller holds the lock); ``None``
    when there is none, or when it was tried less than ``RETRY_AFTER`` ago (the conversation waits)."""
    with database().session() as session:
        row = session.execute(
            select(InboundMessageRow)
            .where(
                InboundMessageRow.channel == channel,
                InboundMessageRow.sender_id == sender_id,
                InboundMessageRow.status.in_(OPEN),
            )
            .order_by(InboundMessageRow.id)
            .limit(1)
        ).scalar_one_or_none()
        if row is None or (row.attempts and _as_utc(row.updated_at) > utcnow() - RETRY_AFTER):
            return None
        poison = row.attempts >= MAX_ATTEMPTS and not (row.payload or {}).get(PENDING_REPLIES)
        if poison:  # claimed MAX_ATTEMPTS times and never finished (it froze or killed its worker)
            _abandon(row)
        row.status = "procesando"
        row.attempts += 1
        session.flush()
        message = Message.from_row(row)
        message.newly_given_up = poison
        return message


def _abandon(row: InboundMessageRow) -> None:
    """Give the message up: what the citizen wrote is dropped, what is left is the apology
    (delivered once, then the message is ``fallido``)."""
    row.payload = {GIVEN_UP: True, PENDING_REPLIES: [{"text": APOLOGY}]}


def _give_up(row_id: int) -> Optional[Message]:
    """The claimed message, given up (see ``_abandon``); ``None`` if it is gone."""
    with database().session() as session:
        row = session.get(InboundMessageRow, row_id)
        if row is None:
            return None
        _abandon(row)
        session.flush()
        return Message.from_row(row)


def _mark_done(row_id: int, channel: str, sender_id: str) -> bool:
    """``listo``, without the payload (what the citizen wrote is not kept); whether the conversation has
    another open message (one transaction: the usual turn needs no other query to know it is the last)."""
    with database().session() as session:
        session.execute(
            update(InboundMessageRow)
            .where(InboundMessageRow.id == row_id)
            .values(status="listo", payload=None, updated_at=utcnow())
        )
        return _has_open(session, channel, sender_id)


def _has_open(session: Any, channel: str, sender_id: str) -> bool:
    """Whether the conversation has a message still to handle."""
    return (
        session.execute(
            select(InboundMessageRow.id)
            .where(
                InboundMessageRow.channel == channel,
                InboundMessageRow.sender_id == sender_id,
                InboundMessageRow.status.in_(OPEN),
            )
            .limit(1)
        ).first()
        is not None
    )


def _mark_failed(row_id: int) -> None:
    """``fallido``, without the payload; staff find it by its status."""
    with database().session() as session:
        session.execute(
            update(InboundMessageRow)
            .where(InboundMessageRow.id == row_id)
            .values(status="fallido", payload=None, updated_at=utcnow())
        )


def _release(row_id: int, failed: bool, payload: Optional[Dict[str, Any]] = None) -> bool:
    """Back to ``pendiente`` for a later attempt (with a new ``payload`` if given), or ``fallido`` when
    too old; ``True`` if it gave up."""
    with database().session() as session:
        row = session.get(InboundMessageRow, row_id)
        if row is None:
            return True
        received = _as_utc(row.received_at)
        if failed and utcnow() - received > GIVE_UP_AFTER:
            row.status, row.payload = "fallido", None
            return True
        row.status = "pendiente"
        if payload is not None:
            row.payload = {**payload, GIVEN_UP: row.payload[GIVEN_UP]} if (row.payload or {}).get(GIVEN_UP) else payload
        if not failed:
            row.attempts = max(0, row.attempts - 1)  # waiting for the assistant is not an attempt
        row.updated_at = utcnow()
        return False


def _stale_senders(channel: str) -> List[str]:
    cutoff = utcnow() - RETRY_AFTER
    with database().session() as session:
        rows = (
            session.execute(
                select(InboundMessageRow.sender_id)
                .where(
                    InboundMessageRow.channel == channel,
                    InboundMessageRow.status.in_(OPEN),
                    InboundMessageRow.updated_at < cutoff,
                )
                .distinct()
            )
            .scalars()
            .all()
        )
    return list(rows)

"""Sending the citizens' notices of request status changes (the ``notifications`` outbox).

``change_status`` queues a ``NotificationRow`` with the notice's data in the same transaction
as the change; a ``Notifier`` (``run_forever`` in the web application) renders its text
(``bot.answers.notices``) and sends due rows through the adapter of the request's channel
(channels/registry.py): WhatsApp through Twilio, Telegram through the municipality's bot.

- Each row is claimed before sending with a compare-and-set UPDATE that moves its
  ``next_attempt_at`` forward by a lease: two workers (two replicas) never send the same
  notice, and a notice whose worker died mid-send is taken again when the lease ends.
- A failed send is retried with exponential backoff (``NOTIFY_BACKOFF_SECONDS`` doubled
  per failure, at most one hour) up to ``NOTIFY_MAX_ATTEMPTS``; then the row is "fallida"
  with the reason. Everything lives in the database, so a restart loses nothing.
- A channel with a service window (WhatsApp) allows free text only within 24 hours of the citizen's last message
  (``conversation_activity``); outside it the approved template
  ``WHATSAPP_STATUS_TEMPLATE_SID`` is sent (variables 1: folio, 2: status, 3: procedure, from
  the notice's data), or, without one, the notice is given up.
- A text split into parts that fails midway keeps only the undelivered rest in ``text``: a
  retry never resends what the citizen already has.
- A channel that cannot send notices (e.g. "rest") or is not configured here gives up at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from sqlalchemy import select, update

from bot.answers.notices import status_notice, template_variables
from bot.config import settings
from bot.conversation_id import ConversationId
from bot.storage.db import Database
from bot.storage.tables import ConversationActivityRow, NotificationRow, RequestRow, utcnow
from channels.adapter import ChannelAdapter, NotDeliverable, SendError
from channels.common import split_message
from channels.registry import ChannelRegistry

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pendiente", "enviada", "fallida"
MAX_BACKOFF_SECONDS = 3600.0


def notice_text(text: Optional[str], kind: Optional[str], variables: Optional[Mapping[str, Any]]) -> str:
    """What a notification row sends: its stored ``text`` when it has one (a row from before
    migration 0006, or the undelivered rest of a notice sent in part), else the notice rendered
    from ``kind`` and ``variables``; "" when it has neither. ``ValueError`` for an unknown kind."""
    if text is not None:
        return text
    if kind is None or not variables:
        return ""
    return status_notice(kind, variables)


def _as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (SQLite gives back naive datetimes, stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class NotifierSettings:
    """Retry policy, polling and WhatsApp's window and template."""

    max_attempts: int = 6
    backoff_seconds: float = 30.0
    poll_seconds: float = 5.0
    whatsapp_template_sid: str = ""
    whatsapp_window_hours: float = 24.0
    lease_seconds: float = 300.0  # a claimed row is not taken by another worker for this long
    batch_size: int = 50

    @classmethod
    def from_env(cls) -> "NotifierSettings":
        """From NOTIFY_MAX_ATTEMPTS, NOTIFY_BACKOFF_SECONDS, NOTIFY_POLL_SECONDS,
        WHATSAPP_STATUS_TEMPLATE_SID and WHATSAPP_WINDOW_HOURS."""
        values = settings()
        return cls(
            max_attempts=values.notify_max_attempts,
            backoff_seconds=values.notify_backoff_seconds,
            poll_seconds=values.notify_poll_seconds,
            whatsapp_template_sid=values.whatsapp_status_template_sid,
            whatsapp_window_hours=values.whatsapp_window_hours,
        )

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failure: backoff * 2**(attempts-1), at most one hour."""
        seconds = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


@dataclass(frozen=True)
class _Due:
    """A due notification as read before claiming it."""

    id: int
    request_id: Optional[int]
    channel: str
    recipient: str
    text: Optional[str]
    kind: Optional[str]
    variables: Optional[Dict[str, Any]]
    attempts: int
    next_attempt_at: datetime  # exactly as read: the claim compares against it


@dataclass(frozen=True)
class _Outcome:
    """What happened to one send: delivered, or the reason and whether to try again."""

    sent: bool
    error: str = ""
    final: bool = False  # give up now, whatever the attempts left
    remaining_text: Optional[str] = None  # parts not yet delivered of a split text


def _gave_up(reason: str) -> _Outcome:
    return _Outcome(False, reason, final=True)


class Notifier:
    """Sends due notifications; several may run at once over one database."""

    def __init__(self, db: Database, channels: ChannelRegistry, settings: Optional[NotifierSettings] = None) -> None:
        self.db = db
        self.channels = channels
        self.settings = settings or NotifierSettings()

    @property
    def has_channels(self) -> bool:
        """Whether at least one channel can send."""
        return self.channels.has_channels

    # ---------- the loop ----------------------------------------------------------

    async def run_once(self, now: Optional[datetime] = None) -> int:
        """Send the notifications due at ``now`` (default: the current time); returns how many were attempted."""
        attempted, _ = await self._run_batch(_as_utc(now or utcnow()), None)
        return attempted

    async def run_forever(self, stop_event: asyncio.Event) -> None:
        """Poll every ``poll_seconds`` until ``stop_event`` is set (a full batch polls again at once)."""
        log.info("avisos de cambios de estado: en marcha")
        while not stop_event.is_set():
            full = False
            try:
                _, full = await self._run_batch(utcnow(), stop_event)
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("error procesando avisos pendientes")
            if full:
                continue
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=self.settings.poll_seconds)
            except asyncio.TimeoutError:
                pass
        log.info("avisos de cambios de estado: detenido")

    async def close(self) -> None:
        """Close the channels' HTTP sessions."""
        await self.channels.close()

    async def _run_batch(self, now: datetime, stop_event: Optional[asyncio.Event]) -> Tuple[int, bool]:
        """(how many were attempted, whether the batch was full)."""
        due = await asyncio.to_thread(self._due, now)
        attempted = 0
        for item in due:
            if stop_event is not None and stop_event.is_set():
                break
            lease_until = now + timedelta(seconds=self.settings.lease_seconds)
            if not await asyncio.to_thread(self._claim, item, lease_until):
                continue  # another worker took it
            attempted += 1
            outcome = await self._deliver_within_lease(item, now)
            await asyncio.to_thread(self._record, item, lease_until, outcome, now)
        return attempted, len(due) >= self.settings.batch_size

    # ---------- database ----------------------------------------------------------

    def _due(self, now: datetime) -> List[_Due]:
        with self.db.session() as session:
            rows = session.execute(
                select(
                    NotificationRow.id,
                    NotificationRow.request_id,
                    NotificationRow.channel,
                    NotificationRow.recipient,
                    NotificationRow.text,
                    NotificationRow.kind,
                    NotificationRow.variables,
                    NotificationRow.attempts,
                    NotificationRow.next_attempt_at,
                )
                .where(NotificationRow.state == PENDING, NotificationRow.next_attempt_at <= now)
                .order_by(NotificationRow.next_attempt_at, NotificationRow.id)
                .limit(self.settings.batch_size)
            ).all()
        return [_Due(*row) for row in rows]

    def _claim(self, item: _Due, lease_until: datetime) -> bool:
        """Compare-and-set: only the worker that still sees the value it read takes the row."""
        with self.db.session() as session:
            result = session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == item.id,
                    NotificationRow.state == PENDING,
                    NotificationRow.next_attempt_at == item.next_attempt_at,
                )
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def _record(self, item: _Due, lease_until: datetime, outcome: _Outcome, now: datetime) -> None:
        """Store the outcome, only if the row is still ours (its lease did not run out meanwhile)."""
        if outcome.sent:
            values = {"state": SENT, "sent_at": utcnow()}
        else:
            attempts = item.attempts + 1
            values = {"attempts": attempts, "last_error": outcome.error[:2000]}
            if outcome.final or attempts >= self.settings.max_attempts:
                values.update(state=FAILED, next_attempt_at=now)
                log.warning("aviso %s abandonado tras %d intento(s): %s", item.id, attempts, outcome.error)
            else:
                values["next_attempt_at"] = now + self.settings.backoff(attempts)
                log.info("aviso %s falló (intento %d), se reintentará: %s", item.id, attempts, outcome.error)
            if outcome.remaining_text is not None:
                values["text"] = outcome.remaining_text  # never resend the parts already delivered
        with self.db.session() as session:
            result = session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == item.id,
                    NotificationRow.state == PENDING,
                    NotificationRow.next_attempt_at == lease_until,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        if result.rowcount != 1:
            log.warning("el aviso %s cambió mientras se enviaba (plazo de reserva vencido)", item.id)

    def _last_inbound(self, sender_id: str) -> Optional[datetime]:
        with self.db.session() as session:
            value = session.execute(
                select(ConversationActivityRow.last_inbound_at).where(ConversationActivityRow.sender_id == sender_id)
            ).scalar_one_or_none()
        return _as_utc(value) if value is not None else None

    def _template_variables(self, item: _Due) -> Optional[Dict[str, str]]:
        """{"1": folio, "2": status label, "3": procedure} from the notice's own data (the request
        may have changed again since); a row from before migration 0006 has none and takes its
        request's folio, current status and procedure slug."""
        variables = item.variables
        if not variables and item.request_id is not None:
            with self.db.session() as session:
                row = session.execute(
                    select(RequestRow.folio, RequestRow.status, RequestRow.procedure).where(
                        RequestRow.id == item.request_id
                    )
                ).first()
            if row is not None:
                variables = {"folio": row.folio, "status": row.status, "procedure": row.procedure}
        if not variables:
            return None
        values = template_variables(variables)
        return values if all(values.values()) else None

    # ---------- channels ----------------------------------------------------------

    async def _deliver_within_lease(self, item: _Due, now: datetime) -> _Outcome:
        """Deliver, but never past most of the lease (else another worker could take the row)."""
        try:
            return await asyncio.wait_for(self._deliver(item, now), timeout=self.settings.lease_seconds * 0.8)
        except asyncio.TimeoutError:
            return _Outcome(False, "el envío tardó demasiado y se canceló")
        except Exception as exc:  # never lose the row to an unexpected error: record and retry
            log.exception("error inesperado enviando el aviso %s", item.id)
            return _Outcome(False, f"error inesperado: {exc!r}")

    async def _deliver(self, item: _Due, now: datetime) -> _Outcome:
        try:
            text = notice_text(item.text, item.kind, item.variables)
        except (KeyError, TypeError, ValueError) as exc:  # data that no release writes: retrying will not help
            return _gave_up(f"el aviso no se puede componer: {exc!r}")
        if not text.strip():
            return _gave_up("el aviso no tiene texto")
        conversation = ConversationId.parse_or_none(item.recipient)
        if conversation is None or conversation.channel != item.channel:
            return _gave_up(f"el destinatario no es una conversación de {item.channel}")
        try:
            adapter = self.channels.adapter(conversation, what="avisos")
        except NotDeliverable as exc:
            return _gave_up(str(exc))
        if adapter.service_window:
            last = await asyncio.to_thread(self._last_inbound, item.recipient)
            if last is None or now - last > timedelta(hours=self.settings.whatsapp_window_hours):
                return await self._deliver_template(item, adapter, conversation)
        return await self._send_parts(text, adapter.text_limit, lambda part: adapter.send_text(conversation, part))

    async def _deliver_template(self, item: _Due, adapter: ChannelAdapter, conversation: ConversationId) -> _Outcome:
        """Outside the service window: the approved template with the request's data, or give up."""
        hours = f"{self.settings.whatsapp_window_hours:g}"
        if not self.settings.whatsapp_template_sid:
            return _gave_up(f"fuera de la ventana de {hours} horas y sin plantilla aprobada configurada")
        variables = await asyncio.to_thread(self._template_variables, item)
        if variables is None:
            return _gave_up(f"fuera de la ventana de {hours} horas y sin datos de la solicitud para la plantilla")
        try:
            await adapter.send_template(conversation, self.settings.whatsapp_template_sid, variables)
        except SendError as exc:
            return _Outcome(False, str(exc), final=exc.final)
        return _Outcome(True)

    @staticmethod
    async def _send_parts(text: str, limit: int, send: Callable[[str], Awaitable[Any]]) -> _Outcome:
        """Send every part in order; on a failure, keep only the parts not yet delivered."""
        parts = split_message(text, limit)
        for index, part in enumerate(parts):
            try:
                await send(part)
            except SendError as exc:  # ``final``: blocked bot, unknown chat (retrying will not help)
                error, final = str(exc), exc.final
            except Exception as exc:  # noqa: BLE001 - recorded and retried like any failure
                log.exception("error inesperado enviando un aviso")
                error, final = f"error inesperado: {exc!r}", False
            else:
                continue
            remaining = "\n\n".join(parts[index:]) if index else None
            if remaining is not None:
                error = f"{error} (se enviaron {index} de {len(parts)} partes)"
            return _Outcome(False, error, final=final, remaining_text=remaining)
        return _Outcome(True)


def notifier_from_env(db: Database, settings: Optional[NotifierSettings] = None) -> Notifier:
    """A notifier with the channels configured in the environment (channels/registry.py)."""
    return Notifier(db, ChannelRegistry.from_env(), settings or NotifierSettings.from_env())

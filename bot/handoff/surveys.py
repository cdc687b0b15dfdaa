"""The satisfaction question sent when staff close a handoff, and the citizen's answer.

The console records each question sent (or why none was: ``not_sent``); the assistant records the
answer of the conversation's pending one. A question waits for its score (``enviada``); once scored
(``respondida``) it may still take one comment. A question older than ``ANSWER_WINDOW`` takes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.tables import SURVEY_COMMENT_MAX_LENGTH, HandoffRow, SurveyRow, aware, utcnow

SENT, ANSWERED, NOT_SENT = "enviada", "respondida", "no_enviada"
ANSWER_WINDOW = timedelta(days=3)
SCORES = range(1, 6)


@dataclass(frozen=True)
class Survey:
    """One survey, detached from the database session."""

    id: int
    handoff_id: Optional[int]
    municipality: str
    status: str
    not_sent_reason: Optional[str]
    score: Optional[int]
    comment: Optional[str]
    asked_at: datetime
    answered_at: Optional[datetime]


def _plain(row: SurveyRow) -> Survey:
    return Survey(
        row.id,
        row.handoff_id,
        row.municipality,
        row.status,
        row.not_sent_reason,
        row.score,
        row.comment,
        aware(row.asked_at),
        aware(row.answered_at),
    )


def record_sent(db: Database, handoff: HandoffRow) -> Survey:
    """The question was sent to the citizen of ``handoff``: it waits for the score."""
    return _add(db, handoff, SENT, None)


def record_not_sent(db: Database, handoff: HandoffRow, reason: str) -> Survey:
    """No question was sent to the citizen of ``handoff``, and why (Spanish, for staff)."""
    return _add(db, handoff, NOT_SENT, reason[:200])


def _add(db: Database, handoff: HandoffRow, status: str, reason: Optional[str]) -> Survey:
    with db.session() as session:
        row = SurveyRow(
            handoff_id=handoff.id,
            municipality=handoff.municipality,
            sender_id=handoff.sender_id,
            channel=handoff.channel,
            status=status,
            not_sent_reason=reason,
        )
        session.add(row)
        session.flush()
        return _plain(row)


def _latest(session: Session, sender_id: str, now: datetime) -> Optional[SurveyRow]:
    """The conversation's latest question of the last ``ANSWER_WINDOW``, locked."""
    return session.execute(
        select(SurveyRow)
        .where(SurveyRow.sender_id == sender_id, SurveyRow.asked_at >= now - ANSWER_WINDOW)
        .order_by(SurveyRow.asked_at.desc(), SurveyRow.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()


def _clean_comment(comment: Optional[str]) -> Optional[str]:
    comment = " ".join((comment or "").split())[:SURVEY_COMMENT_MAX_LENGTH]
    return comment or None


def record_score(
    db: Database, sender_id: str, score: int, comment: Optional[str] = None, now: Optional[datetime] = None
) -> Optional[Survey]:
    """Record the score (1–5) and optional comment for the conversation's latest question, if it still waits
    for one; ``None`` otherwise (no question, answered already, too old)."""
    if score not in SCORES:
        raise ValueError(f"puntaje fuera de rango: {score}")
    now = now or utcnow()
    with db.session() as session:
        row = _latest(session, sender_id, now)
        if row is None or row.status != SENT:
            return None
        row.status, row.score, row.comment, row.answered_at = ANSWERED, score, _clean_comment(comment), now
        return _plain(row)


def record_comment(db: Database, sender_id: str, comment: str, now: Optional[datetime] = None) -> Optional[Survey]:
    """Add the comment to the conversation's latest question, scored and still without one; ``None`` otherwise."""
    now = now or utcnow()
    text = _clean_comment(comment)
    with db.session() as session:
        row = _latest(session, sender_id, now)
        if row is None or row.status != ANSWERED or row.comment or text is None:
            return None
        row.comment = text
        return _plain(row)


def survey_for(db: Database, municipality: str, handoff_id: int) -> Optional[Survey]:
    """The latest survey of one handoff of this municipality, if any."""
    with db.session() as session:
        row = session.execute(
            select(SurveyRow)
            .where(SurveyRow.handoff_id == handoff_id, SurveyRow.municipality == municipality)
            .order_by(SurveyRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _plain(row) if row else None

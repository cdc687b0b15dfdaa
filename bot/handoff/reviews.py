"""Staff reviews of the assistant's understanding: turns marked as misunderstood, and the NLU
candidates they give (citizen messages with what they meant)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import select

from bot.handoff.transcript import TranscriptReader, tracker_url
from bot.storage.db import Database
from bot.storage.tables import HandoffRow, ReviewRow


def add_review(
    db: Database,
    handoff: HandoffRow,
    event_id: int,
    by: str,
    intended_intent: Optional[str] = None,
    intended_procedure: Optional[str] = None,
    comment: Optional[str] = None,
) -> ReviewRow:
    """Mark a turn (Rasa event id) of the handoff's conversation as wrong, with what was meant."""
    with db.session() as session:
        row = ReviewRow(
            handoff_id=handoff.id,
            municipality=handoff.municipality,
            event_id=event_id,
            wrong=True,
            intended_intent=(intended_intent or "").strip()[:80] or None,
            intended_procedure=(intended_procedure or "").strip()[:80] or None,
            comment=(comment or "").strip()[:1000] or None,
            by=by,
        )
        session.add(row)
        session.flush()
        return row


def reviews_for(db: Database, municipality: str, handoff_id: int) -> List[ReviewRow]:
    """Reviews of one handoff of this municipality, oldest first."""
    with db.session() as session:
        return list(
            session.execute(
                select(ReviewRow)
                .where(ReviewRow.municipality == municipality, ReviewRow.handoff_id == handoff_id)
                .order_by(ReviewRow.id)
            )
            .scalars()
            .all()
        )


def nlu_candidates(db: Database, municipality: str, reader: Any = None) -> List[Dict[str, Optional[str]]]:
    """``[{text, intent, tramite}]``: citizen messages marked as misunderstood, with what they meant.

    A mark on an assistant turn refers to the citizen message just before it. ``reader`` is a
    ``TranscriptReader`` (by default over ``tracker_url()``).
    """
    if reader is None:
        reader = TranscriptReader(tracker_url())
    with db.session() as session:
        rows = session.execute(
            select(ReviewRow, HandoffRow.sender_id)
            .join(HandoffRow, HandoffRow.id == ReviewRow.handoff_id)
            .where(ReviewRow.municipality == municipality, ReviewRow.wrong.is_(True))
            .order_by(ReviewRow.id)
        ).all()
    turns_by_sender: Dict[str, list] = {}
    found: List[Dict[str, Optional[str]]] = []
    seen = set()
    for review, sender_id in rows:
        if sender_id not in turns_by_sender:
            turns_by_sender[sender_id] = reader.rasa_turns(sender_id)
        citizen = [
            t
            for t in turns_by_sender[sender_id]
            if t.who == "vecino" and t.event_id is not None and t.event_id <= review.event_id
        ]
        if not citizen or not citizen[-1].text.strip():
            continue
        text = " ".join(citizen[-1].text.split())
        key = (text, review.intended_intent, review.intended_procedure)
        if key in seen:
            continue
        seen.add(key)
        found.append({"text": text, "intent": review.intended_intent, "tramite": review.intended_procedure})
    return found

"""The citizen's answer to the satisfaction question sent when staff closed their handoff.

The question's buttons, and a score or comment typed to it (bot/dialogue/survey.py, through the channels),
reach the assistant as ``informar`` with a ``puntaje`` or ``comentario`` entity that only those payloads
carry; ``action_recibir_dato`` hands them here first. The answer is kept for the conversation's latest
question that still waits for it (bot/handoff/surveys.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import entity, latest_text, send
from actions.services import database, run_blocking
from bot.answers import survey as replies
from bot.handoff import surveys


async def answer_survey(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """Record a score or comment of the satisfaction question and thank the citizen; ``None`` when the
    message is no survey answer (typed text never is: a citizen cannot type a payload)."""
    if not latest_text(tracker).startswith("/"):
        return None
    score, comment = entity(tracker, replies.SCORE_ENTITY), entity(tracker, replies.COMMENT_ENTITY)
    if score is None and comment is None:
        return None
    db, sender = database(), tracker.sender_id
    if score is not None:
        value = int(score) if score in {str(s) for s in surveys.SCORES} else None
        given = None if comment in (None, replies.NO_COMMENT) else comment
        found = await run_blocking(surveys.record_score, db, sender, value, given) if value else None
        send(dispatcher, [replies.thanks_for_score(bool(found.comment)) if found else replies.survey_over()])
        return []
    if comment == replies.NO_COMMENT:
        send(dispatcher, [replies.no_comment()])
        return []
    found = await run_blocking(surveys.record_comment, db, sender, str(comment))
    send(dispatcher, [replies.thanks_for_comment() if found else replies.survey_over()])
    return []

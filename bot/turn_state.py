"""What went wrong during the citizen turn being processed, per asyncio task.

The channels open a turn (channels/turns.py); Rasa's failed actions and our tracker
store (bot/storage/tracker_store.py) mark it failed. A failed turn sends no more
replies, saves nothing to the conversation, and ends with an apology.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Optional


class TurnState:
    """The failure of one turn, if any (``"accion"``, ``"conversacion"``...)."""

    def __init__(self) -> None:
        self.failure: Optional[str] = None


_CURRENT: ContextVar[Optional[TurnState]] = ContextVar("turno_actual", default=None)


def begin_turn() -> "tuple[TurnState, Token]":
    """Start tracking a turn in the current task; pass the token to ``end_turn``."""
    state = TurnState()
    return state, _CURRENT.set(state)


def end_turn(token: Token) -> None:
    """Stop tracking the turn started with ``token``."""
    _CURRENT.reset(token)


def mark_failed(reason: str) -> None:
    """Record that the current turn (if one is tracked) failed."""
    state = _CURRENT.get()
    if state is not None and state.failure is None:
        state.failure = reason


def turn_failed() -> bool:
    """Whether the current turn is tracked and has failed."""
    state = _CURRENT.get()
    return bool(state and state.failure)

"""The statuses of a handoff: the one definition of their names (stored in ``handoffs.status``).

    esperando -> atendiendo -> cerrada | devuelta | desistida

A leaf module (no imports of ours), so that the tables and every layer above can use it.
"""

from __future__ import annotations

from enum import Enum
from typing import Tuple


class HandoffStatus(str, Enum):
    """A handoff's status; the value is what the database stores (and what URLs and forms carry)."""

    WAITING = "esperando"  # the citizen waits for a person
    ATTENDED = "atendiendo"  # a staffer took it: the assistant is silent
    CLOSED = "cerrada"  # a staffer closed it, with an outcome
    HANDED_BACK = "devuelta"  # a staffer gave the conversation back to the assistant
    ABANDONED = "desistida"  # the citizen stopped waiting

    def __str__(self) -> str:
        return self.value


OPEN: Tuple[HandoffStatus, ...] = (HandoffStatus.WAITING, HandoffStatus.ATTENDED)
ALL: Tuple[HandoffStatus, ...] = tuple(HandoffStatus)

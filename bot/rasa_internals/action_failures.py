"""Noticing the actions that failed in a turn, from the text Rasa logs about them.

Rasa 3.6.21's ``MessageProcessor._run_action`` catches any exception of an action (an
unreachable or failing action server included), logs it on ``rasa.core.processor``
with ``ACTION_FAILURE_LOG`` and carries on as if the action had returned nothing. No
event or hook says so: this log line is the only sign. The handler runs in the task
that ran the action, i.e. within the citizen's turn.
"""

from __future__ import annotations

import logging
from typing import Callable

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)

PROCESSOR_LOGGER = "rasa.core.processor"
ACTION_FAILURE_LOG = "Encountered an exception while running action"


class _ActionFailureListener(logging.Handler):
    """Calls ``on_failure`` when Rasa logs a failed action."""

    def __init__(self, on_failure: Callable[[], None]) -> None:
        super().__init__(level=logging.ERROR)
        self.on_failure = on_failure

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(ACTION_FAILURE_LOG):
            self.on_failure()


def watch_failed_actions(on_failure: Callable[[], None]) -> None:
    """Call ``on_failure`` (in the failing turn's task) whenever Rasa logs that an action failed.

    One listener per process: calling again replaces the previous ``on_failure``.
    """
    logger = logging.getLogger(PROCESSOR_LOGGER)
    for handler in logger.handlers:
        if isinstance(handler, _ActionFailureListener):
            handler.on_failure = on_failure
            return
    logger.addHandler(_ActionFailureListener(on_failure))

"""Where the Rasa server keeps its agent: ``app.ctx.agent`` of its Sanic app (Rasa 3.6.21's
``rasa.server``/``rasa.core.run``), set once the model is loaded."""

from __future__ import annotations

from typing import Any, Optional

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)


def agent_of(app: Any) -> Optional[Any]:
    """The ``rasa.core.agent.Agent`` of the Rasa server's Sanic ``app``, or ``None`` while there is none."""
    return getattr(getattr(app, "ctx", None), "agent", None)

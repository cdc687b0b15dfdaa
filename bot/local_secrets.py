"""Secrets the launcher makes for its own processes when the operator set none.

``make run`` must be safe without any configuration: Rasa's HTTP API and the action
server each require a token, and the REST channel (for ``make shell``) a token of the
``local`` integration. When the environment does not give them, random ones are
created once per ``VAR_DIR`` in ``secrets.json`` (readable by its owner only) and
reused, so ``make shell`` and a restarted launcher find the same values.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Dict

FILE_NAME = "secrets.json"
NAMES = ("rasa_api_token", "actions_token", "rest_local_token")


def local_secrets(var: Path) -> Dict[str, str]:
    """The secrets kept in ``var/secrets.json``, created (mode 0600) the first time."""
    path = var / FILE_NAME
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    missing = [name for name in NAMES if not isinstance(stored.get(name), str) or len(stored[name]) < 32]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        var.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(stored, handle)
    os.chmod(path, 0o600)
    return {name: stored[name] for name in NAMES}

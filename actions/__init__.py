"""Custom actions of the municipal assistant (rasa-sdk), split by concern."""

from bot import log_safety as _log_safety

_log_safety.install()  # the action server (python -m rasa_sdk --actions actions) logs safely too

"""Measured speed-ups of the Rasa server (``make bench``, README "Rendimiento").

``python -m bot run`` applies them before Rasa starts (bot/app/rasa_server.py);
``RASA_SPEEDUPS=0`` leaves Rasa untouched, to compare.

- Rasa 3.6 checks every action server response with ``jsonschema.validate``, which
  with jsonschema 4.17 re-validates the (fixed) response *schema* against the
  draft-2020-12 metaschema on every call: ~35 ms of CPU per custom action, more than
  the NLU. Here the validator is built and the schema checked once; each response is
  still validated against the same schema and an invalid one raises the same
  ``ValidationError`` (best match, same message).
- Reading a conversation from the tracker store turns every stored event into its
  class with ``Event.resolve_by_type``, which walks all ``Event`` subclasses
  (recursively, with ``inspect.isabstract``) for *each* event: ~1,700 calls per
  turn here. The class found for a type name is remembered; unknown names still go
  through Rasa's own lookup (same default, same error).
"""

from __future__ import annotations

from typing import Any, Dict

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)
from bot.config import settings


def _replace(owner: Any, name: str, value: Any) -> None:
    """Set ``owner.name``, which Rasa must define (a renamed one would silently lose the patch)."""
    if name not in vars(owner):
        raise AttributeError(
            f"{owner.__qualname__}.{name} ya no existe en esta versión de Rasa: revise bot/rasa_internals/speedups.py"
        )
    setattr(owner, name, value)


def speed_up_action_response_validation() -> None:
    """Validate action server responses with one cached validator instead of ``jsonschema.validate``."""
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_cached_validator", False):
        return
    cache: Dict[str, Any] = {}

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        validator = cache.get("validator")
        if validator is None:
            schema = self.action_response_format_spec()
            cls = validators.validator_for(schema)
            cls.check_schema(schema)
            validator = cache["validator"] = cls(schema)
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result._cached_validator = True  # type: ignore[attr-defined]
    _replace(RemoteAction, "_validate_action_result", _validate_action_result)


def speed_up_event_type_lookup() -> None:
    """Remember ``Event.resolve_by_type(name)`` results (the first subclass with that ``type_name``)."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "_cached", False):
        return
    found: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    resolve_by_type._cached = True  # type: ignore[attr-defined]
    _replace(Event, "resolve_by_type", staticmethod(resolve_by_type))


def apply_speedups() -> None:
    """Every speed-up of this module, unless ``RASA_SPEEDUPS=0``."""
    if not settings().rasa_speedups:
        return
    speed_up_action_response_validation()
    speed_up_event_type_lookup()

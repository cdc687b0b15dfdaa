"""The speed-ups of bot/rasa_server.py change nothing but speed: same validation, same event classes."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.utils.common import all_subclasses

from bot import rasa_server


@pytest.fixture
def patched(monkeypatch):
    """Apply the speed-ups for one test and undo them afterwards."""
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Event, "resolve_by_type", Event.resolve_by_type)
    original_resolve = Event.resolve_by_type
    monkeypatch.delenv("RASA_SPEEDUPS", raising=False)
    rasa_server.apply_speedups()
    return original_resolve


def test_action_responses_are_validated_as_rasa_does(patched):
    action = RemoteAction("accion_prueba", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "x", "value": 1}],
                                           "responses": [{"text": "hola"}]})
    for invalid in ({"events": "no es una lista"}, {"events": [{"sin_tipo": 1}]}):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(invalid)


def test_event_classes_are_the_ones_rasa_finds(patched):
    names = {cls.type_name for cls in all_subclasses(Event) if getattr(cls, "type_name", None)}
    assert len(names) > 20
    for name in sorted(names):
        assert Event.resolve_by_type(name) is patched(name)
        assert Event.resolve_by_type(name) is patched(name)  # the remembered answer
    assert Event.resolve_by_type("no_existe", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_existe")


def test_rasa_speedups_0_leaves_rasa_untouched(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    before = RemoteAction._validate_action_result
    monkeypatch.setenv("RASA_SPEEDUPS", "0")
    rasa_server.apply_speedups()
    assert RemoteAction._validate_action_result is before

"""Hostile input at the NLU entry points: nothing crashes, whatever a citizen types.

Property-based tests (hypothesis) over the normaliser, the entity finders, the
procedure and commune matchers, every form field validator and the whole trained
NLU pipeline: very long text, emoji, control characters, other scripts, SQL and HTML.
(The webhooks are fuzzed in test_channels_e2e.py.)
"""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalogue.model import FormField
from bot.forms.fields import VALIDATORS, AnswerContext, validate_answer
from bot.matching.aspects import asked_aspects
from bot.matching.communes import CommuneMatcher
from bot.matching.procedures import ProcedureMatcher
from bot.nlu.entities import find_structured
from bot.text import normalise

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),
    st.sampled_from(
        [
            "'; DROP TABLE requests; --",
            "<script>alert(1)</script>",
            "🙂" * 500,
            "ñandú " * 400,
            "\x00\x07\x1b[31m",
            "مرحبا كيف حالك",
            "你好，我想办理许可证",
            "Привет",
            "a" * 5000,
            "",
            "1" * 60,
            "-" * 80,
            "@@@@@",
            "12.345.678-5" * 30,
            "+56 9" * 40,
        ]
    ),
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def matchers(catalogue):
    return ProcedureMatcher(catalogue.names_and_aliases()), CommuneMatcher(catalogue.communes)


@SETTINGS
@given(text=HOSTILE)
def test_normalise_and_entity_finders_never_crash(text):
    assert isinstance(normalise(text), str)
    for found in find_structured(text):
        assert 0 <= found.start < found.end <= len(text)
    asked_aspects(text)


@given(text=HOSTILE)
@SETTINGS
def test_matchers_never_crash(matchers, text):
    procedures, communes = matchers
    for match in procedures.find(text) + communes.find(text):
        assert 0 <= match.start <= match.end <= len(text)
    procedures.ambiguous(text)
    procedures.suggestions(text)


@given(text=HOSTILE, kind=st.sampled_from(sorted(VALIDATORS)))
@SETTINGS
def test_every_field_type_answers_with_a_message_or_a_value(text, kind):
    form_field = FormField(name="campo", type=kind, question="?", options=["Uno", "Dos"], max_length=100)
    result = validate_answer(form_field, text, AnswerContext(today=date(2026, 11, 25), commune="Angol"))
    assert result.ok or (isinstance(result.error, str) and result.error)


@given(text=HOSTILE)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_trained_nlu_pipeline_parses_anything(nlu_agent, text):
    """The whole trained pipeline (tokenizer, DIET, entity extractor, unknown-words guard) never crashes
    and always names an intent the domain knows; entities point inside the text."""
    import asyncio

    parsed = asyncio.run(nlu_agent.parse_message(text))
    assert parsed["intent"]["name"] in nlu_agent.domain.intents or parsed["intent"]["name"] == "nlu_fallback"
    for entity in parsed.get("entities", []):
        assert 0 <= entity["start"] <= entity["end"] <= len(parsed["text"])

"""The satisfaction question's answer through the real path: what the citizen types or presses, mapped by
the channels (channels/common.py, channels/typed.py), read as Rasa reads a payload (with domain.yml), and
handled by ``action_recibir_dato``; what ends in the survey table, and what the citizen reads."""

from datetime import timedelta

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update

from actions.municipality import ActionRecibirDato
from bot.answers.survey import survey_question, thanks_for_score
from bot.config import PROJECT_ROOT
from bot.handoff import surveys
from bot.storage.tables import HandoffRow, SurveyRow, utcnow
from channels.common import payload_for_reply
from channels.typed import button_for_text, typed_text
from tests.conftest import make_tracker

pytestmark = pytest.mark.usefixtures("loaded_services")
SENDER = "whatsapp:+56224868000:+56987654321"
DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def survey_buttons(numbered: bool = False):
    return [{"title": b.title, "payload": b.payload} for b in survey_question(numbered).buttons]


def ask(db) -> int:
    """A closed handoff whose citizen was sent the question."""
    with db.session() as session:
        row = HandoffRow(
            municipality="penalolen", sender_id=SENDER, channel="whatsapp", reason="hablar_con_funcionario"
        )
        row.status = "cerrada"
        session.add(row)
        session.flush()
        handoff = row
        session.expunge(row)
    return surveys.record_sent(db, handoff).handoff_id


async def channel_text(text: str, buttons) -> str:
    """What WhatsApp's channel passes to Rasa for a typed reply while ``buttons`` are pending."""
    return payload_for_reply(text, buttons) or await button_for_text(text, buttons) or typed_text(text)


def as_rasa(text: str, intent: str = "informar"):
    """The tracker of the message as Rasa parses it: a payload by its regex handler (dropping entities not
    in domain.yml), typed text with the NLU's ``intent``."""
    parsed = YAMLStoryReader.unpack_regex_message(Message({"text": text}), DOMAIN)
    if parsed.get("intent"):
        intent = parsed.get("intent")["name"]
    entities = [{"entity": e["entity"], "value": e["value"]} for e in parsed.get("entities") or []]
    return make_tracker(text, intent, entities, slots={"municipio": "penalolen"}, sender=SENDER)


async def answer(text: str, buttons, intent: str = "informar") -> str:
    dispatcher = CollectingDispatcher()
    events = await ActionRecibirDato().run(dispatcher, as_rasa(await channel_text(text, buttons), intent), {})
    assert {e["name"]: e["value"] for e in events if e.get("event") == "slot"}.get("formulario_listo") is False
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def rows(db):
    with db.session() as session:
        return session.execute(select(SurveyRow)).scalars().all()


@pytest.mark.parametrize(
    "typed, comment",
    [("4", None), ("4 muy amable", "muy amable"), ("cuatro", None), ("un 4!", None), ("Buena", None)],
)
async def test_a_typed_four_is_recorded_as_four(loaded_services, typed, comment):
    handoff_id = ask(loaded_services)
    text = await answer(typed, survey_buttons())
    [row] = rows(loaded_services)
    assert (row.handoff_id, row.municipality, row.status, row.score, row.comment) == (
        handoff_id,
        "penalolen",
        "respondida",
        4,
        comment,
    )
    assert row.answered_at is not None
    assert "Gracias por tu evaluación" in text
    assert ("¿Quieres dejarnos un comentario? (opcional)" in text) is (comment is None)


async def test_a_comment_in_the_next_message(loaded_services):
    ask(loaded_services)
    dispatcher = CollectingDispatcher()
    await ActionRecibirDato().run(dispatcher, as_rasa(await channel_text("5", survey_buttons())), {})
    [offer] = dispatcher.messages
    comment_buttons = offer["buttons"]
    assert [b["title"] for b in comment_buttons] == ["No, gracias"]
    text = await answer("la señora Rosa fue muy amable", comment_buttons)
    assert "Gracias por tu comentario" in text
    [row] = rows(loaded_services)
    assert (row.score, row.comment) == (5, "la señora Rosa fue muy amable")
    # A second comment, or one typed to an old offer, is not taken
    assert "ya se cerró" in await answer("y además tardaron poco", comment_buttons)
    assert rows(loaded_services)[0].comment == "la señora Rosa fue muy amable"


async def test_no_thanks_leaves_no_comment(loaded_services):
    ask(loaded_services)
    await answer("2", survey_buttons())
    buttons = [{"title": b.title, "payload": b.payload} for b in thanks_for_score(False).buttons]
    assert await answer("no, gracias", buttons) == "¡Gracias! Si necesitas algo más, aquí estoy."  # typed
    assert await answer("1", buttons) == "¡Gracias! Si necesitas algo más, aquí estoy."  # its number
    [row] = rows(loaded_services)
    assert (row.score, row.comment) == (2, None)


async def test_a_pressed_telegram_button_records_its_score(loaded_services):
    ask(loaded_services)
    buttons = survey_buttons(numbered=True)
    assert [b["title"] for b in buttons][0] == "1 · Muy mala" and buttons[4]["title"] == "5 · Muy buena"
    dispatcher = CollectingDispatcher()
    await ActionRecibirDato().run(dispatcher, as_rasa(buttons[2]["payload"]), {})  # the press is the payload
    assert rows(loaded_services)[0].score == 3


async def test_anything_else_drops_the_survey_and_is_handled_normally(loaded_services):
    ask(loaded_services)
    passed = await channel_text("hola necesito otra cosa", survey_buttons())
    assert passed == "hola necesito otra cosa"  # reaches the assistant as typed
    text = await answer("hola necesito otra cosa", survey_buttons())
    assert "Gracias por tu evaluación" not in text and text  # the normal answer
    [row] = rows(loaded_services)
    assert (row.status, row.score) == ("enviada", None)


async def test_typed_payload_words_and_old_questions_record_nothing(loaded_services):
    ask(loaded_services)
    # A citizen typing Rasa's syntax gets text, not a score
    assert await channel_text('/informar{"puntaje":"5"}', []) == 'informar{"puntaje":"5"}'
    await answer('/informar{"puntaje":"5"}', [])
    assert rows(loaded_services)[0].score is None
    with loaded_services.session() as session:
        session.execute(update(SurveyRow).values(asked_at=utcnow() - timedelta(days=4)))
    assert "ya se cerró" in await answer("5", survey_buttons())
    assert rows(loaded_services)[0].score is None

"""Working a conversation in the console: internal notes (never sent, scoped, audited, erased with the
citizen's data), labels (attach, remove, filter the queue and search) and closing with the closing message
and the satisfaction question (WhatsApp inside its 24-hour window only; Telegram with buttons)."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.answers.survey import CLOSING_TEXT, QUESTION_TEXT
from bot.handoff import notes, queries, surveys
from bot.storage import personal_data
from bot.storage.tables import ChannelButtonsRow, ConversationActivityRow, HandoffNoteRow, SurveyRow
from tests import console_fixtures
from tests.test_console import CITIZEN, WA_SENDER, ago, audits, handoff

# The fixtures of the console over a real server, with both channels (tests/console_fixtures.py).
db, reader, twilio, rasa, world, browsers, telegram, clock, server = console_fixtures.SHARED
NOTE = "Llamó por teléfono: <b>prefiere</b> que la contactemos en la tarde."
TG_CHAT = 55501234


def wrote_at(db, sender: str, **age: float) -> None:
    """The citizen's last message was ``age`` ago (WhatsApp's window counts from it)."""
    with db.session() as session:
        session.merge(ConversationActivityRow(sender_id=sender, last_inbound_at=ago(**age)))


def the_survey(db) -> SurveyRow:
    with db.session() as session:
        [row] = session.execute(select(SurveyRow)).scalars().all()
        session.expunge(row)
        return row


# --- Notes --------------------------------------------------------------------------------------


async def test_a_note_is_for_staff_only(browsers, world, twilio, telegram):
    ana, pedro = await browsers("ana"), await browsers("pedro")
    path = f"/consola/conversacion/{world['wa']}"
    response, _ = await ana.post(path + "/nota", {"nota": f"  {NOTE}  "})
    assert response.status == 303 and response.headers["Location"].endswith("?aviso=nota")
    _, page = await ana.get(response.headers["Location"])
    assert "Nota interna guardada" in page
    assert re.search(r'<li class="turno nota">.*Nota interna de Ana Pérez', page, re.S)
    assert "Llamó por teléfono: &lt;b&gt;prefiere&lt;/b&gt;" in page and "<b>prefiere</b>" not in page
    assert twilio.matching(lambda r: True) == [] and telegram.matching(lambda r: True) == []  # never sent
    assert [a.handoff_id for a in audits(world["db"], "nota_interna")] == [world["wa"]]
    _, export = await ana.get(path + "/exportar")
    assert f"Nota interna de Ana Pérez (solo para el equipo, el vecino o vecina no la vio): {NOTE}" in export
    # Another municipality neither reads nor writes it
    response, page = await pedro.get(path)
    assert response.status == 404 and "prefiere" not in page
    response, _ = await pedro.post(path + "/nota", {"nota": "intruso"})
    assert response.status == 404
    assert [n.text for n in notes.notes_for(world["db"], "penalolen", world["wa"])] == [NOTE]
    assert notes.notes_for(world["db"], "angol", world["wa"]) == []
    response, page = await ana.post(path + "/nota", {"nota": "   "})
    assert response.status == 400 and "Escribe la nota" in page
    response, _ = await ana.post(path + "/nota", {"nota": "sin token"}, csrf=None)
    assert response.status == 403


# --- Labels -------------------------------------------------------------------------------------


def label_id(page: str, name: str) -> str:
    found = re.search(
        r'name="etiqueta" value="(\d+)"><button type="submit" aria-label="Quitar la etiqueta ' + name, page
    )
    assert found, page
    return found.group(1)


async def test_labels_attach_filter_and_remove(browsers, world):
    ana, pedro = await browsers("ana"), await browsers("pedro")
    wa, rest = world["wa"], world["rest"]
    response, _ = await ana.post(f"/consola/conversacion/{wa}/etiquetas", {"accion": "agregar", "nombre": " Urgente "})
    assert response.status == 303 and "aviso=etiqueta_agregada" in response.headers["Location"]
    await ana.post(f"/consola/conversacion/{rest}/etiquetas", {"accion": "agregar", "nombre": "reclamo"})
    _, page = await ana.get(f"/consola/conversacion/{wa}")
    assert '<span class="etiqueta">urgente</span>' in page
    assert [a.detail for a in audits(world["db"], "etiquetar")] == ["urgente", "reclamo"]

    _, queue = await ana.get("/consola")
    row = re.search(rf'conversacion/{wa}".*?</li>', queue, re.S).group(0)
    assert '<span class="etiqueta">urgente</span>' in row
    _, queue = await ana.get("/consola?etiqueta=urgente")
    assert f'/consola/conversacion/{wa}"' in queue and f'/consola/conversacion/{rest}"' not in queue
    assert '<option value="urgente" selected>' in queue
    assert 'data-fuente="/consola/cola.json?etiqueta=urgente"' in queue  # the live queue keeps the filter
    _, live = await ana.get("/consola/cola.json?etiqueta=urgente")
    rows = json.loads(live)["filas"]
    assert [r["id"] for r in rows] == [wa] and rows[0]["etiquetas"] == ["urgente"]
    assert '<span class="etiqueta">urgente</span>' in rows[0]["html"]
    _, queue = await ana.get("/consola?etiqueta=seguimiento")
    assert f'/consola/conversacion/{wa}"' not in queue and "No hay conversaciones esperando" in queue
    _, found = await ana.get("/consola/buscar?etiqueta=reclamo")
    assert f'/consola/conversacion/{rest}"' in found and f'/consola/conversacion/{wa}"' not in found

    # Angol has its own labels: Peñalolén's are neither offered nor removable there
    _, page = await pedro.get(f"/consola/conversacion/{world['tg']}")
    assert "urgente" not in page.split("etiquetas-sugeridas")[0]
    _, ana_page = await ana.get(f"/consola/conversacion/{wa}")
    urgent = label_id(ana_page, "urgente")
    response, _ = await pedro.post(
        f"/consola/conversacion/{world['tg']}/etiquetas", {"accion": "quitar", "etiqueta": urgent}
    )
    assert response.status == 404
    response, _ = await pedro.post(f"/consola/conversacion/{wa}/etiquetas", {"accion": "quitar", "etiqueta": urgent})
    assert response.status == 404

    response, _ = await ana.post(f"/consola/conversacion/{wa}/etiquetas", {"accion": "quitar", "etiqueta": urgent})
    assert response.status == 303 and "aviso=etiqueta_quitada" in response.headers["Location"]
    _, queue = await ana.get("/consola?etiqueta=urgente")
    assert f'/consola/conversacion/{wa}"' not in queue
    assert [a.detail for a in audits(world["db"], "quitar_etiqueta")] == ["urgente"]
    response, page = await ana.post(f"/consola/conversacion/{wa}/etiquetas", {"accion": "agregar", "nombre": "x" * 41})
    assert response.status == 400 and "demasiado larga" in page


# --- Closing with the satisfaction question -----------------------------------------------------


async def test_closing_inside_the_whatsapp_window_sends_the_closing_message_and_the_survey(
    browsers, world, twilio, rasa
):
    wrote_at(world["db"], WA_SENDER, hours=23)
    ana = await browsers("ana")
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/cerrar", {"motivo": "Resuelta"})
    assert response.status == 303 and "aviso=encuesta_enviada" in response.headers["Location"]
    closing, question = twilio.bodies_to(CITIZEN)
    assert closing == CLOSING_TEXT
    assert question.startswith(QUESTION_TEXT) and "\n1. Muy mala\n" in question and "\n5. Muy buena\n" in question
    assert rasa.switches(WA_SENDER) == [False]
    row = the_survey(world["db"])
    assert (row.handoff_id, row.municipality, row.status, row.channel) == (
        world["wa"],
        "penalolen",
        "enviada",
        "whatsapp",
    )
    with world["db"].session() as session:  # the citizen's "4" maps to the survey's button
        buttons = session.get(ChannelButtonsRow, WA_SENDER).buttons
    assert buttons[3] == {"title": "Buena", "payload": '/informar{"puntaje":"4"}'}
    _, page = await ana.get(response.headers["Location"])
    assert "Se envió al vecino o vecina el mensaje de cierre y la encuesta" in page
    assert "Enviada el" in page and CLOSING_TEXT in page  # in the transcript, as staff messages


async def test_closing_outside_the_window_sends_nothing_and_says_why(browsers, world, twilio, rasa):
    wrote_at(world["db"], WA_SENDER, hours=25)
    ana = await browsers("ana")
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/cerrar", {"motivo": "Resuelta"})
    assert response.status == 303 and "aviso=encuesta_no_enviada" in response.headers["Location"]
    assert twilio.bodies_to(CITIZEN) == []
    row = the_survey(world["db"])
    assert row.status == "no_enviada" and "fuera de la ventana de 24 horas" in row.not_sent_reason
    assert [a.detail for a in audits(world["db"], "encuesta_no_enviada")] == [row.not_sent_reason]
    _, page = await ana.get(response.headers["Location"])
    assert "No enviada: fuera de la ventana de 24 horas de WhatsApp" in page
    assert handoff(world["db"], world["wa"]).status == "cerrada"


async def test_closing_on_telegram_sends_the_survey_with_buttons(browsers, world, telegram, rasa):
    pedro = await browsers("pedro")
    response, _ = await pedro.post(f"/consola/conversacion/{world['tg']}/cerrar", {"motivo": "Resuelta"})
    assert "aviso=encuesta_enviada" in response.headers["Location"]
    closing, question = telegram.sent(TG_CHAT)
    assert closing["text"] == CLOSING_TEXT and "reply_markup" not in closing
    assert question["text"] == QUESTION_TEXT
    titles = [row[0]["text"] for row in question["reply_markup"]["inline_keyboard"]]
    assert titles == ["1 · Muy mala", "2 · Mala", "3 · Regular", "4 · Buena", "5 · Muy buena"]


async def test_closing_without_rasa_sends_only_the_closing_message(browsers, world, twilio, rasa):
    wrote_at(world["db"], WA_SENDER, minutes=5)
    rasa.fail_next(500)
    ana = await browsers("ana")
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/cerrar", {"motivo": "Resuelta"})
    assert "sin_rasa" in response.headers["Location"] and "solo_cierre" in response.headers["Location"]
    assert twilio.bodies_to(CITIZEN) == [CLOSING_TEXT]
    assert "asistente virtual no respondió" in the_survey(world["db"]).not_sent_reason


# --- Deletion -----------------------------------------------------------------------------------


def test_deleting_the_citizens_data_erases_notes_and_survey_comments(world):
    db = world["db"]
    row = queries.get_handoff(db, "penalolen", world["wa"])
    notes.add_note(db, row, "ana", "Ana Pérez", NOTE)
    surveys.record_sent(db, row)
    assert surveys.record_score(db, WA_SENDER, 2, "Ana Soto esperó mucho") is not None
    other = queries.get_handoff(db, "angol", world["tg"])
    notes.add_note(db, other, "pedro", "Pedro Angol", "otra nota")
    counts = personal_data.delete_citizen_data(db, world["reader"], WA_SENDER)
    assert counts["notas_internas"] == 1 and counts["encuestas_anonimizadas"] == 1
    with db.session() as session:
        assert session.execute(select(HandoffNoteRow.text)).scalars().all() == ["otra nota"]
        survey = session.execute(select(SurveyRow)).scalar_one()
        assert (survey.comment, survey.sender_id, survey.handoff_id) == (None, None, None)
        assert (survey.score, survey.municipality) == (2, "penalolen")  # the figure stays, without the person

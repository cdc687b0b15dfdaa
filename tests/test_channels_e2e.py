"""WhatsApp and Telegram webhooks driven like Twilio and Telegram would, through the Rasa server.

Replies are captured by local stand-ins of the Twilio and Telegram HTTP APIs
(tests/standins.py). WhatsApp requests carry real signatures computed with
twilio's RequestValidator; Telegram requests are real update JSON.
"""

import functools
import time
import uuid
from typing import Any, Dict

from twilio.request_validator import RequestValidator

from tests.channel_clients import (
    ANGOL_WA,
    AUTH_TOKEN,
    PENALOLEN_WA,
    PUBLIC_URL,
    TG_SECRET,
    TOKENS,
    citizen,
    new_chat,
    post_form,
    tg_callback,
    tg_message,
    tg_post,
    wa_replies,
    whatsapp,
)

# ---------------- WhatsApp ----------------


def test_unsigned_or_badly_signed_requests_are_rejected(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    assert whatsapp(assistant, sender, "hola", sign=False)[0] == 403
    params = {"MessageSid": "SMx", "From": f"whatsapp:{sender}", "To": f"whatsapp:{PENALOLEN_WA}", "Body": "hola"}
    bad = {"X-Twilio-Signature": RequestValidator("otro-token").compute_signature(PUBLIC_URL, params)}
    assert post_form(assistant["base"] + "/webhooks/whatsapp/webhook", params, bad)[0] == 403
    time.sleep(2)
    assert twilio.bodies_to(sender) == []


def test_answers_twilio_at_once_and_replies_through_the_api(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    started = time.monotonic()
    status, body = whatsapp(assistant, sender, "hola")
    assert status == 200 and "<Response" in body and time.monotonic() - started < 5
    replies = wa_replies(twilio, sender, 2)
    assert "Municipalidad de Peñalolén" in replies[0] and "Privacidad" in replies[0]
    sent = twilio.matching(lambda r: r.get("To") == f"whatsapp:{sender}")
    assert all(r["From"] == f"whatsapp:{PENALOLEN_WA}" for r in sent)


def test_the_number_chooses_the_municipality(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "cuanto cuesta el permiso de circulacion", to=ANGOL_WA)
    replies = wa_replies(twilio, sender, 2)
    assert any("Permiso de circulación en Angol" in r for r in replies)


def test_retried_message_is_processed_once(assistant, standins):
    twilio, _ = standins
    sender, sid = citizen(), f"SM{uuid.uuid4().hex}"
    for _ in range(3):
        assert whatsapp(assistant, sender, "gracias", sid=sid)[0] == 200
    wa_replies(twilio, sender, 1)
    time.sleep(3)
    thanks = [b for b in twilio.bodies_to(sender) if "nada" in b or "gusto" in b]
    assert len(thanks) == 1


def test_messages_of_one_citizen_are_answered_in_order(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    for text in ("cuanto cuesta el permiso de circulacion", "y donde queda?", "q papeles piden"):
        whatsapp(assistant, sender, text)
    replies = "\n".join(wa_replies(twilio, sender, 7))
    cost, place, requirements = replies.find("Costo:"), replies.find("Dónde:"), replies.find("Requisitos:")
    assert -1 < cost < place < requirements


def test_buttons_become_a_numbered_list_and_the_number_picks_one(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "que tramites hay")
    replies = wa_replies(twilio, sender, 2)
    listing = replies[-1]
    assert "Responde con el número" in listing and "/listar_tramites" not in listing and "{" not in listing
    number = next(
        line.split(".")[0] for line in listing.splitlines() if line.split(".")[-1].strip().startswith("Tránsito")
    )
    whatsapp(assistant, sender, f"la {number}")
    replies = wa_replies(twilio, sender, 3)
    assert "Permiso de circulación" in replies[-1] and all("/consultar_tramite" not in r for r in replies)
    # The area in words picks it too.
    other = citizen()
    whatsapp(assistant, other, "que tramites hay")
    wa_replies(twilio, other, 2)
    whatsapp(assistant, other, "los de transito")
    assert "Permiso de circulación" in wa_replies(twilio, other, 3)[-1]


def test_voice_note_and_image_get_a_clear_reply(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "", NumMedia="1", MediaContentType0="audio/ogg", MediaUrl0="https://x/y")
    assert "audio" in wa_replies(twilio, sender, 1)[-1]  # voice notes: tests/test_voice_e2e.py
    whatsapp(assistant, sender, "", NumMedia="1", MediaContentType0="image/jpeg", MediaUrl0="https://x/z")
    assert "imagen" in wa_replies(twilio, sender, 3)[-1]


def test_shared_location_fills_an_address(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "hay una luminaria apagada en mi pasaje")
    wa_replies(twilio, sender, 3)
    whatsapp(assistant, sender, "", Latitude="-33.4861", Longitude="-70.5453")
    whatsapp(assistant, sender, "omitir")
    whatsapp(assistant, sender, "omitir")
    whatsapp(assistant, sender, "omitir")  # the photo of the street light
    replies = wa_replies(twilio, sender, 7)
    assert any("Ubicación compartida (-33.48610, -70.54530)" in r for r in replies)


def test_twilio_errors_are_retried(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    twilio.fail_next(500, 429)
    whatsapp(assistant, sender, "gracias")
    replies = wa_replies(twilio, sender, 1)
    assert replies
    assert len(twilio.matching(lambda r: r.get("To") == f"whatsapp:{sender}" and "failed" in r)) == 2


def test_malformed_payloads_get_a_4xx(assistant):
    sender = citizen()
    assert whatsapp(assistant, sender, "hola", MessageSid=None)[0] == 400
    params = {"MessageSid": "SMy", "Body": "hola"}
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, params)}
    assert post_form(assistant["base"] + "/webhooks/whatsapp/webhook", params, headers)[0] == 400


def test_long_replies_are_split_without_cutting_words(standins):
    import asyncio

    from channels.whatsapp import WhatsAppOutput
    from channels.whatsapp_api import WHATSAPP_LIMIT, TwilioSettings, WhatsAppSender

    twilio, _ = standins
    sender = citizen()
    text = (
        "Requisitos:\n"
        + "\n".join(f"• documento número {i} que hay que llevar" for i in range(40))
        + "\n\n"
        + "palabra " * 250
    )
    output_sender = WhatsAppSender(TwilioSettings("ACprueba", AUTH_TOKEN, twilio.url))

    async def send():
        await WhatsAppOutput(output_sender).send_text_message(f"whatsapp:{PENALOLEN_WA}:{sender}", text)  # at once
        await output_sender.close()

    asyncio.run(send())
    bodies = twilio.bodies_to(sender)
    assert len(bodies) >= 2 and all(len(b) <= WHATSAPP_LIMIT for b in bodies)
    assert " ".join(" ".join(bodies).split()) == " ".join(text.split())


# ---------------- Telegram ----------------


def test_telegram_secret_and_malformed_updates(assistant, standins):
    assert tg_post(assistant, tg_message(new_chat(), "hola"), secret_for=None) == 403
    assert tg_post(assistant, None, raw=b"{no es json") == 400
    assert tg_post(assistant, {"message": {"text": "hola"}}) == 400
    assert tg_post(assistant, {"update_id": 5, "my_chat_member": {}}) in (200, 400)


def test_telegram_text_reply_from_the_right_bot(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    assert tg_post(assistant, tg_message(chat, "cuanto cuesta el permiso de circulacion"), secret_for="angol") == 200
    telegram.wait_for(lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), 2)
    sent = telegram.sent(chat)
    assert all(r["token"] == TOKENS["angol"] for r in sent)
    assert any("Permiso de circulación en Angol" in r["text"] for r in sent)
    assert not telegram.matching(lambda r: r.get("method") == "getMe")  # no API call that is not needed


def test_telegram_buttons_and_callback(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    tg_post(assistant, tg_message(chat, "que tramites hay"))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and r.get("reply_markup"), 1)
    keyboard = telegram.sent(chat)[-1]["reply_markup"]["inline_keyboard"]
    transit = next(row[0] for row in keyboard if row[0]["text"].startswith("Tránsito"))
    assert tg_post(assistant, tg_callback(chat, transit["callback_data"], "cb-1")) == 200
    telegram.wait_for(lambda r: r.get("method") == "answerCallbackQuery" and r.get("callback_query_id") == "cb-1")
    area = telegram.wait_for(
        lambda r: str(r.get("chat_id")) == str(chat) and "Trámites de Tránsito" in r.get("text", "")
    )
    titles = [row[0]["text"] for row in area[-1]["reply_markup"]["inline_keyboard"]]
    assert "Permiso de circulación (en línea)" in titles


def test_telegram_an_area_typed_by_its_title_is_that_area_though_a_procedure_shares_its_words(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    tg_post(assistant, tg_message(chat, "que tramites hay"))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and r.get("reply_markup"), 1)
    tg_post(assistant, tg_message(chat, "los de aseo y ornato"))  # not «Derechos de aseo domiciliario»
    area = telegram.wait_for(
        lambda r: str(r.get("chat_id")) == str(chat) and "Trámites de Aseo y Ornato" in r.get("text", "")
    )
    assert "Retiro de residuos voluminosos" in str(area[-1]["reply_markup"])


def test_telegram_media_location_edits_and_duplicates(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    tg_post(assistant, tg_message(chat, photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "imagen" in r.get("text", ""))
    tg_post(assistant, tg_message(chat, voice={"file_id": "v", "file_unique_id": "w", "duration": 3}))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "audio" in r.get("text", ""))
    tg_post(
        assistant,
        tg_message(
            chat,
            sticker={
                "file_id": "s",
                "file_unique_id": "t",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        ),
    )
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "sticker" in r.get("text", ""))
    update = tg_message(chat, "gracias", kind="edited_message", edit_date=int(time.time()))
    for _ in range(2):
        tg_post(assistant, update)
    telegram.wait_for(
        lambda r: str(r.get("chat_id")) == str(chat) and ("nada" in r.get("text", "") or "gusto" in r.get("text", ""))
    )
    time.sleep(2)
    thanks = [r for r in telegram.sent(chat) if "nada" in r["text"] or "gusto" in r["text"]]
    assert len(thanks) == 1


def test_telegram_polling_mode_and_webhook_setup(assistant, standins):
    import asyncio

    from channels.telegram_api import TelegramSender, TelegramSettings
    from channels.telegram_polling import poll

    _, telegram = standins
    settings = TelegramSettings.from_values(f"angol={TOKENS['angol']}", TG_SECRET, telegram.url)
    chat = new_chat()
    telegram.pending_updates[TOKENS["angol"]] = [tg_message(chat, "hola")]
    forwarded = asyncio.run(poll(settings, assistant["base"] + "/webhooks/telegram/webhook", rounds=1, wait_seconds=1))
    assert forwarded == 1
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "Angol" in r.get("text", ""))
    result = asyncio.run(
        TelegramSender(settings).set_webhooks("https://asistente.ejemplo.cl/webhooks/telegram/webhook")
    )
    assert result == {"angol": True}
    hook = telegram.matching(lambda r: r.get("method") == "setWebhook")[-1]
    assert hook["secret_token"] == settings.secret_for("angol") and hook["url"].endswith("/webhooks/telegram/webhook")


def test_while_waiting_for_a_person_messages_are_acknowledged_once_until_the_citizen_stops(assistant, standins):
    from bot.answers.handoff import still_waiting

    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "quiero hablar con una persona")
    replies = wa_replies(twilio, sender, 2)
    said_when = ("en breve", "fuera de horario", "Hoy es feriado")  # depends on the wall clock
    assert "ya no, gracias" in replies[-1] and any(words in replies[-1] for words in said_when)
    count = len(replies)
    whatsapp(assistant, sender, "hola? alguien?")
    assert wa_replies(twilio, sender, count + 1)[-1] == still_waiting().text  # the message is kept for staff
    whatsapp(assistant, sender, "cuanto cuesta el permiso de circulacion")
    time.sleep(4)
    assert len(twilio.bodies_to(sender)) == count + 1  # once: no answer to every message of the wait
    whatsapp(assistant, sender, "ya no, gracias")
    assert "cancelé la espera" in wa_replies(twilio, sender, count + 2)[-1]
    whatsapp(assistant, sender, "cuanto cuesta el permiso de circulacion")
    assert any("Costo" in b for b in wa_replies(twilio, sender, count + 4))


def test_fuzzed_webhook_payloads_never_get_a_5xx(assistant):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
        max_leaves=10,
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        form=st.dictionaries(
            st.sampled_from(
                ["MessageSid", "From", "To", "Body", "NumMedia", "Latitude", "Longitude", "MediaContentType0", "Otro"]
            ),
            st.text(max_size=40),
            max_size=8,
        ),
        update=json_values,
        raw=st.binary(max_size=200),
    )
    def check(form, update, raw):
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, form)
        status, _ = post_form(assistant["base"] + "/webhooks/whatsapp/webhook", form, {"X-Twilio-Signature": signature})
        assert status < 500
        assert tg_post(assistant, update) < 500
        assert tg_post(assistant, None, raw=raw) < 500

    check()


# ---------------- correcting a field on the summary ----------------

FORM_ANSWERS = ("Juan Pérez", "pasaje los aromos 1234", "987654321", "un colchon de dos plazas", "omitir")


def _number_of(option, text):
    import re

    found = dict((title.strip(), number) for number, title in re.findall(r"^(\d{1,2})\. (.+)$", text, re.M))
    assert option in found, text
    return found[option]


def test_whatsapp_correction_by_number_asks_the_new_value_before_any_folio(assistant, standins):
    twilio, _ = standins
    sender = citizen()

    def say(text, count_before):
        whatsapp(assistant, sender, text)
        twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r, count_before + 1, 60)
        time.sleep(1.5)  # the rest of the turn's replies
        return twilio.bodies_to(sender)[count_before:]

    seen = len(say("quiero pedir el retiro de un colchon, mi rut es 12.345.678-5", 0))
    for answer in FORM_ANSWERS:
        replies = say(answer, seen)
        seen += len(replies)
    summary = replies[-1]
    assert "Revisa tu solicitud" in summary
    picker = say(_number_of("Corregir un dato", summary), seen)
    seen += len(picker)
    assert picker[-1].startswith("¿Qué dato quieres corregir?") and not any("folio" in r for r in picker)
    asked = say(_number_of("Dirección", picker[-1]), seen)
    seen += len(asked)
    assert not any("folio" in r or "Revisa tu solicitud" in r for r in asked) and "dirección" in asked[-1].lower()
    again = say("Pasaje Las Acacias 55", seen)
    seen += len(again)
    assert "Dirección: Pasaje Las Acacias 55" in again[-1]
    done = say(_number_of("Sí, enviar", again[-1]), seen)
    assert any("folio" in r for r in done)


def _tg_say(assistant, telegram, chat, update, count_before):
    """Post ``update`` and return the messages the chat got for it (the whole turn)."""
    assert tg_post(assistant, update) == 200
    telegram.wait_for(
        lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), count_before + 1, 60
    )
    time.sleep(1.5)  # the rest of the turn's replies
    return telegram.sent(chat)[count_before:]


def _tg_press(chat, message, title):
    """The press of the button ``title`` of a message the chat got."""
    keyboard = message["reply_markup"]["inline_keyboard"]
    return tg_callback(chat, next(b["callback_data"] for row in keyboard for b in row if b["text"] == title))


def _tg_summary(say, chat):
    """Fill the mattress pick-up form up to its summary; the messages seen and the summary."""
    seen = len(say(tg_message(chat, "quiero pedir el retiro de un colchon, mi rut es 12.345.678-5"), 0))
    for answer in FORM_ANSWERS:
        replies = say(tg_message(chat, answer), seen)
        seen += len(replies)
    assert "Revisa tu solicitud" in replies[-1]["text"]
    return seen, replies[-1]


def test_telegram_correction_by_button_asks_the_new_value_before_any_folio(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    say = functools.partial(_tg_say, assistant, telegram, chat)
    press = functools.partial(_tg_press, chat)

    seen, summary = _tg_summary(say, chat)
    picker = say(press(summary, "Corregir un dato"), seen)
    seen += len(picker)
    assert picker[-1]["text"].startswith("¿Qué dato quieres corregir?")
    assert not any("folio" in m["text"] for m in picker)
    asked = say(press(picker[-1], "Dirección"), seen)
    seen += len(asked)
    assert not any("folio" in m["text"] for m in asked) and "dirección" in asked[-1]["text"].lower()
    again = say(tg_message(chat, "Pasaje Las Acacias 55"), seen)
    seen += len(again)
    assert "Dirección: Pasaje Las Acacias 55" in again[-1]["text"]
    done = say(press(again[-1], "Sí, enviar"), seen)
    assert any("folio" in m["text"] for m in done)


# ---------------- Telegram: a button means what its own message offered ----------------


def test_telegram_old_buttons_are_stale_and_the_pending_question_is_asked_again(assistant, standins):
    from bot.answers.channel import STALE_BUTTON

    _, telegram = standins
    chat = new_chat()
    say = functools.partial(_tg_say, assistant, telegram, chat)
    press = functools.partial(_tg_press, chat)
    texts = lambda messages: [m["text"] for m in messages]  # noqa: E731

    seen, summary = _tg_summary(say, chat)
    picker = say(press(summary, "Corregir un dato"), seen)  # a button of the current menu acts
    seen += len(picker)
    assert picker[-1]["text"].startswith("¿Qué dato quieres corregir?")

    # The summary's "Sí, enviar" is a button of an older message: the field picker is asked again.
    stale = say(press(summary, "Sí, enviar"), seen)
    seen += len(stale)
    assert texts(stale) == [STALE_BUTTON, picker[-1]["text"]]
    assert stale[-1]["reply_markup"] == picker[-1]["reply_markup"]  # the same menu, under the same id
    # The data of the buttons sent before menus existed ("b<N>") is stale too.
    old = say(tg_callback(chat, "b1"), seen)
    seen += len(old)
    assert texts(old) == [STALE_BUTTON, picker[-1]["text"]] and old[-1]["reply_markup"] == picker[-1]["reply_markup"]

    asked = say(press(stale[-1], "Dirección"), seen)  # the re-sent picker works
    seen += len(asked)
    # A question, no menu: only the keyboard's "share location" button (channels/telegram_api.py)
    assert "dirección" in asked[-1]["text"].lower() and "inline_keyboard" not in asked[-1].get("reply_markup", {})
    # No menu is current now (a free-text question): an old button gets the note and that question.
    pending = say(press(picker[-1], "Nombre"), seen)
    seen += len(pending)
    assert texts(pending) == [STALE_BUTTON, asked[-1]["text"]] and not pending[-1].get("reply_markup")

    # Nothing of the old presses was applied: the address is what is being corrected, no folio yet.
    again = say(tg_message(chat, "Pasaje Las Acacias 55"), seen)
    seen += len(again)
    assert "Dirección: Pasaje Las Acacias 55" in again[-1]["text"] and "Juan Pérez" in again[-1]["text"]
    assert not any("folio" in m["text"] for m in telegram.sent(chat))
    done = say(press(again[-1], "Sí, enviar"), seen)
    assert any("folio" in m["text"] for m in done)


# ---------------- Media, locations and channel details ----------------


def _requests_of(assistant, sender_id):
    from sqlalchemy import select

    from bot.storage.db import Database
    from bot.storage.tables import RequestRow

    db = Database(f"sqlite:///{assistant['var'] / 'municipal.db'}")
    try:
        with db.session() as session:
            rows = session.execute(select(RequestRow).where(RequestRow.sender_id == sender_id)).scalars().all()
            return [(row.folio, dict(row.fields), list(row.attachments or [])) for row in rows]
    finally:
        db.dispose()


def _until(twilio, sender, needle, count=1):
    """The bodies sent to ``sender`` once ``count`` of them hold ``needle``."""
    twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r and needle in r["Body"], count)
    return twilio.bodies_to(sender)


def test_whatsapp_photos_during_a_pothole_report_go_with_the_request(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "quiero reportar un bache")
    _until(twilio, sender, "¿Dónde está el bache?")
    whatsapp(assistant, sender, "los aromos 1234")
    _until(twilio, sender, "Cuéntanos cómo es el daño")
    first = twilio.add_media(b"\xff\xd8foto-1", "image/jpeg")
    whatsapp(assistant, sender, "", NumMedia="1", MediaUrl0=first, MediaContentType0="image/jpeg")
    replies = _until(twilio, sender, "Cuéntanos cómo es el daño", 2)  # noted, and the question again
    assert "Recibí tu foto y la adjunto a la solicitud" in replies[-2]
    whatsapp(assistant, sender, "un hoyo de un metro frente al colegio")
    _until(twilio, sender, "comparte la ubicación")
    whatsapp(assistant, sender, "omitir")  # the shared location
    _until(twilio, sender, "¿Tienes una foto del bache?")
    second = twilio.add_media(b"\xff\xd8foto-2", "image/jpeg")
    whatsapp(assistant, sender, "", NumMedia="1", MediaUrl0=second, MediaContentType0="image/jpeg")
    summary = _until(twilio, sender, "Revisa tu solicitud")[-1]
    assert "Foto: Foto recibida" in summary
    whatsapp(assistant, sender, "si")
    assert "folio PEN-" in _until(twilio, sender, "folio PEN-")[-1]
    from bot.conversation_id import ConversationId

    conversation = str(ConversationId.whatsapp(f"whatsapp:{PENALOLEN_WA}", f"whatsapp:{sender}"))
    [(_folio, fields, attachments)] = _requests_of(assistant, conversation)
    assert fields["foto"] == "adjunto 2" and [a["ref"] for a in attachments] == [first, second]
    assert all(a["kind"] == "image" and a["source"] == "twilio" for a in attachments)


def test_whatsapp_location_keeps_twilios_address(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "quiero reportar un bache")
    _until(twilio, sender, "¿Dónde está el bache?")
    whatsapp(assistant, sender, "", Latitude="-33.4861", Longitude="-70.5453", Address="Av. Grecia 8735, Peñalolén")
    _until(twilio, sender, "Cuéntanos cómo es el daño")
    whatsapp(assistant, sender, "un hoyo grande en la calzada")
    _until(twilio, sender, "comparte la ubicación")
    whatsapp(assistant, sender, "omitir")
    _until(twilio, sender, "¿Tienes una foto del bache?")
    whatsapp(assistant, sender, "no tengo")
    summary = _until(twilio, sender, "Revisa tu solicitud")[-1]
    assert "Dirección: Av. Grecia 8735, Peñalolén (ubicación compartida)" in summary


def test_whatsapp_an_areas_procedures_are_listed_once(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    whatsapp(assistant, sender, "que tramites hay")
    wa_replies(twilio, sender, 2)
    whatsapp(assistant, sender, "los de transito")
    replies = wa_replies(twilio, sender, 3)
    time.sleep(2)
    replies = twilio.bodies_to(sender)
    assert len(replies) == 3  # one message for the area, not two
    assert replies[-1].count("Permiso de circulación") == 1 and "1. " in replies[-1]


def test_telegram_a_typed_address_takes_the_location_button_away(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    tg_post(assistant, tg_message(chat, "quiero reportar un bache"))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "¿Dónde está el bache?" in r.get("text", ""))
    tg_post(assistant, tg_message(chat, "Av. Grecia 8735"))
    asked = telegram.wait_for(
        lambda r: str(r.get("chat_id")) == str(chat) and "Cuéntanos cómo es el daño" in r.get("text", "")
    )[0]
    assert asked["reply_markup"] == {"remove_keyboard": True}

    def to_chat(record: Dict[str, Any]) -> bool:
        return str(record.get("chat_id")) == str(chat) and record.get("method") == "sendMessage"

    sent = len(telegram.matching(to_chat))
    tg_post(assistant, tg_message(chat, "un hoyo grande al medio de la calle"))
    following = telegram.wait_for(to_chat, sent + 1)[sent]
    assert "remove_keyboard" not in (following.get("reply_markup") or {})  # taken away once, not on every message


def test_telegram_typing_and_the_share_location_button(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    tg_post(assistant, tg_message(chat, "quiero reportar un bache"))
    question = telegram.wait_for(
        lambda r: str(r.get("chat_id")) == str(chat) and "¿Dónde está el bache?" in r.get("text", "")
    )[0]
    assert question["reply_markup"]["keyboard"] == [[{"text": "📍 Compartir ubicación", "request_location": True}]]
    typing = telegram.matching(lambda r: r.get("method") == "sendChatAction" and str(r.get("chat_id")) == str(chat))
    assert typing and typing[0]["action"] == "typing" and typing[0]["received_at"] <= question["received_at"]
    tg_post(assistant, tg_message(chat, location={"latitude": -33.4861, "longitude": -70.5453}))
    asked = telegram.wait_for(
        lambda r: str(r.get("chat_id")) == str(chat) and "Cuéntanos cómo es el daño" in r.get("text", "")
    )[0]
    assert asked["reply_markup"] == {"remove_keyboard": True}  # the location button is gone from the screen
    file_id = telegram.add_file(TOKENS["penalolen"], b"\xff\xd8foto", "image/jpeg")
    tg_post(assistant, tg_message(chat, photo=[{"file_id": file_id, "file_unique_id": "u", "width": 9, "height": 9}]))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "adjunto a la solicitud" in r.get("text", ""))

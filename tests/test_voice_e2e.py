"""Voice notes end to end: over the signed WhatsApp webhook and as Telegram voice updates, through
the whole assistant (``python -m bot run``), against the local stand-ins of Twilio and Telegram."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from bot.conversation_id import ConversationId
from bot.handoff.transcript import TranscriptReader
from bot.voice.speech import long_note, video_file
from tests.assistant_process import start_assistant, stop_assistant
from tests.channel_clients import (
    PENALOLEN_WA,
    TOKENS,
    channel_env,
    citizen,
    new_chat,
    tg_message,
    tg_post,
    wa_replies,
    whatsapp,
)
from tests.voice_clips import clip, require_voice


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, standins):
    require_voice()
    twilio, telegram = standins
    running = start_assistant(tmp_path_factory.mktemp("var"), channel_env(twilio, telegram))
    yield running
    stop_assistant(running)


def voice_note(assistant, twilio, sender, data, content_type="audio/ogg"):
    url = twilio.add_media(data, content_type)
    return whatsapp(assistant, sender, "", NumMedia="1", MediaContentType0=content_type, MediaUrl0=url)


def test_whatsapp_voice_note_is_understood_and_answered(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    assert voice_note(assistant, twilio, sender, clip("cuánto cuesta el permiso de circulación"))[0] == 200
    replies = wa_replies(twilio, sender, 3, timeout=90)  # what it understood, the greeting, the answer
    assert replies[0].startswith("Entendí: «") and "permiso de circulación" in replies[0].lower()
    assert "Privacidad" in replies[1]
    assert "Permiso de circulación" in replies[2] and "Costo" in replies[2]
    fetched = twilio.matching(lambda r: "media" in r)
    assert fetched and all(str(r.get("authorization", "")).startswith("Basic ") for r in fetched)  # credentials
    # Staff read the transcript as the citizen's message, with the voice note attached to play it.
    reader = TranscriptReader(f"sqlite:///{assistant['var'] / 'rasa_tracker.db'}")
    said = [t for t in reader.rasa_turns(str(ConversationId.whatsapp(PENALOLEN_WA, sender))) if t.who == "vecino"]
    reader.engine.dispose()
    assert said and "permiso de circulación" in said[0].text.lower()
    assert said[0].extra["adjuntos"][0]["kind"] == "audio"


def test_voice_note_keeps_its_place_among_text_messages(assistant, standins):
    twilio, _ = standins
    sender = citizen()
    voice_note(assistant, twilio, sender, clip("qué papeles necesito para sacar la licencia de conducir"))
    whatsapp(assistant, sender, "gracias")
    thanked = ("De nada", "Con gusto")
    twilio.wait_for(
        lambda r: r.get("To") == f"whatsapp:{sender}" and any(t in r.get("Body", "") for t in thanked), 1, 90
    )
    replies = twilio.bodies_to(sender)
    heard = next(i for i, r in enumerate(replies) if r.startswith("Entendí"))
    licence = next(i for i, r in enumerate(replies) if "Licencia de conducir" in r)
    thanks = next(i for i, r in enumerate(replies) if any(t in r for t in thanked))
    assert heard < licence < thanks, replies


def test_long_corrupt_and_video_notes_get_clear_answers(assistant, standins):
    twilio, _ = standins
    cases = [
        (long_note(600), "audio/ogg", "muy largo"),  # ten minutes
        (b"OggS" + bytes(range(256)) * 20, "audio/ogg", "dañado"),
        (video_file(), "audio/ogg", "video"),  # a video sent as audio
        (video_file(), "video/mp4", "videos"),
    ]
    for data, content_type, expected in cases:
        sender = citizen()
        voice_note(assistant, twilio, sender, data, content_type)
        reply = wa_replies(twilio, sender, 1, timeout=60)[-1]
        assert expected in reply and ("escribes" in reply or "escrito" in reply), reply


def test_telegram_voice_update_is_understood_and_answered(assistant, standins):
    _, telegram = standins
    chat = new_chat()
    data = clip("hay un hoyo muy grande en la calle frente a mi casa")
    file_id = telegram.add_file(TOKENS["penalolen"], data, "audio/ogg")
    voice = {"file_id": file_id, "file_unique_id": "u" + file_id, "duration": 3, "mime_type": "audio/ogg"}
    assert tg_post(assistant, tg_message(chat, voice={**voice, "file_size": len(data)})) == 200
    telegram.wait_for(lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), 3, timeout=90)
    texts = [r["text"] for r in telegram.sent(chat)]
    assert texts[0].startswith("Entendí: «") and "hoyo" in texts[0].lower()
    assert any("bache" in t.lower() for t in texts[1:]), texts
    assert telegram.matching(lambda r: r.get("method") == "getFile" and r.get("file_id") == file_id)
    # Over the size limit by what Telegram declares: refused before downloading anything.
    other = new_chat()
    tg_post(assistant, tg_message(other, voice={**voice, "file_size": 50_000_000}))
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(other) and "muy largo" in r.get("text", ""))


def test_ten_voice_notes_do_not_delay_another_citizens_text(assistant, standins):
    twilio, _ = standins

    def text_latency():
        sender = citizen()
        started = time.monotonic()
        whatsapp(assistant, sender, "gracias")
        twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r, 1, 30)
        return time.monotonic() - started

    alone = statistics.median(text_latency() for _ in range(3))
    senders = [citizen() for _ in range(10)]
    note = clip("cuánto cuesta el certificado de residencia")
    posts = [threading.Thread(target=voice_note, args=(assistant, twilio, s, note)) for s in senders]
    for post in posts:
        post.start()
    for post in posts:
        post.join()
    during = [text_latency() for _ in range(3)]
    assert max(during) < alone + 1.0, (alone, during)
    for sender in senders:  # and every voice note was answered
        assert wa_replies(twilio, sender, 3, timeout=120)[0].startswith("Entendí")

"""The log redaction on its own (the real processes' logs are checked in test_abuse_e2e.py)."""

import io
import logging

import pytest

from bot import log_safety
from bot.telegram_secrets import webhook_secret_for

ENV = {
    "TWILIO_AUTH_TOKEN": "token-de-prueba-twilio",
    "TELEGRAM_BOT_TOKENS": "penalolen=111:PENALOLEN",
    "TELEGRAM_WEBHOOK_SECRET": "secreto-de-webhook-de-prueba",
    "DATABASE_URL": "postgresql://asistente:clave-de-la-base@db:5432/municipal",
}


@pytest.mark.parametrize(
    "line, gone, kept",
    [
        ("HTTP Request: POST http://127.0.0.1:1/bot111:PENALOLEN/sendMessage", "PENALOLEN", "/bot***/sendMessage"),
        ("POST https://api.telegram.org/bot7654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", "AAHdq", "getMe"),
        (  # the header Telegram sends to the bot of Peñalolén, derived from the webhook secret
            "cabecera de telegram " + webhook_secret_for("secreto-de-webhook-de-prueba", "penalolen"),
            webhook_secret_for("secreto-de-webhook-de-prueba", "penalolen"),
            "cabecera de telegram ***",
        ),
        ("twilio auth token-de-prueba-twilio", "token-de-prueba-twilio", "twilio auth ***"),
        ("GET /model/parse?token=abc123&x=1", "abc123", "token=***&x=1"),
        (
            "conectando a postgresql://asistente:clave-de-la-base@db:5432/municipal",
            "clave-de-la-base",
            "asistente:***@db",
        ),
        ("turno fallido de whatsapp:+56229999999:+56987654321", "+56987654321", "+*******4321"),
        ("mi rut es 12.345.678-5", "12.345.678-5", "***-5"),
        ("el celular 9 8765 4321", "8765 4321", "****4321"),
        ("correo ana.soto@gmail.com", "ana.soto", "a***@gmail.com"),
        (
            "2026-12-01 10:03:17 INFO rasa.core: listo en 12345 ms",
            "\x00",
            "2026-12-01 10:03:17 INFO rasa.core: listo en 12345 ms",
        ),
    ],
)
def test_redact(line, gone, kept):
    redacted = log_safety.redact(line, log_safety.configured_secrets(ENV))
    assert gone not in redacted and kept in redacted, redacted


def test_install_redacts_every_handler_and_quiets_httpx():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # installed after install(), like Rasa's and Sanic's
    logger = logging.getLogger("prueba.log_safety")
    original, wrapped = logging.Formatter.format, log_safety._original_format
    try:
        log_safety.install(ENV)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            raise RuntimeError("falló https://x/bot111:PENALOLEN/sendMessage")
        except RuntimeError:
            logger.exception("vecino %s con token %s", "+56987654321", "token-de-prueba-twilio")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    finally:
        logger.removeHandler(handler)
        logging.Formatter.format, log_safety._original_format = original, wrapped
    text = stream.getvalue()
    assert "PENALOLEN" not in text and "56987654321" not in text and "token-de-prueba-twilio" not in text
    assert "RuntimeError" in text and "+*******4321" in text


def test_database_errors_do_not_quote_what_the_citizen_wrote(sqlite_db):
    """Our tables' errors are logged with their traceback: without the statement's parameters."""
    from sqlalchemy.exc import IntegrityError

    from bot.storage.tables import InboundMessageRow

    row = dict(
        channel="whatsapp",
        message_id="SM1",
        sender_id="whatsapp:+56229999999:+56987654321",
        payload={"Body": "me llamo Rosa Pérez y vivo en Los Aromos 1234"},
        status="pendiente",
        attempts=0,
    )
    with sqlite_db.session() as session:
        session.add(InboundMessageRow(**row))
    with pytest.raises(IntegrityError) as error:
        with sqlite_db.session() as session:
            session.add(InboundMessageRow(**row))
    assert "Rosa" not in str(error.value) and "56987654321" not in str(error.value)

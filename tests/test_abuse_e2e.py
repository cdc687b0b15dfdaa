"""An attacker's review, replayed against the running assistant (``python -m bot run``).

- One long message must not freeze the service: a 100 KB WhatsApp body is refused (413)
  before it is parsed; a 20,000-character message is cut to WhatsApp's 1,600 (the citizen is
  told, staff see the whole text) and meanwhile another citizen's reply is not delayed.
- A poison message (claimed again and again by restarted workers, or a turn past its time
  limit) is given up: one apology, ``fallido``, an ERROR line, and the conversation goes on.
- No bot token, Twilio auth token, signature, webhook secret or personal datum in the logs.
- Malformed Telegram updates and odd WhatsApp fields get a 4xx with a clear message, never a 500.
"""

import json
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from twilio.request_validator import RequestValidator

from bot.answers.channel import APOLOGY, CUT_NOTE
from bot.handoff.transcript import TranscriptReader
from bot.storage.tables import InboundMessageRow, utcnow
from channels.inbox import MAX_ATTEMPTS
from channels.limits import WHATSAPP_MAX_CHARS
from channels.telegram_api import TelegramSettings
from tests.assistant_process import start_assistant, stop_assistant
from tests.channel_clients import (
    AUTH_TOKEN,
    PENALOLEN_WA,
    PUBLIC_URL,
    TG_SECRET,
    TOKENS,
    channel_env,
    citizen,
    new_chat,
    tg_message,
    tg_post,
    whatsapp,
)
from tests.faults import ActionServerProxy
from tests.standins import free_port

COST_QUESTION = "cuanto cuesta el permiso de circulacion"
ENV = {"TURN_TIMEOUT_SECONDS": "6", "INBOX_RETRY_SECONDS": "2", "CHANNEL_TIMEOUT_SECONDS": "2"}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, standins):
    twilio, telegram = standins
    actions_port = free_port()
    proxy = ActionServerProxy(f"http://127.0.0.1:{actions_port}")
    var = tmp_path_factory.mktemp("var")
    running = start_assistant(
        var,
        {
            **channel_env(twilio, telegram),
            **ENV,
            "ACTIONS_PORT": str(actions_port),
            "ACTION_ENDPOINT_URL": proxy.url,
            "ACTIONS_IN_PROCESS": "0",
        },
    )
    db = create_engine(running["env"]["DATABASE_URL"], future=True)
    yield {**running, "twilio": twilio, "telegram": telegram, "proxy": proxy, "db": db}
    proxy.up()
    stop_assistant(running)
    db.dispose()
    proxy.stop()


def wa_sender_id(sender):
    return f"whatsapp:{PENALOLEN_WA}:{sender}"


def statuses(assistant, sender_id):
    with assistant["db"].connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(InboundMessageRow.status)
                .where(InboundMessageRow.sender_id == sender_id)
                .order_by(InboundMessageRow.id)
            )
        ]


def statuses_once_settled(assistant, sender_id, timeout=20):
    """The inbox statuses once no row is being processed: a turn's replies go out before its row is marked."""
    deadline = time.monotonic() + timeout
    while "procesando" in (found := statuses(assistant, sender_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def wait_bodies(twilio, sender, count, timeout=60):
    twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r, count, timeout)
    return twilio.bodies_to(sender)


def reply_latency(assistant, body="gracias"):
    """Seconds from a new citizen's webhook to the first reply reaching Twilio."""
    sender = citizen()
    started = time.monotonic()
    assert whatsapp(assistant, sender, body)[0] == 200
    wait_bodies(assistant["twilio"], sender, 1, timeout=60)
    return time.monotonic() - started


def post_raw(url, data, headers):
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def signed_form(params):
    data = urllib.parse.urlencode(params).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, params),
    }
    return data, headers


def wa_params(sender, body, **extra):
    return {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "ACprueba",
        "From": f"whatsapp:{sender}",
        "To": f"whatsapp:{PENALOLEN_WA}",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


# ---------------- one long message ----------------


def test_a_100_kb_whatsapp_body_is_refused_before_it_is_parsed(assistant):
    data, headers = signed_form(wa_params(citizen(), "a" * 100_000))
    status, body = post_raw(assistant["base"] + "/webhooks/whatsapp/webhook", data, headers)
    assert status == 413 and "demasiado grande" in json.loads(body)["error"]


def test_a_long_message_is_cut_the_citizen_told_and_nobody_else_waits(assistant):
    twilio = assistant["twilio"]
    reply_latency(assistant)  # warm up
    baseline = statistics.median(reply_latency(assistant) for _ in range(3))
    long_sender = citizen()
    # Backtracking bait (the old e-mail pattern retried from every "a") after a real question.
    text = COST_QUESTION + " " + "a" * 20_000
    assert whatsapp(assistant, long_sender, text)[0] == 200
    during = reply_latency(assistant)  # another citizen, while the long message is handled
    assert during < baseline + 1.0, f"otra conversación esperó {during:.2f} s (normal: {baseline:.2f} s)"
    replies = wait_bodies(twilio, long_sender, 3)
    assert CUT_NOTE in replies and APOLOGY not in replies
    assert any("Costo:" in r for r in replies), replies  # the first part was read and answered
    assert statuses_once_settled(assistant, wa_sender_id(long_sender)) == ["listo"]
    # Staff see the whole text in the transcript (Rasa's tracker), the assistant read the first part.
    reader = TranscriptReader(f"sqlite:///{assistant['var'] / 'rasa_tracker.db'}")
    turns = [t for t in reader.rasa_turns(wa_sender_id(long_sender)) if t.who == "vecino"]
    assert turns and turns[0].text == text
    assert 0 < turns[0].extra["leido"] <= WHATSAPP_MAX_CHARS
    reader.engine.dispose()


def test_a_long_telegram_message_is_cut_and_the_citizen_told(assistant):
    telegram, chat = assistant["telegram"], new_chat()
    assert tg_post(assistant, tg_message(chat, COST_QUESTION + " " + "muy largo " * 1_000)) == 200
    texts = [
        r["text"]
        for r in telegram.wait_for(lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), 3)
    ]
    assert texts.count(CUT_NOTE) == 1 and APOLOGY not in texts  # what the assistant makes of it is the NLU's


def test_an_oversized_telegram_body_is_refused(assistant):
    status = tg_post(assistant, tg_message(new_chat(), "x" * 200_000))
    assert status == 413


# ---------------- poison messages ----------------


def test_a_message_claimed_max_attempts_times_is_given_up_with_one_apology(assistant):
    """What a restarted replica finds after a turn froze its process MAX_ATTEMPTS times."""
    twilio, sender = assistant["twilio"], citizen()
    sid = f"SM{uuid.uuid4().hex}"
    with assistant["db"].begin() as conn:
        conn.execute(
            InboundMessageRow.__table__.insert().values(
                channel="whatsapp",
                message_id=sid,
                sender_id=wa_sender_id(sender),
                status="procesando",
                attempts=MAX_ATTEMPTS,
                payload=wa_params(sender, "hola", MessageSid=sid),
                received_at=utcnow() - timedelta(minutes=2),
                updated_at=utcnow() - timedelta(minutes=1),
            )
        )
    assert wait_bodies(twilio, sender, 1, timeout=30) == [APOLOGY]
    deadline = time.monotonic() + 10
    while statuses(assistant, wa_sender_id(sender)) != ["fallido"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert statuses(assistant, wa_sender_id(sender)) == ["fallido"]
    log = Path(assistant["var"] / "assistant.log").read_text(errors="replace")
    assert any("ERROR" in line and sid in line and "fallido" in line for line in log.splitlines())
    # Not run again, and the conversation is not blocked.
    assert whatsapp(assistant, sender, "gracias")[0] == 200
    replies = wait_bodies(twilio, sender, 2)
    time.sleep(3)
    assert twilio.bodies_to(sender).count(APOLOGY) == 1 and len(replies) >= 2


def test_a_turn_past_its_time_limit_is_not_tried_again(assistant):
    twilio, proxy, sender = assistant["twilio"], assistant["proxy"], citizen()
    proxy.slow(10)  # longer than TURN_TIMEOUT_SECONDS=6
    try:
        assert whatsapp(assistant, sender, COST_QUESTION)[0] == 200
        assert wait_bodies(twilio, sender, 1, timeout=30) == [APOLOGY]
    finally:
        proxy.up()
    deadline = time.monotonic() + 10
    while statuses(assistant, wa_sender_id(sender)) != ["fallido"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert statuses(assistant, wa_sender_id(sender)) == ["fallido"]
    time.sleep(6)  # past INBOX_RETRY_SECONDS and a few sweeps: it is not retried
    assert twilio.bodies_to(sender) == [APOLOGY]


# ---------------- malformed webhooks ----------------


def _tg_raw(assistant, raw):
    secret = TelegramSettings.from_values(",".join(f"{k}={v}" for k, v in TOKENS.items()), TG_SECRET, "").secret_for(
        "penalolen"
    )
    return post_raw(
        assistant["base"] + "/webhooks/telegram/webhook",
        raw,
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )


MALFORMED_TELEGRAM_UPDATES = [
    ("date 1e20", json.dumps(tg_message(1234, "hola", date=1e20)).encode()),
    ("date as text", json.dumps(tg_message(1234, "hola", date="ayer")).encode()),
    ("30,000 nested arrays", b'{"update_id": 5, "message": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"),
    (
        "nesting inside the message",
        json.dumps(tg_message(1234, "hola")).encode()[:-2] + b', "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}}",
    ),
    ("NaN", b'{"update_id": 5, "message": {"message_id": 1, "date": NaN, "chat": {"id": 1, "type": "private"}}}'),
    ("1e400", json.dumps(tg_message(1234, "hola")).encode().replace(b'"chat"', b'"n": 1e400, "chat"', 1)),
    ("huge update_id", json.dumps({**tg_message(1234, "hola"), "update_id": 10**40}).encode()),
    ("chat id as text", json.dumps(tg_message("no-es-numero", "hola")).encode()),
    ("chat id huge", json.dumps(tg_message(10**30, "hola")).encode()),
    ("text as a number", json.dumps(tg_message(1234, 12345)).encode()),
    ("text as an object", json.dumps(tg_message(1234, {"a": 1})).encode()),
    ("chat as a list", json.dumps({"update_id": 7, "message": {"message_id": 1, "date": 1, "chat": [1]}}).encode()),
    (
        "location without numbers",
        json.dumps(tg_message(1234, location={"latitude": "x", "longitude": []})).encode(),
    ),
    (
        "callback data as a list",
        json.dumps(
            {
                "update_id": 8,
                "callback_query": {
                    "id": "1",
                    "from": {"id": 1, "is_bot": False, "first_name": "A"},
                    "chat_instance": "1",
                    "data": [1],
                    "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}},
                },
            }
        ).encode(),
    ),
    ("invalid utf-8", b'{"update_id": 5, "message": "\xff\xfe"}'),
]


# Named by their description: the payloads carry random update ids, and pytest-xdist's workers
# must collect the same test names.
@pytest.mark.parametrize("name, raw", [pytest.param(name, raw, id=name) for name, raw in MALFORMED_TELEGRAM_UPDATES])
def test_malformed_telegram_updates_get_a_400_with_a_reason(assistant, name, raw):
    status, body = _tg_raw(assistant, raw)
    assert status == 400, (name, status, body)
    assert json.loads(body)["error"].startswith("actualización inválida"), body


def test_a_forged_button_press_gets_the_stale_button_reply(assistant):
    """Callback data is the client's to send: "b²" passes isdigit() but not int()."""
    from bot.answers.channel import STALE_BUTTON

    telegram, chat = assistant["telegram"], new_chat()
    update = {
        "update_id": int(uuid.uuid4().int % 10**9),
        "callback_query": {
            "id": "77",
            "from": {"id": chat, "is_bot": False, "first_name": "A"},
            "chat_instance": "1",
            "data": "b²",
            "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat, "type": "private"}},
        },
    }
    assert tg_post(assistant, update) == 200
    texts = [
        r["text"]
        for r in telegram.wait_for(lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), 1)
    ]
    assert texts == [STALE_BUTTON]


@pytest.mark.parametrize(
    "name, fields",
    [
        ("From without a number", {"From": "whatsapp:alguien"}),
        ("From very long", {"From": "whatsapp:+" + "5" * 5_000}),
        ("MessageSid very long", {"MessageSid": "SM" + "a" * 5_000}),
        ("MessageSid with symbols", {"MessageSid": "SM'; DROP TABLE--"}),
        ("To not WhatsApp", {"To": "sms:+56229999999"}),
    ],
)
def test_odd_whatsapp_fields_get_a_400(assistant, name, fields):
    data, headers = signed_form({**wa_params(citizen(), "hola"), **fields})
    status, body = post_raw(assistant["base"] + "/webhooks/whatsapp/webhook", data, headers)
    assert status == 400 and json.loads(body)["error"], (name, status, body)


@pytest.mark.parametrize(
    "weird",
    [
        {"Latitude": "nan", "Longitude": "inf", "NumMedia": "9" * 40, "MediaContentType0": "x" * 300},
        {"Latitude": "1e400", "Longitude": "-1e400", "NumMedia": "²"},  # "²".isdigit(), but int("²") raises
        {"NumMedia": "1" * 5000},  # more digits than int() takes
    ],
)
def test_odd_whatsapp_values_that_pass_are_handled_without_error(assistant, weird):
    twilio, sender = assistant["twilio"], citizen()
    data, headers = signed_form(wa_params(sender, "gracias", **weird))
    assert post_raw(assistant["base"] + "/webhooks/whatsapp/webhook", data, headers)[0] == 200
    replies = wait_bodies(twilio, sender, 2)
    assert APOLOGY not in replies


# ---------------- secrets and personal data in the logs ----------------


def test_no_secret_or_personal_datum_in_the_logs(assistant):
    twilio, telegram = assistant["twilio"], assistant["telegram"]
    sender, chat = citizen(), new_chat()
    typed = "mi rut es 12.345.678-5, mi celular 987654321 y mi correo vecina.secreta@gmail.com"
    params = wa_params(sender, typed)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, params)
    data, headers = signed_form(params)
    assert post_raw(assistant["base"] + "/webhooks/whatsapp/webhook", data, headers)[0] == 200
    wait_bodies(twilio, sender, 1)
    assert tg_post(assistant, tg_message(chat, "quiero hablar con una persona, mi telefono es +56 9 8765 4321")) == 200
    assert tg_post(assistant, tg_message(chat, "mi rut es 12345678-5")) == 200
    telegram.wait_for(lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), 2)
    # An invalid signature and an invalid secret are logged (as warnings): without the values.
    assert whatsapp(assistant, sender, "hola", sign=False)[0] == 403
    assert tg_post(assistant, tg_message(chat, "hola"), secret_for=None) == 403
    time.sleep(2)
    settings = TelegramSettings.from_values(",".join(f"{k}={v}" for k, v in TOKENS.items()), TG_SECRET, "")
    forbidden = {
        "token de Twilio": AUTH_TOKEN,
        "firma de Twilio": signature,
        "secreto de Telegram": TG_SECRET,
        **{f"token del bot {k}": v for k, v in TOKENS.items()},
        **{f"secreto del bot {k}": settings.secret_for(k) for k in TOKENS},
        "RUT con puntos": "12.345.678-5",
        "RUT": "12345678-5",
        "celular": "987654321",
        "celular con espacios": "9 8765 4321",
        "celular E.164": "+56987654321",
        "correo": "vecina.secreta@gmail.com",
        "número de WhatsApp del vecino": sender,
    }
    logs = {path.name: path.read_text(errors="replace") for path in Path(assistant["var"]).rglob("*.log")}
    assert logs and len(logs["assistant.log"]) > 1000  # the processes did log
    leaks = [(what, name) for what, value in forbidden.items() for name, text in logs.items() if value in text]
    assert not leaks, f"en los registros: {leaks}"

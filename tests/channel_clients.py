"""Clients of the assistant's WhatsApp and Telegram webhooks, as Twilio and Telegram call them."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Dict

from twilio.request_validator import RequestValidator

from bot.catalogue.files import load_catalogue
from bot.config import PROJECT_ROOT

AUTH_TOKEN = "token-de-prueba-twilio"
PUBLIC_URL = "https://asistente.ejemplo.cl/webhooks/whatsapp/webhook"  # as Twilio sees it, behind a proxy
_CATALOGUE = load_catalogue(PROJECT_ROOT / "catalogue")
PENALOLEN_WA = _CATALOGUE.municipalities["penalolen"].whatsapp_numbers[0]
ANGOL_WA = _CATALOGUE.municipalities["angol"].whatsapp_numbers[0]
PROVIDENCIA_WA = _CATALOGUE.municipalities["providencia"].whatsapp_numbers[0]
TOKENS = {"penalolen": "111:PENALOLEN", "angol": "222:ANGOL"}
TG_SECRET = "secreto-de-webhook-de-prueba"


def channel_env(twilio: Any, telegram: Any) -> Dict[str, str]:
    """The environment that points the assistant's channels at the stand-ins."""
    return {
        "TWILIO_ACCOUNT_SID": "ACprueba",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "WHATSAPP_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": twilio.url,
        "TELEGRAM_BOT_TOKENS": ",".join(f"{k}={v}" for k, v in TOKENS.items()),
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_BASE_URL": telegram.url,
    }


def citizen() -> str:
    return "+5699" + str(uuid.uuid4().int)[:7]


def post_form(url, params, headers):
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def whatsapp(assistant, sender, body="", to=PENALOLEN_WA, sign=True, sid=None, **extra):
    params = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": "ACprueba",
        "From": f"whatsapp:{sender}",
        "To": f"whatsapp:{to}",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    params = {k: v for k, v in params.items() if v is not None}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, params)
    return post_form(assistant["base"] + "/webhooks/whatsapp/webhook", params, headers)


def wa_replies(twilio, sender, count, timeout=60):
    twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r, count, timeout)
    return twilio.bodies_to(sender)


def tg_post(assistant, update, secret_for="penalolen", raw=None):
    from channels.telegram_api import TelegramSettings

    settings = TelegramSettings.from_values(",".join(f"{k}={v}" for k, v in TOKENS.items()), TG_SECRET, "")
    secret = settings.secret_for(secret_for) if secret_for else "incorrecto"
    data = raw if raw is not None else json.dumps(update).encode()
    request = urllib.request.Request(
        assistant["base"] + "/webhooks/telegram/webhook",
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def tg_message(chat_id, text=None, update_id=None, kind="message", **fields):
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Vecina"},
        **fields,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id or int(uuid.uuid4().int % 10**9), kind: message}


def tg_callback(chat_id, data, callback_id=None, message_id=9, update_id=None):
    """A button press as Telegram sends it: a ``callback_query`` with the button's data."""
    return {
        "update_id": update_id or int(uuid.uuid4().int % 10**9),
        "callback_query": {
            "id": callback_id or f"cb-{uuid.uuid4().hex[:6]}",
            "chat_instance": "x",
            "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Vecina"},
            "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}},
        },
    }


def new_chat():
    return int(uuid.uuid4().int % 10**9)

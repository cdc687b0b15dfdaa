"""The whole assistant as ``make run`` starts it, driven over HTTP like an integrator would.

One assistant (Rasa server with its actions, and the web process, on free ports, SQLite
in a temporary folder) serves every test in this module; stopping it checks that SIGTERM
(what Ctrl-C does for the launcher) stops every process.
"""

import json
import signal
import urllib.error
import urllib.request
import uuid

import pytest

from tests.assistant_process import start_assistant, stop_assistant

# REST integrations of this module: one free, two bound to a municipality (channels/rest.py).
REST_TOKENS = {None: "token-rest-libre-0001", "angol": "token-rest-angol-0001", "penalolen": "token-rest-penalolen-01"}
RASA_API_TOKEN = "token-api-rasa-de-prueba"


def post(url: str, body: dict, timeout: float = 60, token: str = "") -> tuple:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    tokens = ",".join(f"prueba@{town}={token}" if town else f"prueba={token}" for town, token in REST_TOKENS.items())
    running = start_assistant(
        tmp_path_factory.mktemp("var"), {"REST_CHANNEL_TOKENS": tokens, "RASA_API_TOKEN": RASA_API_TOKEN}
    )
    yield running
    stop_assistant(running)


def chat(assistant, sender: str, text: str, town: str = None) -> list:
    """One REST turn as the integration bound to ``town`` (or the free one)."""
    body = {"sender": sender, "message": text}
    status, messages = post(assistant["base"] + "/webhooks/rest/webhook", body, token=REST_TOKENS[town])
    assert status == 200, messages
    return messages


def joined(messages) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def parse(assistant, text: str) -> dict:
    status, result = post(assistant["base"] + f"/model/parse?token={RASA_API_TOKEN}", {"text": text})
    assert status == 200, result
    return result


def entities(result) -> dict:
    return {e["entity"]: e["value"] for e in result["entities"]}


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("cuanto cuesta el permiso de sircualcion", "consultar_tramite", {"tramite": "permiso-circulacion"}),
        ("mi rut es 12.345.678-5", "informar", {"rut": "12345678-5"}),
        ("soy de penalolen", "informar", {"comuna": "Peñalolén"}),
        ("mi cel es 9 8765 4321", "informar", {"telefono": "+56987654321"}),
        ("mi correo es Cata.Soto@Gmail.com", "informar", {"email": "cata.soto@gmail.com"}),
        ("en q va mi solicitud pen-7kx4m2", "consultar_estado", {"folio": "PEN-7KX4M2"}),
    ],
)
def test_model_parse_returns_normalised_entities(assistant, text, intent, expected):
    result = parse(assistant, text)
    assert result["intent"]["name"] == intent
    found = entities(result)
    for name, value in expected.items():
        assert found.get(name) == value


def test_invalid_rut_is_not_an_entity(assistant):
    assert "rut" not in entities(parse(assistant, "mi rut es 12.345.678-4"))


def test_conversation_procedure_question_with_commune_and_follow_up(assistant):
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    greeting = joined(chat(assistant, sender, "hola"))
    assert "asistente virtual" in greeting and "Privacidad" in greeting
    asked = chat(assistant, sender, "cuanto cuesta el permiso de circulacion?")
    assert "¿De qué comuna eres?" in joined(asked)
    answer = joined(chat(assistant, sender, "soy de providencia"))
    assert "Permiso de circulación en Providencia" in answer and "Costo:" in answer
    follow = joined(chat(assistant, sender, "y donde se paga?"))
    assert "Permiso de circulación en Providencia" in follow and "Dónde:" in follow
    again = joined(chat(assistant, sender, "hola"))
    assert "Privacidad" not in again  # notice only at first contact


def test_rest_conversation_in_context(assistant):
    """Through the REST channel, which keeps no buttons: the choice in words, the offer, a name that is no cancel."""
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    which = chat(assistant, sender, "consulta por la licencia", town="angol")
    assert "Renovación o control de licencia de conducir" in [b["title"] for m in which for b in m.get("buttons", [])]
    assert "Renovación o control de licencia de conducir en Angol" in joined(
        chat(assistant, sender, "se me vencio", town="angol")
    )
    other = f"vecino-{uuid.uuid4().hex[:8]}"
    offer = joined(chat(assistant, other, "cuanto cuesta el retiro de cachureos", town="penalolen"))
    assert "¿Quieres hacer la solicitud ahora" in offer and "¿Cuál es tu nombre" not in offer
    assert "¿Cuál es tu nombre" in joined(chat(assistant, other, "si", town="penalolen"))
    assert "¿Cuál es tu RUT?" in joined(chat(assistant, other, "Daniela Ortiz", town="penalolen"))


def test_an_empty_text_is_parsed_not_a_server_error(assistant):
    assert parse(assistant, "")["intent"]["name"] == "nlu_fallback"


def test_the_integration_token_chooses_municipality(assistant):
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    answer = joined(chat(assistant, sender, "q necesito pa sacar la licencia de conducir", "angol"))
    assert "en Angol" in answer and "Requisitos" in answer


def test_conversation_two_misunderstandings_offer_a_person(assistant):
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    chat(assistant, sender, "xkcd qwpz")
    second = chat(assistant, sender, "zzkq wprt")
    buttons = [b["payload"] for m in second for b in m.get("buttons", [])]
    assert "/hablar_con_funcionario" in buttons


def test_garbage_and_long_input_get_an_answer(assistant):
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    assert chat(assistant, sender, "🙂🙂🙂")
    assert chat(assistant, sender, "permiso " * 2000)
    status, _ = post(assistant["base"] + "/webhooks/rest/webhook", {"nada": 1}, token=REST_TOKENS[None])
    assert status == 400  # a malformed body is refused with a clear error
    assert chat(assistant, sender, "hola")  # still alive


@pytest.fixture(scope="module")
def guided_request(assistant):
    """A citizen fills in a whole guided request (with a question and a correction) and gets a folio."""
    import re

    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    meta = "penalolen"
    start = joined(chat(assistant, sender, "quiero pedir el retiro de un colchon, mi rut es 12.345.678-5", meta))
    assert "Te ayudo a pedir" in start and "¿Cuál es tu nombre" in start  # RUT not asked again
    for answer in ("Juan Pérez", "pasaje los aromos 1234", "cel 123"):
        reply = joined(chat(assistant, sender, answer, meta))
    assert "teléfono no parece válido" in reply
    middle = joined(chat(assistant, sender, "cuanto se demoran?", meta))
    assert "Plazo:" in middle and "Sigamos con tu solicitud" in middle
    chat(assistant, sender, "987654321", meta)
    chat(assistant, sender, "un colchon de dos plazas", meta)
    summary = joined(chat(assistant, sender, "omitir", meta))
    assert "Revisa tu solicitud" in summary and "RUT: 12345678-5" in summary
    corrected = joined(chat(assistant, sender, "no, mi correo es juan@gmail.com", meta))
    assert "Correo: juan@gmail.com" in corrected
    done = joined(chat(assistant, sender, "si", meta))
    folio = re.search(r"folio (PEN-[2-9A-Z]{6})", done)
    assert folio, done
    again = joined(chat(assistant, sender, "si", meta))  # a double tap sends nothing new
    assert "folio" not in again
    return {"folio": folio.group(1), "sender": sender}


def test_conversation_guided_request_gets_a_folio(assistant, guided_request):
    from sqlalchemy import select

    from bot.storage.db import Database
    from bot.storage.tables import RequestRow

    db = Database(f"sqlite:///{assistant['var'] / 'municipal.db'}")
    with db.session() as session:
        rows = (
            session.execute(select(RequestRow).where(RequestRow.sender_id == f"rest:prueba:{guided_request['sender']}"))
            .scalars()
            .all()
        )
    db.dispose()
    assert [(r.folio, r.procedure, r.rut, r.channel) for r in rows] == [
        (guided_request["folio"], "retiro-voluminosos", "12345678-5", "rest")
    ]
    assert rows[0].fields["email"] == "juan@gmail.com" and rows[0].fields["telefono"] == "+56987654321"


def test_status_lookup_own_and_by_folio_and_rut_after_a_staff_update(assistant, guided_request):
    from bot.storage.db import Database
    from bot.storage.tokens import create_token

    SHARED = guided_request
    meta = "penalolen"
    own = joined(chat(assistant, SHARED["sender"], "en que va mi solicitud?", meta))
    assert SHARED["folio"] in own and "recibida" in own

    db = Database(f"sqlite:///{assistant['var'] / 'municipal.db'}")
    token = create_token(db, "penalolen", "sistema-aseo")
    db.dispose()
    web = f"http://127.0.0.1:{assistant['env']['WEB_PORT']}"
    request = urllib.request.Request(
        f"{web}/api/v1/solicitudes/{SHARED['folio']}/estado",
        method="POST",
        data=json.dumps({"estado": "en_terreno", "nota": "El camión pasa el jueves"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200

    stranger = f"vecino-{uuid.uuid4().hex[:8]}"
    asked = joined(chat(assistant, stranger, "quiero saber el estado de mi solicitud", meta))
    assert "folio" in asked
    assert "RUT" in joined(chat(assistant, stranger, SHARED["folio"].lower(), meta))
    wrong = joined(chat(assistant, stranger, "11.111.111-1", meta))
    assert "No encontré una solicitud con esos datos" in wrong
    chat(assistant, stranger, "en que va mi solicitud", meta)
    chat(assistant, stranger, SHARED["folio"], meta)
    right = joined(chat(assistant, stranger, "12.345.678-5", meta))
    assert "en terreno" in right and "El camión pasa el jueves" in right and "sistema-aseo" not in right


def test_cancelled_request_sends_nothing(assistant):
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    meta = "angol"
    chat(assistant, sender, "hay una luminaria apagada en mi pasaje", meta)
    chat(assistant, sender, "los aromos con las acacias", meta)
    reply = joined(chat(assistant, sender, "cancelar", meta))
    assert "No se envió nada" in reply
    after = joined(chat(assistant, sender, "cuanto cuesta el permiso de circulacion", meta))
    assert "Permiso de circulación en Angol" in after  # back to normal conversation


def test_sigterm_stops_every_process(assistant):
    process = assistant["process"]
    web_url = f"http://127.0.0.1:{assistant['env']['WEB_PORT']}/health"
    for url in (assistant["base"] + "/", web_url):
        urllib.request.urlopen(url, timeout=10)  # both answer before
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    for url in (assistant["base"] + "/", web_url):
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=2)

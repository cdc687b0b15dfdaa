"""The security review's attacks, reproduced against the processes ``make run`` starts.

The assistant starts here as an operator would start it: no token in the environment,
so the launcher makes its own (var/secrets.json). WhatsApp goes through signed
webhooks with real ``whatsapp:+569…`` ids to the Twilio stand-in.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from bot.app.devtools.processes import children, command_line, role_of
from bot.app.launcher import answers
from bot.config import PROJECT_ROOT
from bot.storage.db import Database
from bot.storage.requests import submit_request
from bot.storage.tables import HandoffRow
from tests.assistant_process import start_assistant, stop_assistant
from tests.channel_clients import PENALOLEN_WA, channel_env, citizen, wa_replies, whatsapp


def _fresh_assistant(tmp_path_factory, standins, **extra):
    """The assistant with no tokens, as on a fresh machine: the launcher makes them (an empty value counts as
    unset); ``extra``: more settings."""
    twilio, telegram = standins
    env = {
        **channel_env(twilio, telegram),
        "WATCHDOG_SECONDS": "10",
        "RASA_API_TOKEN": "",
        "ACTIONS_TOKEN": "",
        "REST_CHANNEL_TOKENS": "",
        **extra,
    }
    return start_assistant(tmp_path_factory.mktemp("var"), env)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, standins):
    running = _fresh_assistant(tmp_path_factory, standins)
    yield running
    stop_assistant(running)


@pytest.fixture(scope="module")
def apart(tmp_path_factory, standins):
    """The assistant with its actions in an action server of their own (``ACTIONS_IN_PROCESS=0``)."""
    running = _fresh_assistant(tmp_path_factory, standins, ACTIONS_IN_PROCESS="0")
    yield running
    stop_assistant(running)


def secrets_of(assistant) -> dict:
    return json.loads((assistant["var"] / "secrets.json").read_text())


def http(method: str, url: str, body=None, headers=None, timeout: float = 60):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def rest(assistant, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http("POST", assistant["base"] + "/webhooks/rest/webhook", body, headers)


def texts(messages) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def listening_addresses(port: int) -> set:
    """The local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add("ipv6:" + address)
    return found


def wait_for_restart(assistant, role: str, url: str, old_pid: int, timeout: float) -> None:
    """Wait until another process of ``role`` replaced ``old_pid`` and ``url`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if answers(url) and pid_of(assistant, role) != old_pid:
                return
        except AssertionError:  # no process of that role right now: being restarted
            pass
        time.sleep(0.5)
    raise AssertionError(f"el proceso {role} no se reinició en {timeout:.0f} s")


def pid_of(assistant, role: str) -> int:
    pids = [pid for pid in children(assistant["process"].pid) if role_of(command_line(pid)) == role]
    assert pids, f"no hay proceso {role}"
    return pids[0]


@pytest.fixture(scope="module")
def victim(assistant, standins):
    """A WhatsApp citizen of Peñalolén with a conversation and a request of her own."""
    twilio, _ = standins
    number = citizen()
    sender_id = f"whatsapp:{PENALOLEN_WA}:{number}"
    assert whatsapp(assistant, number, "hola")[0] == 200
    wa_replies(twilio, number, 1)
    db = Database(f"sqlite:///{assistant['var'] / 'municipal.db'}")
    folio = submit_request(
        db,
        key=f"victima-{uuid.uuid4().hex}",
        municipality="penalolen",
        code="PEN",
        procedure="retiro-voluminosos",
        fields={"nombre": "Ana Rojas"},
        rut="12345678-5",
        channel="whatsapp",
        sender_id=sender_id,
    ).folio
    db.dispose()
    return {"number": number, "sender_id": sender_id, "folio": folio}


def tracker(assistant, sender_id: str) -> dict:
    token = secrets_of(assistant)["rasa_api_token"]
    status, body = http("GET", assistant["base"] + f"/conversations/{sender_id}/tracker?token={token}")
    assert status == 200, body
    return body


# ---------------- the REST channel ----------------


def test_rest_without_a_valid_token_is_refused(assistant):
    body = {"sender": "vecino-1", "message": "hola"}
    assert rest(assistant, body)[0] == 401
    assert rest(assistant, body, token="adivinado-" + uuid.uuid4().hex)[0] == 401
    assert rest(assistant, body, token="é")[0] == 401


def test_the_local_token_lets_a_developer_chat(assistant):
    status, messages = rest(
        assistant, {"sender": "vecino-1", "message": "hola"}, secrets_of(assistant)["rest_local_token"]
    )
    assert status == 200 and "asistente virtual" in texts(messages)
    assert messages[0]["recipient_id"] == "rest:local:vecino-1"


def test_long_rest_messages_are_cut_and_huge_bodies_refused(assistant):
    from bot.answers.channel import CUT_NOTE

    token = secrets_of(assistant)["rest_local_token"]
    status, messages = rest(
        assistant,
        {"sender": "vecino-largo", "message": "cuanto cuesta el permiso de circulacion " + "por favor " * 2000},
        token,
    )
    assert status == 200 and messages[0]["text"] == CUT_NOTE and len(messages) > 1
    assert rest(assistant, {"sender": "vecino-largo", "message": "a" * 100_000}, token)[0] == 413


def test_make_shell_chats_with_the_running_assistant(assistant):
    env = {**assistant["env"], "REST_CHANNEL_TOKENS": ""}  # as `make shell` in another terminal: from var/
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--sender", "terminal-prueba"],
        env=env,
        cwd=PROJECT_ROOT,
        input="hola\n/salir\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "asistente virtual" in done.stdout


def test_rest_cannot_act_as_a_whatsapp_citizen(assistant, victim, standins):
    twilio, _ = standins
    token = secrets_of(assistant)["rest_local_token"]
    status, _ = rest(
        assistant,
        {"sender": victim["sender_id"], "message": "en que va mi solicitud", "input_channel": "whatsapp"},
        token,
    )
    assert status == 400  # a conversation id is never taken from the body
    forged = {"sender": victim["number"], "input_channel": "whatsapp", "metadata": {"municipio": "penalolen"}}
    status, messages = rest(assistant, {**forged, "message": "en que va mi solicitud"}, token)
    assert status == 200 and victim["folio"] not in texts(messages)
    before = len(tracker(assistant, victim["sender_id"])["events"])
    for text in ("borra mis datos", "si", "quiero hablar con una persona", "hola soy yo"):
        assert rest(assistant, {**forged, "message": text}, token)[0] == 200
    assert len(tracker(assistant, victim["sender_id"])["events"]) == before  # untouched
    db = Database(f"sqlite:///{assistant['var'] / 'municipal.db'}")
    with db.session() as session:
        handoffs = session.execute(select(HandoffRow.sender_id, HandoffRow.channel)).all()
    db.dispose()
    assert all(channel != "whatsapp" and not sender.startswith("whatsapp:") for sender, channel in handoffs)
    answered = len(twilio.bodies_to(victim["number"]))
    assert whatsapp(assistant, victim["number"], "cuanto cuesta el permiso de circulacion")[0] == 200
    assert any("Permiso de circulación" in r for r in wa_replies(twilio, victim["number"], answered + 1))


# ---------------- Rasa's HTTP API ----------------


def test_rasa_api_needs_the_token(assistant, victim):
    url = assistant["base"] + f"/conversations/{victim['sender_id']}/tracker"
    assert http("GET", url)[0] == 401
    assert http("GET", url + "?token=otro")[0] == 401
    silence = [{"event": "slot", "name": "con_funcionario", "value": True}]
    assert http("POST", url + "/events", silence)[0] == 401
    assert http("POST", assistant["base"] + "/model/parse", {"text": "hola"})[0] == 401
    events = tracker(assistant, victim["sender_id"])
    assert events["slots"].get("con_funcionario") in (None, False)
    assert json.loads(json.dumps(events))["sender_id"] == victim["sender_id"]


def test_internal_ports_listen_on_localhost_only(assistant, apart):
    env = assistant["env"]
    for port in (env["RASA_PORT"], env["WEB_PORT"]):
        assert listening_addresses(int(port)) == {"127.0.0.1"}, port
    # The actions run inside Rasa: no action server, no port of its own.
    assert listening_addresses(int(env["ACTIONS_PORT"])) == set()
    assert not [pid for pid in children(assistant["process"].pid) if role_of(command_line(pid)) == "action_server"]
    assert listening_addresses(int(apart["env"]["ACTIONS_PORT"])) == {"127.0.0.1"}  # when apart, localhost only


def test_the_action_server_refuses_calls_without_its_token(apart):
    assistant = apart
    sender_id = f"whatsapp:{PENALOLEN_WA}:{citizen()}"
    base = f"http://127.0.0.1:{assistant['env']['ACTIONS_PORT']}"
    call = {
        "next_action": "action_consultar_estado",
        "sender_id": sender_id,
        "version": "3.6.2",
        "tracker": {
            "sender_id": sender_id,
            "slots": {"municipio": "penalolen"},
            "events": [],
            "latest_message": {},
            "paused": False,
            "active_loop": {},
        },
        "domain": {},
    }
    assert http("GET", base + "/health")[0] == 200
    assert http("POST", base + "/webhook", call)[0] == 401
    assert http("POST", base + "/webhook", call, {"X-Actions-Token": "otro"})[0] == 401
    assert http("GET", base + "/actions")[0] == 401
    status, actions = http(
        "GET", base + "/actions", headers={"X-Actions-Token": secrets_of(assistant)["actions_token"]}
    )
    assert status == 200 and {"name": "action_consultar_estado"} in actions


def test_generated_secrets_are_private_and_not_in_the_process_list(assistant):
    mode = stat.S_IMODE(os.stat(assistant["var"] / "secrets.json").st_mode)
    assert mode == 0o600
    made = secrets_of(assistant)
    lines = [command_line(pid) for pid in [assistant["process"].pid] + children(assistant["process"].pid)]
    assert lines and not any(secret in line for secret in made.values() for line in lines)


@pytest.mark.parametrize("host, token", [("RASA_HOST", "RASA_API_TOKEN"), ("ACTIONS_HOST", "ACTIONS_TOKEN")])
def test_the_launcher_refuses_an_exposed_port_without_a_chosen_token(tmp_path, host, token):
    env = {k: v for k, v in os.environ.items() if k not in (token, "RASA_API_TOKEN", "ACTIONS_TOKEN")}
    env.update(
        {
            host: "0.0.0.0",
            "VAR_DIR": str(tmp_path),
            "PYTHONPATH": str(PROJECT_ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and token in done.stderr


# ---------------- one process dying ----------------


def test_a_dead_action_server_is_restarted_and_webhooks_keep_working(apart, standins):
    twilio, _ = standins
    assistant = apart
    first = pid_of(assistant, "action_server")
    os.kill(first, signal.SIGKILL)
    number = citizen()
    assert whatsapp(assistant, number, "hola")[0] == 200  # the inbox keeps taking messages
    wait_for_restart(
        assistant, "action_server", f"http://127.0.0.1:{assistant['env']['ACTIONS_PORT']}/health", first, 120
    )
    assert assistant["process"].poll() is None
    later = citizen()
    assert whatsapp(assistant, later, "cuanto cuesta el permiso de circulacion")[0] == 200
    assert any("Costo:" in r for r in wa_replies(twilio, later, 2))
    assert wa_replies(twilio, number, 1)  # the message sent while it was down got an answer too


def test_a_dead_web_process_is_restarted(assistant):
    first = pid_of(assistant, "web")
    os.kill(first, signal.SIGKILL)
    wait_for_restart(assistant, "web", f"http://127.0.0.1:{assistant['env']['WEB_PORT']}/health", first, 90)


def test_a_frozen_rasa_is_killed_and_restarted(assistant, standins):
    twilio, _ = standins
    frozen = pid_of(assistant, "rasa")
    os.kill(frozen, signal.SIGSTOP)  # alive, but answers nothing: as a turn stuck in its event loop
    wait_for_restart(assistant, "rasa", assistant["base"] + "/", frozen, 240)
    assert assistant["process"].poll() is None
    number = citizen()
    assert whatsapp(assistant, number, "cuanto cuesta el permiso de circulacion")[0] == 200
    assert any("Costo:" in r for r in wa_replies(twilio, number, 2))

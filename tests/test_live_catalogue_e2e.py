"""A catalogue edit reaches a running assistant without training or a restart.

The whole assistant (``python -m bot run`` with the trained model in models/) is running; a
municipal IT person adds a procedure with its aliases, an alias to an existing one and a whole
municipality with its own override, runs ``python -m bot catalogue load``, and within 30 seconds
``/model/parse`` names the new procedure and a citizen gets its answer, in the new municipality.
"""

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from tests.assistant_process import start_assistant, stop_assistant

RASA_API_TOKEN = "token-api-rasa-catalogo-vivo"
REST_TOKEN = "token-rest-catalogo-vivo-01"
LIVE_WITHIN_SECONDS = 30
POOL = {
    "slug": "arriendo-piscina",
    "name": "Arriendo de la piscina municipal",
    "category": "Organizaciones Comunitarias",
    "description": "Reserva de la piscina municipal para cursos, clubes y organizaciones de la comuna.",
    "requirements": ["Cédula de identidad del responsable.", "Lista de asistentes."],
    "steps": ["Pide la reserva en la Oficina de Deportes.", "Paga en Tesorería y presenta el comprobante."],
    "cost": "$4.500 por persona",
    "place": "Oficina de Deportes",
    "response_time": "3 días hábiles",
    "aliases": ["arriendo de la piscina", "reservar la piscina", "piscina municipal", "arrendar la piscina"],
    "chat_request": False,
}
TEMUCO_COST = "$2.000 por persona, gratis para adultos mayores"


def post(url: str, body: dict, token: str = "") -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read().decode() or "null")


def procedures_parsed(assistant, text: str) -> list:
    result = post(assistant["base"] + f"/model/parse?token={RASA_API_TOKEN}", {"text": text})
    return [e["value"] for e in result["entities"] if e["entity"] == "tramite"]


def chat(assistant, sender: str, text: str) -> str:
    messages = post(assistant["base"] + "/webhooks/rest/webhook", {"sender": sender, "message": text}, REST_TOKEN)
    return "\n".join(m.get("text", "") for m in messages)


def edited_catalogue(folder: Path) -> Path:
    """The repository's catalogue plus the pool, an alias of the patent, and Temuco with its own pool price."""
    shutil.copytree(PROJECT_ROOT / "catalogue", folder)
    (folder / "procedures" / "arriendo-piscina.yml").write_text(yaml.safe_dump(POOL, allow_unicode=True))
    patent_file = folder / "procedures" / "patente-comercial.yml"
    patent = yaml.safe_load(patent_file.read_text(encoding="utf-8"))
    patent["aliases"].append("permiso pa mi minimarket")
    patent_file.write_text(yaml.safe_dump(patent, allow_unicode=True), encoding="utf-8")
    town = yaml.safe_load((folder / "municipalities" / "angol.yml").read_text(encoding="utf-8"))
    town.update(slug="temuco", name="Municipalidad de Temuco", comuna="Temuco", code="TMC", website="")
    town["channels"] = {"whatsapp": ["+56945299999"], "telegram_bot": "TemucoAsistenteBot"}
    town["procedures"] = {"overrides": {POOL["slug"]: {"cost": TEMUCO_COST}}}
    (folder / "municipalities" / "temuco.yml").write_text(yaml.safe_dump(town, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    running = start_assistant(
        tmp_path_factory.mktemp("var"),
        {"REST_CHANNEL_TOKENS": f"prueba={REST_TOKEN}", "RASA_API_TOKEN": RASA_API_TOKEN},
    )
    yield running
    stop_assistant(running)


def answered_in_temuco(assistant):
    """A new citizen asks for the pool and says they are from Temuco: the answer, if it is the pool's there."""
    sender = f"vecino-{uuid.uuid4().hex[:8]}"
    chat(assistant, sender, "cuanto sale el arriendo de la piscina")
    answer = chat(assistant, sender, "soy de temuco")
    return answer if "Arriendo de la piscina municipal en Temuco" in answer else None


def until(deadline: float, check, what: str):
    """Poll ``check`` until it returns something truthy, failing at ``deadline``."""
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: no se vio en {LIVE_WITHIN_SECONDS} s tras catalogue load"
        time.sleep(0.5)


def test_a_loaded_catalogue_edit_is_recognised_and_answered_within_30_s_without_training(assistant, tmp_path):
    model = PROJECT_ROOT / "models" / "asistente.tar.gz"
    trained_at = model.stat().st_mtime
    assert POOL["slug"] not in procedures_parsed(assistant, "cuanto sale el arriendo de la piscina")
    assert procedures_parsed(assistant, "necesito el permiso pa mi minimarket")[:1] != ["patente-comercial"]
    assert answered_in_temuco(assistant) is None

    folder = edited_catalogue(tmp_path / "catalogue")
    load = subprocess.run(
        [sys.executable, "-m", "bot", "catalogue", "load", "--dir", str(folder)],
        env=assistant["env"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert load.returncode == 0, load.stdout + load.stderr
    assert "Catálogo cargado" in load.stdout
    deadline = time.monotonic() + LIVE_WITHIN_SECONDS

    until(
        deadline,
        lambda: POOL["slug"] in procedures_parsed(assistant, "cuanto sale el arriendo de la piscina"),
        "el trámite nuevo en /model/parse",
    )
    assert procedures_parsed(assistant, "quiero reservar la piscina municipal pal sabado")[0] == POOL["slug"]
    assert procedures_parsed(assistant, "necesito el permiso pa mi minimarket")[0] == "patente-comercial"
    assert procedures_parsed(assistant, "cuanto cuesta el permiso de circulacion") == ["permiso-circulacion"]

    answer = until(
        deadline, lambda: answered_in_temuco(assistant), "la respuesta del trámite nuevo en la municipalidad nueva"
    )
    assert TEMUCO_COST in answer and POOL["cost"] not in answer  # Temuco's own price, from its override
    assert model.stat().st_mtime == trained_at  # nothing was trained
    assert assistant["process"].poll() is None  # nor restarted

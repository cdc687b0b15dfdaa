"""Attacks on the running assistant, through signed WhatsApp webhooks and the back-office API.

- Status lookups by folio + RUT cannot be enumerated by switching chats: failures against one
  folio from many WhatsApp numbers block that folio, and "borra mis datos" does not reset a
  chat's own counter.
- "borra mis datos" erases the request's personal data everywhere, including a status note
  with a name and a phone written through the back-office API and who wrote it, and the
  conversation stays deleted once the reply has come.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

import pytest
from sqlalchemy import select

from bot.answers.status import BLOCKED, FOLIO_BLOCKED, NOT_FOUND
from bot.handoff.transcript import TranscriptReader
from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.lookups import FOLIO_MAX_FAILURES, SENDER_MAX_FAILURES
from bot.storage.requests import submit_request
from bot.storage.tables import RequestRow
from bot.storage.tokens import create_token
from tests.channel_clients import PENALOLEN_WA, citizen, whatsapp

FOLIO = re.compile(r"\b(PEN-[2-9A-Z]{6})\b")
FORM_RUT = "15.678.901-1"
ASK_RUT = "RUT"


@pytest.fixture(scope="module")
def db(assistant):
    database = Database(assistant["env"]["DATABASE_URL"])
    yield database
    database.dispose()


def say(assistant, twilio, number: str, text: str, expect: str, timeout: float = 60) -> List[str]:
    """Send ``text`` from ``number`` and wait for a reply containing ``expect``; returns the new replies."""
    before = len(twilio.bodies_to(number))
    assert whatsapp(assistant, number, text)[0] == 200
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = twilio.bodies_to(number)[before:]
        if any(expect in body for body in new):
            time.sleep(0.3)  # the rest of the turn
            return twilio.bodies_to(number)[before:]
        time.sleep(0.2)
    pytest.fail(f"sin respuesta con {expect!r} a {text!r}; recibido: {twilio.bodies_to(number)[before:]}")


def failed_lookup(assistant, twilio, number: str, folio: str) -> None:
    """A lookup of a folio that is not found with RUT 11.111.111-1. Right after another lookup not found, the
    new folio is looked up with the RUT just given (actions/requests.py), so it is not asked again."""
    replies = say(assistant, twilio, number, f"en que va mi solicitud {folio}", "")
    if any(NOT_FOUND in reply for reply in replies):
        return
    assert any(ASK_RUT in reply for reply in replies), replies
    assert NOT_FOUND in say(assistant, twilio, number, "11.111.111-1", NOT_FOUND)


def conversation(number: str) -> str:
    return f"whatsapp:{PENALOLEN_WA}:{number}"


def erase(assistant, twilio, number: str) -> None:
    say(assistant, twilio, number, "borra mis datos", "?")
    say(assistant, twilio, number, "si", "borr")


def test_switching_chats_or_deleting_my_data_does_not_reset_the_lookup_limit(assistant, standins, db):
    twilio, _ = standins
    owner = citizen()
    folio = submit_request(
        db,
        key="dueña",
        municipality="penalolen",
        code="PEN",
        procedure="retiro-voluminosos",
        fields={"nombre": "Rosa Díaz"},
        rut="12345678-5",
        channel="whatsapp",
        sender_id=conversation(owner),
    ).folio
    # A new WhatsApp number for every guess of the RUT of one folio.
    for _ in range(FOLIO_MAX_FAILURES):
        failed_lookup(assistant, twilio, citizen(), folio)
    replies = say(assistant, twilio, citizen(), f"en que va mi solicitud {folio}", "seguridad")
    assert FOLIO_BLOCKED in replies and not any("Historial" in r for r in replies)
    # One chat that failed its lookups asks to delete its data, then tries again with a right folio and RUT.
    other = submit_request(
        db,
        key="otra",
        municipality="penalolen",
        code="PEN",
        procedure="retiro-voluminosos",
        fields={},
        rut="12345678-5",
        channel="whatsapp",
        sender_id=conversation(citizen()),
    ).folio
    guesser = citizen()
    for attempt in range(SENDER_MAX_FAILURES):
        failed_lookup(assistant, twilio, guesser, f"PEN-{'ZZZZZ' + 'ABCDEFGH'[attempt]}")
    erase(assistant, twilio, guesser)
    replies = say(assistant, twilio, guesser, f"en que va mi solicitud {other}", "seguridad")
    assert BLOCKED in replies and not any(other in r and "Historial" in r for r in replies)
    # The owner's own chat still sees the request.
    assert any("Historial" in r for r in say(assistant, twilio, owner, f"en que va mi solicitud {folio}", "Historial"))


def api(assistant, method: str, path: str, token: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Any]:
    url = f"http://127.0.0.1:{assistant['env']['WEB_PORT']}/api/v1{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def everything_stored(db: Database) -> str:
    """Every row of every table of ours, as text."""
    rows = []
    with db.engine.connect() as conn:
        for table in migrate.metadata().sorted_tables:
            rows += [f"{table.name}: {tuple(row)}" for row in conn.execute(table.select())]
    return "\n".join(rows)


def test_deleting_my_data_erases_status_notes_and_authors(assistant, standins, db):
    twilio, _ = standins
    number = citizen()
    say(assistant, twilio, number, "quiero pedir el retiro de un colchon", "nombre")
    for text, expect in (("Rosa Elena Díaz", "RUT"), (FORM_RUT, "dirección"), ("pasaje los aromos 1234", "")):
        say(assistant, twilio, number, text, expect)
    for text in ("9 5000 1234", "un colchon de dos plazas", "omitir"):
        whatsapp(assistant, number, text)
        time.sleep(2.5)
    replies = say(assistant, twilio, number, "si", "PEN-")
    folio = FOLIO.search("\n".join(replies)).group(1)

    token = create_token(db, "penalolen", "sistema-oirs")
    note = "Contactada María Pérez al +56 9 7311 2468"
    status, body = api(
        assistant,
        "POST",
        f"/solicitudes/{folio}/estado",
        token,
        {"estado": "en_terreno", "nota": note, "autor": "Juan Soto"},
    )
    assert status == 200, body
    status, body = api(assistant, "GET", f"/solicitudes/{folio}", token)
    assert status == 200 and any(h["note"] == note and "Juan Soto" in h["changed_by"] for h in body["history"])

    erase(assistant, twilio, number)
    # The reply comes once Rasa has saved the turn: the conversation stays deleted, no wait needed.
    reader = TranscriptReader(f"sqlite:///{assistant['var'] / 'rasa_tracker.db'}")
    assert reader.rasa_turns(conversation(number)) == []
    reader.engine.dispose()
    time.sleep(1)
    status, body = api(assistant, "GET", f"/solicitudes/{folio}", token)
    assert status == 200 and body["status"] == "en_terreno" and body["procedure"] == "retiro-voluminosos"
    shown = json.dumps(body, ensure_ascii=False)
    for secret in ("María Pérez", "7311", "Juan Soto", "Rosa", "15678901", "aromos", number):
        assert secret not in shown, secret
    assert (
        body["rut"] is None
        and body["fields"] == {}
        and [h["status"] for h in body["history"]] == ["recibida", "en_terreno"]
    )
    stored = everything_stored(db)
    for secret in (
        "María Pérez",
        "7311 2468",
        "Juan Soto",
        "Rosa Elena",
        "15678901",
        "15.678.901",
        "aromos",
        number[1:],
    ):
        assert secret not in stored, (secret, [line for line in stored.splitlines() if secret in line])
    with db.session() as session:
        assert session.execute(select(RequestRow.folio).where(RequestRow.folio == folio)).scalar() == folio

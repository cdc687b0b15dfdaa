"""The live queue of the staff console over a real server: its JSON (scoped per municipality, 401 without a
session), the citizen's channel name and last message, unread counts, the first-response clock (SLA) in
office hours with a frozen clock across a lunch break, a weekend and holidays, the office state, the
department filter, assignment and the warning before taking another staffer's conversation (audited), and
the automatic assignment."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update

from bot.app.web.console_mask import masked_identity
from bot.handoff import auto_assign, service
from bot.message_metadata import PROFILE_NAME_KEY, profile_name
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.staff import accounts, sessions
from bot.storage.tables import HandoffRow, SessionRow, StaffMessageRow, utcnow
from tests import console_fixtures
from tests.test_console import CITIZEN, PASSWORD, TG_SENDER, WA_SENDER, add_handoff, ago, audits, handoff

# The fixtures of the console over a real server (tests/console_fixtures.py), with a clock the tests can set.
db, reader, twilio, rasa, world, browsers, telegram, clock, server = console_fixtures.SHARED

SANTIAGO = ZoneInfo("America/Santiago")
NEW_SENDER = "whatsapp:+56229999999:+56911110000"
ANGOL_SENDER = "telegram:angol:99990001"


def local(*args: int) -> datetime:
    """A moment of Santiago's clock, in UTC (as the tables keep it)."""
    return datetime(*args, tzinfo=SANTIAGO).astimezone(timezone.utc)


def say(reader, sender: str, text: str, at: datetime, name: Optional[str] = None) -> None:
    """A citizen message stored as Rasa's tracker store does, with the channel's metadata."""
    metadata: Dict[str, Any] = {PROFILE_NAME_KEY: name} if name else {}
    data = {"event": "user", "timestamp": at.timestamp(), "text": text, "metadata": metadata, "parse_data": {}}
    with reader.engine.begin() as conn:
        conn.execute(
            insert(RASA_EVENTS).values(
                sender_id=sender, type_name="user", timestamp=at.timestamp(), data=json.dumps(data)
            )
        )


async def queue_json(browser, area: str = "") -> Dict[str, Any]:
    response, text = await browser.get("/consola/cola.json" + (f"?area={area}" if area else ""))
    assert response.status == 200, text
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(text)


def row(data: Dict[str, Any], handoff_id: int) -> Dict[str, Any]:
    found = [r for r in data["filas"] if r["id"] == handoff_id]
    assert found, data
    return found[0]


# --- The JSON and the page ----------------------------------------------------------------------


async def test_queue_json_is_scoped_to_the_municipality(browsers, world):
    ana, pedro, nobody = await browsers("ana"), await browsers("pedro"), await browsers()
    response, text = await nobody.get("/consola/cola.json")
    assert response.status == 401 and "Ana" not in text and WA_SENDER not in text
    response, _ = await nobody.get("/consola")
    assert response.status == 303 and response.headers["Location"] == "/consola/ingresar"
    data = await queue_json(ana)
    assert {r["id"] for r in data["filas"]} == {world["wa"], world["rest"]}
    assert data["abiertas"] == 2 and data["resumen"].startswith("2 conversaciones abiertas")
    whole = json.dumps(data, ensure_ascii=False)
    assert TG_SENDER not in whole and "necesito hablar con alguien de angol" not in whole
    for secret in ("+56987654321", "Ana Soto", "12345678-5", "ana.soto@gmail.com"):
        assert secret not in whole  # masked as in every list
    wa = row(data, world["wa"])
    assert wa["vecino"] == masked_identity(WA_SENDER, handoff(world["db"], world["wa"]).form_data)
    assert "+56 9 **** 4321" in wa["vecino"] and wa["canal"] == "whatsapp" and wa["tramite"] == "permiso-circulacion"
    assert wa["ultimo_mensaje"] == "<script>alert(1)</script>"  # data as is; its HTML is escaped
    assert "&lt;script&gt;" in wa["html"] and "<script" not in wa["html"]
    data = await queue_json(pedro)
    assert [r["id"] for r in data["filas"]] == [world["tg"]]
    assert "necesito hablar con alguien de angol" in row(data, world["tg"])["html"]


async def test_the_last_message_of_a_button_press_is_the_options_text(browsers, world):
    from tests.test_console import COST_PAYLOAD, add_event

    ana = await browsers("ana")
    add_event(
        world["reader"],
        WA_SENDER,
        "bot",
        "¿Qué quieres saber del permiso?",
        utcnow(),
        buttons=[("Cuánto cuesta", COST_PAYLOAD), ("Requisitos", "/consultar_tramite")],
    )
    say(world["reader"], WA_SENDER, COST_PAYLOAD, utcnow())
    wa = row(await queue_json(ana), world["wa"])
    assert wa["ultimo_mensaje"] == "Cuánto cuesta" and "Cuánto cuesta" in wa["html"]
    _, page = await ana.get("/consola")
    assert "Cuánto cuesta" in page and "/consultar_tramite" not in page and "aspecto" not in page
    say(world["reader"], WA_SENDER, "/hablar_con_funcionario", utcnow())  # offered by no stored message
    wa = row(await queue_json(ana), world["wa"])
    assert wa["ultimo_mensaje"] == "(eligió una opción del menú)"


async def test_queue_page_allows_its_own_script_only(browsers, world):
    ana = await browsers("ana")
    response, text = await ana.get("/consola")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'")
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert '<script src="/consola/estatico/queue.js" defer></script>' in text
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in text
    assert 'data-fuente="/consola/cola.json"' in text
    assert re.search(r"<script(?![^>]*\bsrc=)", text) is None  # no inline script
    response, script = await ana.get("/consola/estatico/queue.js")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/javascript")
    assert "data-fuente" in script and "document.title" in script
    assert "eval(" not in script and "new Function" not in script
    # The title counts the conversations nobody has answered (the WhatsApp one has a staff reply).
    assert "<title>(1) Cola · Consola municipal</title>" in text
    assert (await queue_json(ana))["titulo"] == "(1) Cola · Consola municipal"


async def test_name_last_message_and_unread_counts(browsers, world):
    db, reader = world["db"], world["reader"]
    say(reader, NEW_SENDER, "hola quiero hablar con alguien", ago(minutes=11), name="Carla")
    new = add_handoff(db, "penalolen", NEW_SENDER, "whatsapp", ago(minutes=10), procedure="permiso-circulacion")
    say(reader, NEW_SENDER, "hola??", ago(minutes=9), name="Carla")
    say(reader, NEW_SENDER, "mi rut es 12.345.678-5 y sigo esperando", ago(minutes=8), name="Carla")
    ana, jefa = await browsers("ana"), await browsers("jefa")
    entry = row(await queue_json(ana), new)
    assert entry["nombre"] == "Carla" and entry["canal"] == "whatsapp" and entry["sin_leer"] == 2
    assert entry["ultimo_mensaje"] == "mi rut es 12.***.***-5 y sigo esperando"  # masked
    assert "Carla · " in entry["html"] and "2 mensajes sin leer" in entry["html"]
    _, page = await ana.get("/consola")
    assert "2 mensajes sin leer" in page and "mi rut es 12.***.***-5 y sigo esperando" in page
    # Opening the conversation reads it for that staffer only.
    assert (await ana.get(f"/consola/conversacion/{new}"))[0].status == 200
    assert row(await queue_json(ana), new)["sin_leer"] == 0
    assert "sin leer" not in row(await queue_json(ana), new)["html"]
    assert row(await queue_json(jefa), new)["sin_leer"] == 2
    say(reader, NEW_SENDER, "aló", utcnow(), name="Carla")  # after the view, before the reply
    assert row(await queue_json(ana), new)["sin_leer"] == 1
    assert row(await queue_json(jefa), new)["sin_leer"] == 3
    assert row(await queue_json(ana), new)["ultimo_mensaje"] == "aló"
    # A staff reply reads them for everyone, and stops the waiting clock.
    response, _ = await jefa.post(f"/consola/conversacion/{new}/responder", {"texto": "Hola Carla, te atiendo."})
    assert response.status == 303
    for browser in (ana, jefa):
        entry = row(await queue_json(browser), new)
        assert entry["sin_leer"] == 0 and entry["sla"] == "respondida"
    # An empty name is no name; a long one is cut; control characters go.
    assert profile_name("  ") is None and profile_name(None) is None
    assert profile_name("Ana\x00\n María") == "Ana María" and len(profile_name("x" * 500) or "") == 60


# --- The SLA clock (Angol: lun-jue 08:30-13:30, 14:30-17:00; vie 08:30-13:30, 14:30-16:00) -------


async def _angol_entry(pedro, clock: console_fixtures.Clock, now: datetime, handoff_id: int) -> Dict[str, Any]:
    clock.frozen = now
    data = await queue_json(pedro)
    return {**row(data, handoff_id), "horario": data["horario"], "titulo": data["titulo"]}


async def test_sla_across_the_lunch_break(browsers, world, clock):
    created = local(2026, 3, 9, 13, 20)  # a Monday, 10 office minutes before lunch
    angol = add_handoff(world["db"], "angol", ANGOL_SENDER, "telegram", created)
    pedro = await browsers("pedro")
    entry = await _angol_entry(pedro, clock, local(2026, 3, 9, 13, 25), angol)
    assert (entry["sla"], entry["minutos_en_horario"]) == ("a_tiempo", 5.0)
    assert "A tiempo: 5 min de horario sin respuesta (plazo 15 min)" in entry["html"]
    assert entry["horario"]["estado"] == "abierta"
    entry = await _angol_entry(pedro, clock, local(2026, 3, 9, 14, 20), angol)  # an hour later, at lunch
    assert (entry["sla"], entry["minutos_en_horario"], entry["espera_minutos"]) == ("por_vencer", 10.0, 60)
    assert "Por vencer" in entry["html"] and 'class="conversacion sla-por_vencer"' in entry["html"]
    assert entry["horario"] == {
        "estado": "colacion",
        "texto": "Hora de colación: el plazo de primera respuesta se detiene hasta las 14:30.",
    }
    entry = await _angol_entry(pedro, clock, local(2026, 3, 9, 14, 36), angol)
    assert (entry["sla"], entry["minutos_en_horario"]) == ("atrasada", 16.0)
    _, page = await pedro.get("/consola")
    assert "Atrasada: 16 min de horario sin respuesta (plazo 15 min)" in page
    assert "Oficina abierta: corre el plazo de primera respuesta" in page


async def test_sla_across_a_weekend_until_the_first_reply(browsers, world, clock, monkeypatch):
    monkeypatch.setenv("CONSOLE_SLA_MINUTES", "20")
    created = local(2026, 3, 13, 15, 50)  # a Friday, 10 minutes before closing
    angol = add_handoff(world["db"], "angol", ANGOL_SENDER, "telegram", created)
    pedro = await browsers("pedro")
    entry = await _angol_entry(pedro, clock, local(2026, 3, 14, 11, 0), angol)  # Saturday
    assert (entry["sla"], entry["minutos_en_horario"]) == ("a_tiempo", 10.0)
    assert entry["horario"] == {
        "estado": "cerrada",
        "texto": "Oficina cerrada: el plazo de primera respuesta se detiene hasta el lunes 16-03 a las 08:30.",
    }
    entry = await _angol_entry(pedro, clock, local(2026, 3, 16, 8, 34), angol)  # Monday morning
    assert (entry["sla"], entry["minutos_en_horario"]) == ("por_vencer", 14.0)
    entry = await _angol_entry(pedro, clock, local(2026, 3, 16, 8, 41), angol)
    assert (entry["sla"], entry["minutos_en_horario"]) == ("atrasada", 21.0)
    assert "(plazo 20 min)" in entry["html"] and entry["titulo"].startswith("(2) Cola")
    with world["db"].session() as session:  # the first reply, Monday 08:45: the clock stops there
        session.add(
            StaffMessageRow(
                handoff_id=angol,
                sender_id=ANGOL_SENDER,
                staff="pedro",
                text="Hola, te atiendo.",
                delivered="enviado",
                created_at=local(2026, 3, 16, 8, 45),
            )
        )
    entry = await _angol_entry(pedro, clock, local(2026, 3, 16, 11, 0), angol)
    assert (entry["sla"], entry["minutos_en_horario"]) == ("respondida", 25.0)
    assert "Respondida tras 25 min de horario" in entry["html"] and entry["titulo"].startswith("(1) Cola")


async def test_holidays_do_not_count(browsers, world, clock):
    created = local(2026, 9, 17, 16, 50)  # Thursday before Fiestas Patrias (18 and 19 September)
    angol = add_handoff(world["db"], "angol", ANGOL_SENDER, "telegram", created)
    pedro = await browsers("pedro")
    entry = await _angol_entry(pedro, clock, local(2026, 9, 18, 10, 0), angol)
    assert (entry["sla"], entry["minutos_en_horario"]) == ("por_vencer", 10.0)
    assert entry["horario"]["estado"] == "feriado"
    assert entry["horario"]["texto"].endswith("hasta el lunes 21-09 a las 08:30.")
    entry = await _angol_entry(pedro, clock, local(2026, 9, 21, 8, 35), angol)  # Monday: 10 + 5
    assert (entry["sla"], entry["minutos_en_horario"]) == ("por_vencer", 15.0)
    entry = await _angol_entry(pedro, clock, local(2026, 9, 21, 8, 36), angol)
    assert (entry["sla"], entry["minutos_en_horario"]) == ("atrasada", 16.0)


# --- Department filter --------------------------------------------------------------------------


async def test_department_filter(browsers, world):
    ana = await browsers("ana")
    _, page = await ana.get("/consola")
    assert 'href="/consola" aria-current="page">Todos (2)</a>' in page
    assert 'href="/consola?area=Tr%C3%A1nsito">Tránsito (1)</a>' in page and ">Obras (1)</a>" in page
    assert ">Aseo y Ornato (0)</a>" in page
    _, page = await ana.get("/consola?area=Tr%C3%A1nsito")
    assert f"/consola/conversacion/{world['wa']}" in page and f"/consola/conversacion/{world['rest']}" not in page
    assert 'aria-current="page">Tránsito (1)</a>' in page and "1 conversación abierta" in page
    assert 'data-fuente="/consola/cola.json?area=Tr%C3%A1nsito"' in page
    data = await queue_json(ana, "Obras")
    assert [r["id"] for r in data["filas"]] == [world["rest"]] and data["area"] == "Obras"
    assert row(data, world["rest"])["area"] == "Obras"
    data = await queue_json(ana, "Nada")  # an unknown department is every one
    assert {r["id"] for r in data["filas"]} == {world["wa"], world["rest"]} and data["area"] == ""


# --- Assignment and the takeover warning --------------------------------------------------------


async def test_take_and_the_warning_before_taking_another_staffers_conversation(browsers, world, rasa):
    db, wa = world["db"], world["wa"]
    accounts.create_staff(db, "penalolen", "luis", "Luis Rojas", PASSWORD)
    ana, jefa, luis = await browsers("ana"), await browsers("jefa"), await browsers("luis")
    html = row(await queue_json(jefa), wa)["html"]
    assert ">Tomar</button>" in html and 'Atiende: <span class="atiende">Nadie</span>' in html
    response, _ = await ana.post(f"/consola/conversacion/{wa}/tomar", {})
    assert response.status == 303 and handoff(db, wa).assigned_to == "ana"
    assert [(a.staff, a.detail) for a in audits(db, "tomar")] == [("ana", "a ana")]
    # Others see who attends it and "Reasignar", never "Tomar"; Ana sees it is hers.
    html = row(await queue_json(jefa), wa)["html"]
    assert ">Tomar</button>" not in html and ">Reasignar</button>" in html
    assert 'Atiende: <span class="atiende">Ana Pérez</span>' in html
    html = row(await queue_json(ana), wa)["html"]
    assert 'Atiende: <span class="atiende">Tú</span>' in html and "Reasignar" not in html and ">Tomar<" not in html
    # Taking it shows the warning and changes nothing.
    response, page = await jefa.post(f"/consola/conversacion/{wa}/tomar", {})
    assert response.status == 409
    assert "Ana Pérez está atendiendo esta conversación. ¿Tomarla de todos modos?" in page
    assert 'name="actual" value="ana"' in page and f'name="csrf" value="{jefa.csrf}"' in page
    assert handoff(db, wa).assigned_to == "ana" and audits(db, "reasignar") == []
    # Luis confirms first; Marta's confirmation (naming Ana) warns again, now naming Luis.
    response, _ = await luis.post(f"/consola/conversacion/{wa}/tomar", {"actual": "ana"})
    assert response.status == 303 and handoff(db, wa).assigned_to == "luis"
    response, page = await jefa.post(f"/consola/conversacion/{wa}/tomar", {"actual": "ana"})
    assert response.status == 409 and "Luis Rojas está atendiendo esta conversación" in page
    assert handoff(db, wa).assigned_to == "luis"
    response, _ = await jefa.post(f"/consola/conversacion/{wa}/tomar", {"actual": "luis"})
    assert response.status == 303 and handoff(db, wa).assigned_to == "jefa"
    assert [(a.staff, a.handoff_id, a.detail) for a in audits(db, "reasignar")] == [
        ("luis", wa, "de ana a luis"),
        ("jefa", wa, "de luis a jefa"),
    ]
    # The conversation page offers "Reasignar" too, through the same warning.
    _, page = await ana.get(f"/consola/conversacion/{wa}")
    assert ">Reasignar</button>" in page
    # The confirmation needs the session's CSRF token like every form.
    assert (await ana.post(f"/consola/conversacion/{wa}/tomar", {"actual": "jefa"}, csrf=None))[0].status == 403
    assert handoff(db, wa).assigned_to == "jefa"


async def test_the_warning_before_replying_to_a_conversation_another_staffer_attends(browsers, world, twilio, rasa):
    db, wa = world["db"], world["wa"]
    ana, jefa = await browsers("ana"), await browsers("jefa")
    service.assign_handoff(db, "penalolen", wa, "jefa", "jefa")
    draft = "Hola, le escribo de la <b>municipalidad</b>."
    response, page = await ana.post(f"/consola/conversacion/{wa}/responder", {"texto": draft})
    assert response.status == 409
    assert "Marta Jefa está atendiendo esta conversación. ¿Enviar tu respuesta de todos modos?" in page
    assert "junto a los de Marta Jefa, que sigue a cargo" in page and "deja de tenerla a su cargo" not in page
    assert f'action="/consola/conversacion/{wa}/responder"' in page and 'name="actual" value="jefa"' in page
    assert 'name="texto" value="Hola, le escribo de la &lt;b&gt;municipalidad&lt;/b&gt;."' in page  # kept
    assert twilio.bodies_to(CITIZEN) == [] and audits(db, "responder") == []
    # Confirmed: sent, and Marta still attends it.
    response, _ = await ana.post(f"/consola/conversacion/{wa}/responder", {"texto": draft, "actual": "jefa"})
    assert response.status == 303 and "aviso=enviado" in response.headers["Location"]
    assert twilio.bodies_to(CITIZEN) == [draft]
    assert handoff(db, wa).assigned_to == "jefa" and handoff(db, wa).status == "atendiendo"
    assert [(a.staff, a.detail) for a in audits(db, "responder")] == [("ana", "la atiende jefa")]
    # Whoever attends it replies without a warning, and a waiting conversation is simply taken.
    response, _ = await jefa.post(f"/consola/conversacion/{wa}/responder", {"texto": "Sigo yo."})
    assert response.status == 303 and twilio.bodies_to(CITIZEN) == [draft, "Sigo yo."]
    # A confirmation naming someone who no longer attends it warns again, naming who does now.
    service.assign_handoff(db, "penalolen", wa, "jefa", "ana", replacing="jefa")
    luis = accounts.create_staff(db, "penalolen", "luis", "Luis Rojas", PASSWORD)
    response, page = await (await browsers(luis.username)).post(
        f"/consola/conversacion/{wa}/responder", {"texto": "Hola", "actual": "jefa"}
    )
    assert response.status == 409 and "Ana Pérez está atendiendo esta conversación" in page
    assert twilio.bodies_to(CITIZEN) == [draft, "Sigo yo."]


async def test_assign_to_a_named_agent(browsers, world, rasa):
    db, wa = world["db"], world["wa"]
    accounts.create_staff(db, "penalolen", "luis", "Luis Rojas", PASSWORD)
    jefa, pedro = await browsers("jefa"), await browsers("pedro")
    html = row(await queue_json(jefa), wa)["html"]
    assert f'action="/consola/conversacion/{wa}/asignar"' in html
    assert '<option value="ana">Ana Pérez</option>' in html and '<option value="luis">Luis Rojas</option>' in html
    assert 'value="ex"' not in html and 'value="pedro"' not in html  # inactive, another municipality
    response, _ = await jefa.post(f"/consola/conversacion/{wa}/asignar", {"agente": "ana"})
    assert response.status == 303 and response.headers["Location"] == "/consola?aviso=asignada"
    row_now = handoff(db, wa)
    assert (row_now.status, row_now.assigned_to) == ("atendiendo", "ana") and rasa.switches(WA_SENDER) == [True]
    assert [(a.staff, a.detail) for a in audits(db, "asignar")] == [("jefa", "a ana")]
    _, page = await jefa.get("/consola?aviso=asignada")
    assert "Conversación asignada" in page
    for agent in ("ex", "pedro", "nadie", ""):  # only active staff of the municipality
        response, _ = await jefa.post(f"/consola/conversacion/{wa}/asignar", {"agente": agent})
        assert response.headers["Location"] == "/consola?aviso=sin_agente", agent
    assert handoff(db, wa).assigned_to == "ana"
    response, _ = await pedro.post(f"/consola/conversacion/{wa}/asignar", {"agente": "pedro"})
    assert response.status == 404 and handoff(db, wa).assigned_to == "ana"
    # Ana attends it: giving it to Luis warns first, then reassigns (audited).
    response, page = await jefa.post(f"/consola/conversacion/{wa}/asignar", {"agente": "luis"})
    assert response.status == 409 and "Ana Pérez está atendiendo esta conversación. ¿Asignarla a Luis Rojas" in page
    assert 'name="agente" value="luis"' in page and handoff(db, wa).assigned_to == "ana"
    response, _ = await jefa.post(f"/consola/conversacion/{wa}/asignar", {"agente": "luis", "actual": "ana"})
    assert response.status == 303 and handoff(db, wa).assigned_to == "luis"
    assert [(a.staff, a.detail) for a in audits(db, "reasignar")] == [("jefa", "de ana a luis")]


# --- Automatic assignment -----------------------------------------------------------------------


def _on_duty(db, username: str) -> None:
    staffer = next(s for s in accounts.list_staff(db, "penalolen") if s.username == username)
    sessions.create_session(db, staffer)


def _waiting(db, count: int, first: int = 0) -> List[int]:
    return [
        add_handoff(db, "penalolen", f"whatsapp:+56229999999:+5699000000{i}", "whatsapp", ago(minutes=30 - i))
        for i in range(first, first + count)
    ]


def test_auto_assignment_gives_the_oldest_to_the_least_busy_agent_on_duty(world):
    db = world["db"]
    accounts.create_staff(db, "penalolen", "luis", "Luis Rojas", PASSWORD)
    accounts.create_staff(db, "penalolen", "sofia", "Sofía Díaz", PASSWORD)
    with db.session() as session:  # the world's two open handoffs: Ana already attends one
        session.execute(
            update(HandoffRow).where(HandoffRow.id == world["wa"]).values(status="atendiendo", assigned_to="ana")
        )
        session.execute(update(HandoffRow).where(HandoffRow.id == world["rest"]).values(status="cerrada"))
    first, second, third = _waiting(db, 3)
    assert auto_assign.assign_waiting(db, "penalolen", capacity=2) == []  # nobody on duty
    for username in ("ana", "luis", "sofia"):
        _on_duty(db, username)
    with db.session() as session:  # Sofía's session went idle: she is not on duty
        sofia = next(s for s in accounts.list_staff(db, "penalolen") if s.username == "sofia")
        session.execute(update(SessionRow).where(SessionRow.staff_id == sofia.id).values(last_seen_at=ago(hours=2)))
    assert auto_assign.agents_on_duty(db, "penalolen") == ["ana", "luis"]
    # Luis attends none, Ana one: Luis gets the oldest; tied at one each, Ana (who got none for longest) the
    # next; Ana is then full (capacity 2) and Luis gets the third.
    done = auto_assign.assign_waiting(db, "penalolen", capacity=2)
    assert done == [(first, "luis"), (second, "ana"), (third, "luis")]
    assert [handoff(db, h).assigned_to for h in (first, second, third)] == ["luis", "ana", "luis"]
    assert all(handoff(db, h).status == "atendiendo" for h in (first, second, third))
    assert [(a.staff, a.target) for a in audits(db, auto_assign.AUDIT_ACTION)] == [
        (auto_assign.SYSTEM, agent) for _, agent in done
    ]
    # Both are full: a new one waits until someone frees capacity.
    (fourth,) = _waiting(db, 1, first=3)
    assert auto_assign.assign_waiting(db, "penalolen", capacity=2) == []
    service.close_handoff(db, "penalolen", first, "luis", "Resuelta")
    assert auto_assign.assign_waiting(db, "penalolen", capacity=2) == [(fourth, "luis")]


def test_auto_assignment_is_off_unless_enabled(world, monkeypatch):
    db = world["db"]
    _on_duty(db, "ana")
    assert auto_assign.assign_if_enabled(db, "penalolen") == []
    assert handoff(db, world["wa"]).status == "esperando"
    monkeypatch.setenv("CONSOLE_AUTO_ASSIGN", "1")
    monkeypatch.setenv("CONSOLE_AGENT_CAPACITY", "1")
    assert auto_assign.assign_if_enabled(db, "penalolen") == [(world["wa"], "ana")]  # the oldest; then full
    assert handoff(db, world["rest"]).status == "esperando"
    assert auto_assign.assign_if_enabled(db, "angol") == []  # Pedro is not on duty


async def test_auto_assignment_when_an_agent_logs_in_and_frees_capacity(browsers, world, rasa, monkeypatch):
    db = world["db"]
    monkeypatch.setenv("CONSOLE_AUTO_ASSIGN", "1")
    monkeypatch.setenv("CONSOLE_AGENT_CAPACITY", "1")
    ana = await browsers("ana")  # logging in puts her on duty: she gets the oldest waiting one
    assert handoff(db, world["wa"]).assigned_to == "ana" and handoff(db, world["rest"]).status == "esperando"
    html = row(await queue_json(ana), world["wa"])["html"]
    assert 'Atiende: <span class="atiende">Tú</span>' in html
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/cerrar", {"motivo": "Resuelta"})
    assert response.status == 303
    assert handoff(db, world["rest"]).assigned_to == "ana"  # her freed place takes the next one

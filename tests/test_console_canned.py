"""Catalogue answers and canned responses (respuestas predefinidas) in the staff console: the
administrators' page (create, edit, delete with confirmation, audited), insertion into the reply box
without JavaScript, and the municipality isolation of both."""

from __future__ import annotations

import html
import re
from typing import Dict

from sqlalchemy import inspect

import tests.test_console as console_tests
from bot.answers.procedures import aspect_text
from bot.staff import accounts, canned
from bot.storage import migrate
from bot.storage.db import Database
from tests.test_console import PASSWORD, audits, handoff

# The fixtures of the console over a real server (test_console.py), used here as they are there.
db, reader, twilio, rasa = console_tests.db, console_tests.reader, console_tests.twilio, console_tests.rasa
world, server, browsers = console_tests.world, console_tests.server, console_tests.browsers

TEXTAREA_RE = re.compile(r'<textarea id="texto" name="texto"[^>]*>(.*?)</textarea>', re.S)
BODY = "Hola, te recordamos que el pago se puede hacer en línea en www.penalolen.cl."


def draft(page: str) -> str:
    """The text in the reply box of a conversation page."""
    found = TEXTAREA_RE.search(page)
    assert found, page
    return html.unescape(found.group(1))


def insert_form(kind: str, **values: str) -> Dict[str, str]:
    return {"insertar": kind, "texto": "", **values}


async def create_canned(jefa, title: str = "Pago en línea", body: str = BODY) -> int:
    response, _ = await jefa.post("/consola/respuestas", {"accion": "crear", "titulo": title, "texto": body})
    assert response.status == 303
    _, page = await jefa.get("/consola/respuestas")
    found = re.search(r'href="/consola/respuestas/(\d+)" aria-label="Editar ' + re.escape(title), page)
    assert found, page
    return int(found.group(1))


async def test_admin_creates_and_staff_of_the_municipality_inserts(browsers, world):
    db = world["db"]
    jefa, ana = await browsers("jefa"), await browsers("ana")
    canned_id = await create_canned(jefa)
    assert [a.target for a in audits(db, "crear_respuesta")] == [str(canned_id)]

    response, page = await ana.get(f"/consola/conversacion/{world['wa']}")
    assert response.status == 200
    assert f'<option value="{canned_id}">Pago en línea</option>' in page
    assert 'formaction="/consola/conversacion/%d/insertar" formnovalidate' % world["wa"] in page
    response, page = await ana.post(
        f"/consola/conversacion/{world['wa']}/insertar",
        {"insertar": "predefinida", "respuesta": str(canned_id), "texto": "Buenas tardes."},
    )
    assert response.status == 200
    assert draft(page) == f"Buenas tardes.\n\n{BODY}"
    assert "no se envía hasta que presiones" in page
    assert f'<option value="{canned_id}" selected>' in page
    assert handoff(db, world["wa"]).status == "esperando"  # inserting sends nothing and takes nothing


async def test_another_municipality_never_sees_nor_inserts_it(browsers, world):
    jefa, pedro = await browsers("jefa"), await browsers("pedro")
    canned_id = await create_canned(jefa)
    response, page = await pedro.get(f"/consola/conversacion/{world['tg']}")
    assert response.status == 200 and "Pago en línea" not in page
    response, page = await pedro.post(
        f"/consola/conversacion/{world['tg']}/insertar", insert_form("predefinida", respuesta=str(canned_id))
    )
    assert response.status == 404 and BODY not in page
    # Nor through Peñalolén's conversation, nor its admin page
    response, _ = await pedro.post(
        f"/consola/conversacion/{world['wa']}/insertar", insert_form("predefinida", respuesta=str(canned_id))
    )
    assert response.status == 404
    accounts.create_first_admin(world["db"], "angol", "jefe-angol", "Jefe Angol", PASSWORD)
    jefe_angol = await browsers()
    assert (await jefe_angol.login("jefe-angol", municipality="angol"))[0].status == 303
    response, page = await jefe_angol.get("/consola/respuestas")
    assert response.status == 200 and "Pago en línea" not in page
    assert (await jefe_angol.get(f"/consola/respuestas/{canned_id}"))[0].status == 404
    form = {"titulo": "Cambiada", "texto": "otro"}
    assert (await jefe_angol.post(f"/consola/respuestas/{canned_id}/editar", form))[0].status == 404
    assert (await jefe_angol.post(f"/consola/respuestas/{canned_id}/eliminar", {"confirmar": "si"}))[0].status == 404
    assert canned.get_canned(world["db"], "penalolen", canned_id).title == "Pago en línea"


async def test_shared_responses_are_offered_everywhere_but_not_editable(browsers, world):
    shared = canned.create_canned(world["db"], None, "Horario general", "Atendemos de lunes a viernes.", "equipo")
    pedro, jefa = await browsers("pedro"), await browsers("jefa")
    response, page = await pedro.post(
        f"/consola/conversacion/{world['tg']}/insertar", insert_form("predefinida", respuesta=str(shared.id))
    )
    assert response.status == 200 and draft(page) == "Atendemos de lunes a viernes."
    response, page = await jefa.get("/consola/respuestas")
    assert "Horario general" in page and "Todas las municipalidades" in page
    assert (await jefa.get(f"/consola/respuestas/{shared.id}"))[0].status == 404


async def test_non_admins_cannot_reach_the_admin_page(browsers, world):
    ana, jefa = await browsers("ana"), await browsers("jefa")
    assert (await ana.get("/consola/respuestas"))[0].status == 403
    response, _ = await ana.post("/consola/respuestas", {"accion": "crear", "titulo": "X", "texto": "Y"})
    assert response.status == 403
    assert canned.list_canned(world["db"], "penalolen") == []
    canned_id = await create_canned(jefa)
    assert (await ana.get(f"/consola/respuestas/{canned_id}"))[0].status == 403
    assert (await ana.post(f"/consola/respuestas/{canned_id}/eliminar", {"confirmar": "si"}))[0].status == 403
    _, page = await ana.get("/consola")
    assert 'href="/consola/respuestas"' not in page
    _, page = await jefa.get("/consola")
    assert 'href="/consola/respuestas"' in page


async def test_edit_and_delete_with_confirmation(browsers, world):
    db = world["db"]
    jefa = await browsers("jefa")
    canned_id = await create_canned(jefa)
    response, page = await jefa.post(f"/consola/respuestas/{canned_id}/editar", {"titulo": " ", "texto": "x"})
    assert response.status == 400 and "Escribe un título" in page
    response, _ = await jefa.post(
        f"/consola/respuestas/{canned_id}/editar", {"titulo": "Pago", "texto": "Nuevo <b>texto</b>"}
    )
    assert response.status == 303
    response, page = await jefa.get(f"/consola/respuestas/{canned_id}?aviso=respuesta_editada")
    assert "Nuevo &lt;b&gt;texto&lt;/b&gt;" in page and "<b>texto" not in page
    # Deleting asks first
    response, page = await jefa.post(f"/consola/respuestas/{canned_id}/eliminar", {})
    assert response.status == 200 and "¿Eliminar esta respuesta predefinida?" in page
    assert 'name="confirmar" value="si"' in page
    assert canned.get_canned(db, "penalolen", canned_id) is not None
    response, _ = await jefa.post(f"/consola/respuestas/{canned_id}/eliminar", {"confirmar": "si"})
    assert response.status == 303
    assert canned.get_canned(db, "penalolen", canned_id) is None
    assert [a.action for a in audits(db, "editar_respuesta") + audits(db, "eliminar_respuesta")] == [
        "editar_respuesta",
        "eliminar_respuesta",
    ]
    # CSRF as every POST
    other = await create_canned(jefa, "Otra")
    assert (await jefa.post(f"/consola/respuestas/{other}/eliminar", {"confirmar": "si"}, csrf="x"))[0].status == 403
    assert canned.get_canned(db, "penalolen", other) is not None


async def test_catalogue_insertion_uses_the_municipality_cost(browsers, world, catalogue):
    ana = await browsers("ana")
    _, page = await ana.get(f"/consola/conversacion/{world['wa']}")
    assert '<option value="derechos-aseo">' in page and 'value="registro-comerciante-lena"' not in page
    response, page = await ana.post(
        f"/consola/conversacion/{world['wa']}/insertar",
        insert_form("catalogo", tramite="derechos-aseo", aspecto="costo"),
    )
    assert response.status == 200
    # Peñalolén's own fee (catalogue/municipalities/penalolen.yml), the same text the assistant gives
    assert draft(page) == "Costo: 1,8 UTM anuales; exentas las viviendas con avalúo fiscal bajo 225 UTM"
    town = catalogue.municipalities["penalolen"]
    proc = catalogue.procedure_for("penalolen", "derechos-aseo")
    assert draft(page) == aspect_text(town, proc, "costo")
    response, page = await ana.post(
        f"/consola/conversacion/{world['wa']}/insertar",
        insert_form("catalogo", tramite="derechos-aseo", aspecto="resumen"),
    )
    assert response.status == 200 and draft(page).startswith(f"{proc.name} en {town.comuna}")
    # Angol's own procedure is not offered in Peñalolén: refused, the draft kept
    response, page = await ana.post(
        f"/consola/conversacion/{world['wa']}/insertar",
        {"insertar": "catalogo", "tramite": "registro-comerciante-lena", "aspecto": "costo", "texto": "Mi borrador"},
    )
    assert response.status == 400 and "no se ofrece en tu municipalidad" in page
    assert draft(page) == "Mi borrador"
    response, _ = await ana.post(
        f"/consola/conversacion/{world['wa']}/insertar", insert_form("catalogo", tramite="derechos-aseo", aspecto="x")
    )
    assert response.status == 400
    # Insertion needs the session's CSRF token like every POST
    response, _ = await ana.post(
        f"/consola/conversacion/{world['wa']}/insertar",
        insert_form("catalogo", tramite="derechos-aseo", aspecto="costo"),
        csrf=None,
    )
    assert response.status == 403


def test_migration_0008_upgrades_and_downgrades(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'municipal.db'}")
    try:
        migrate.upgrade(db, "0007")
        assert "canned_responses" not in inspect(db.engine).get_table_names()
        migrate.upgrade(db, "0008")
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("canned_responses")}
        assert set(columns) == {"id", "municipality", "title", "body", "created_by", "created_at"}
        assert columns["municipality"]["nullable"] and not columns["title"]["nullable"]
        created = canned.create_canned(db, "penalolen", "T", "B", "jefa")
        assert canned.list_canned(db, "penalolen") == [created] and canned.list_canned(db, "angol") == []
        migrate.downgrade(db, "0007")
        assert "canned_responses" not in inspect(db.engine).get_table_names()
        assert migrate.current_revision(db) == "0007"
    finally:
        db.dispose()

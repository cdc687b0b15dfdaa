"""The team page over the console's HTTP app: deactivate (after confirmation) and reactivate, reset a
password (typed or generated, shown once; the staffer must choose their own at the next login), change
roles without ever leaving the municipality without an active administrator, and «Mi contraseña».
Every change needs an administrator (403 for agents), of the same municipality (404 otherwise), the
session's CSRF token, and is audited; deactivation and reset end the staffer's sessions at once."""

from __future__ import annotations

import html
import re
from typing import Dict

import pytest

import tests.test_console as console_tests
from bot.staff import accounts
from bot.staff.accounts import Staffer
from bot.staff.team import LAST_ADMIN_MESSAGE
from tests.test_console import CSRF_RE, PASSWORD, audits

# The fixtures of the console over a real server (test_console.py), used here as they are there.
db, reader, twilio, rasa = console_tests.db, console_tests.reader, console_tests.twilio, console_tests.rasa
world, server, browsers = console_tests.world, console_tests.server, console_tests.browsers

NEW_PASSWORD = "ciruela faro tambor lento"
TYPED_TEMPORARY = "Marea verde 2024 Pino"
TEMPORARY_RE = re.compile(r'<p class="clave-temporal"><code>([^<]+)</code></p>')
LAST_ADMIN_TEXT = html.escape(LAST_ADMIN_MESSAGE, quote=True)


def staff(db) -> Dict[str, Staffer]:
    """Peñalolén's staff by username."""
    return {s.username: s for s in accounts.list_staff(db, "penalolen")}


async def login_as(browser, username: str, password: str):
    """Log in without the fixture's assumption that the queue opens; returns the login response."""
    _, body = await browser.get("/consola/ingresar")
    form = {"municipio": "penalolen", "usuario": username, "clave": password}
    response, _ = await browser.post("/consola/ingresar", form, csrf=CSRF_RE.search(body).group(1))
    if response.status == 303:
        _, page = await browser.get("/consola/clave")
        browser.csrf = CSRF_RE.search(page).group(1)
    return response


async def test_deactivate_needs_confirmation_ends_sessions_and_reactivate(browsers, world):
    db = world["db"]
    jefa, ana = await browsers("jefa"), await browsers("ana")
    ana_id = staff(db)["ana"].id
    response, page = await jefa.get("/consola/equipo")
    assert f'action="/consola/equipo/{ana_id}/desactivar"' in page and 'aria-label="Desactivar…: ana"' in page

    response, page = await jefa.post(f"/consola/equipo/{ana_id}/desactivar", {})
    assert response.status == 200 and "¿Desactivar a Ana Pérez?" in page and "Sí, desactivar" in page
    assert '<input type="hidden" name="confirmar" value="si">' in page and "No, volver al equipo" in page
    assert staff(db)["ana"].active and (await ana.get("/consola"))[0].status == 200  # nothing happened yet
    assert audits(db, "desactivar_funcionario") == []

    response, _ = await jefa.post(f"/consola/equipo/{ana_id}/desactivar", {"confirmar": "si"})
    assert response.status == 303 and response.headers["Location"] == "/consola/equipo?aviso=desactivado"
    response, _ = await ana.get("/consola")  # her open session ended at once: the next request goes to login
    assert response.status == 303 and response.headers["Location"].startswith("/consola/ingresar")
    assert (await ana.post(f"/consola/conversacion/{world['wa']}/tomar", {}))[0].status == 403
    assert (await ana.login("ana"))[0].status == 401
    assert [(a.staff, a.target) for a in audits(db, "desactivar_funcionario")] == [("jefa", "ana")]

    _, page = await jefa.get("/consola/equipo?aviso=desactivado")
    assert "Usuario desactivado: sus sesiones se cerraron." in page
    assert f'action="/consola/equipo/{ana_id}/reactivar"' in page
    response, _ = await jefa.post(f"/consola/equipo/{ana_id}/reactivar", {})
    assert response.status == 303 and response.headers["Location"] == "/consola/equipo?aviso=reactivado"
    assert staff(db)["ana"].active
    assert (await ana.login("ana"))[0].status == 303  # the same password works again
    assert [(a.staff, a.target) for a in audits(db, "reactivar_funcionario")] == [("jefa", "ana")]


async def test_reset_with_a_generated_password_shown_once(browsers, world):
    db = world["db"]
    jefa, ana = await browsers("jefa"), await browsers("ana")
    ana_id = staff(db)["ana"].id
    response, page = await jefa.post(f"/consola/equipo/{ana_id}/clave", {})
    assert response.status == 200 and "¿Restablecer la contraseña de Ana Pérez?" in page
    assert 'name="clave" type="password"' in page and "la consola genera una" in page
    assert (await ana.get("/consola"))[0].status == 200 and audits(db, "restablecer_clave") == []

    response, page = await jefa.post(f"/consola/equipo/{ana_id}/clave", {"confirmar": "si", "clave": ""})
    assert response.status == 200 and "no se volverá a mostrar" in page
    assert response.headers["Cache-Control"] == "no-store"
    temporary = html.unescape(TEMPORARY_RE.search(page).group(1))
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", temporary)
    _, team_page = await jefa.get("/consola/equipo")
    assert temporary not in team_page and "contraseña temporal" in team_page
    [row] = audits(db, "restablecer_clave")
    assert (row.staff, row.target, row.detail) == ("jefa", "ana", "generada")

    # Her open session ended; the old password no longer works, the temporary one does.
    response, _ = await ana.get("/consola")
    assert response.status == 303 and response.headers["Location"].startswith("/consola/ingresar")
    assert (await ana.login("ana", PASSWORD))[0].status == 401
    response = await login_as(ana, "ana", temporary)
    assert response.status == 303 and response.headers["Location"] == "/consola/clave?aviso=clave_temporal"
    # Until she chooses her own, the console only offers her password page.
    response, _ = await ana.get("/consola")
    assert response.status == 303 and response.headers["Location"] == "/consola/clave?aviso=clave_temporal"
    response, page = await ana.post(f"/consola/conversacion/{world['wa']}/tomar", {})
    assert response.status == 403 and "Tu contraseña es temporal" in page
    _, page = await ana.get("/consola/clave?aviso=clave_temporal")
    assert "Tu contraseña es temporal: elige una propia" in page
    form = {"actual": temporary, "nueva": NEW_PASSWORD, "repetida": NEW_PASSWORD}
    response, _ = await ana.post("/consola/clave", form)
    assert response.status == 303 and response.headers["Location"] == "/consola?aviso=clave_cambiada"
    assert (await ana.get("/consola"))[0].status == 200
    assert not staff(db)["ana"].must_change_password
    other = await browsers()
    assert (await other.login("ana", temporary))[0].status == 401
    assert (await other.login("ana", NEW_PASSWORD))[0].status == 303
    assert [a.target for a in audits(db, "cambiar_clave")] == ["ana"]


async def test_reset_with_a_typed_password_follows_the_rules(browsers, world):
    db = world["db"]
    jefa, ana = await browsers("jefa"), await browsers("ana")
    ana_id = staff(db)["ana"].id
    for weak, reason in (("corta", "al menos 10 caracteres"), ("aaaaaaaaaaaa", "demasiado fácil de adivinar")):
        response, page = await jefa.post(f"/consola/equipo/{ana_id}/clave", {"confirmar": "si", "clave": weak})
        assert response.status == 400 and reason in page and "¿Restablecer la contraseña" in page
    assert (await ana.get("/consola"))[0].status == 200  # nothing changed
    assert audits(db, "restablecer_clave") == []
    form = {"confirmar": "si", "clave": TYPED_TEMPORARY}
    response, page = await jefa.post(f"/consola/equipo/{ana_id}/clave", form)
    assert response.status == 303 and response.headers["Location"] == "/consola/equipo?aviso=clave_restablecida"
    assert TYPED_TEMPORARY not in page
    assert (await ana.get("/consola"))[0].status == 303
    assert (await ana.login("ana", PASSWORD))[0].status == 401
    response = await login_as(ana, "ana", TYPED_TEMPORARY)
    assert response.headers["Location"] == "/consola/clave?aviso=clave_temporal"
    [row] = audits(db, "restablecer_clave")
    assert row.detail == "escrita por el administrador" and TYPED_TEMPORARY not in (row.detail or "")
    # An administrator changes their own password on their own page, never here.
    response, page = await jefa.post(f"/consola/equipo/{staff(db)['jefa'].id}/clave", {"confirmar": "si"})
    assert response.status == 403 and "Mi contraseña" in page


async def test_roles_never_leave_the_municipality_without_an_active_admin(browsers, world):
    db = world["db"]
    jefa, ana = await browsers("jefa"), await browsers("ana")
    ids = {name: s.id for name, s in staff(db).items()}
    # Marta is the only administrator: she can neither demote nor deactivate herself.
    for path, form in (("rol", {"rol": "agente"}), ("rol", {"rol": "agente", "confirmar": "si"})) + (
        ("desactivar", {}),
        ("desactivar", {"confirmar": "si"}),
    ):
        response, page = await jefa.post(f"/consola/equipo/{ids['jefa']}/{path}", form)
        assert response.status == 409 and LAST_ADMIN_TEXT in page, (path, form)
    assert staff(db)["jefa"].is_admin and staff(db)["jefa"].active

    # Promoting needs no confirmation and applies to Ana's open session at once.
    assert (await ana.get("/consola/equipo"))[0].status == 403
    response, _ = await jefa.post(f"/consola/equipo/{ids['ana']}/rol", {"rol": "admin"})
    assert response.status == 303 and response.headers["Location"] == "/consola/equipo?aviso=rol_admin"
    assert (await ana.get("/consola/equipo"))[0].status == 200

    # Demoting asks first.
    response, page = await jefa.post(f"/consola/equipo/{ids['ana']}/rol", {"rol": "agente"})
    assert response.status == 200 and "¿Cambiar a Ana Pérez a agente?" in page and staff(db)["ana"].is_admin
    assert '<input type="hidden" name="rol" value="agente">' in page
    response, _ = await jefa.post(f"/consola/equipo/{ids['ana']}/rol", {"rol": "agente", "confirmar": "si"})
    assert response.status == 303 and not staff(db)["ana"].is_admin
    assert (await ana.get("/consola/equipo"))[0].status == 403
    assert (await jefa.post(f"/consola/equipo/{ids['ana']}/rol", {"rol": "jefe"}))[0].status == 400

    # With Ana administrator again, Marta may step down herself; then Ana is the last one.
    await jefa.post(f"/consola/equipo/{ids['ana']}/rol", {"rol": "admin"})
    response, page = await jefa.post(f"/consola/equipo/{ids['jefa']}/rol", {"rol": "agente"})
    assert response.status == 200 and "¿Dejar de ser administrador?" in page
    response, _ = await jefa.post(f"/consola/equipo/{ids['jefa']}/rol", {"rol": "agente", "confirmar": "si"})
    assert response.status == 303 and response.headers["Location"] == "/consola?aviso=rol_propio"
    assert (await jefa.get("/consola/equipo"))[0].status == 403
    for path in ("rol", "desactivar"):
        response, page = await ana.post(f"/consola/equipo/{ids['ana']}/{path}", {"rol": "agente", "confirmar": "si"})
        assert response.status == 409 and LAST_ADMIN_TEXT in page
    assert [a.detail for a in audits(db, "cambiar_rol")] == [
        "agente → admin",
        "admin → agente",
        "agente → admin",
        "admin → agente",
    ]
    # An administrator who is not the last one may deactivate themselves: the session ends there.
    await ana.post(f"/consola/equipo/{ids['jefa']}/rol", {"rol": "admin"})
    response, _ = await ana.post(f"/consola/equipo/{ids['ana']}/desactivar", {"confirmar": "si"})
    assert response.status == 303 and response.headers["Location"] == "/consola/ingresar?aviso=te_desactivaste"
    assert (await ana.get("/consola"))[0].status == 303 and not staff(db)["ana"].active


ACTIONS = (
    ("desactivar", {"confirmar": "si"}),
    ("reactivar", {}),
    ("rol", {"rol": "admin"}),
    ("rol", {"rol": "agente", "confirmar": "si"}),
    ("clave", {"confirmar": "si", "clave": TYPED_TEMPORARY}),
)


def unchanged(db) -> None:
    members = staff(db)
    assert members["jefa"].is_admin and members["jefa"].active and not members["ana"].is_admin
    assert not members["ex"].active and members["ana"].active
    for name in ("ana", "jefa"):
        assert accounts.authenticate(db, "penalolen", name, PASSWORD) is not None
    for action in ("desactivar_funcionario", "reactivar_funcionario", "cambiar_rol", "restablecer_clave"):
        assert audits(db, action) == []


async def test_agents_get_403(browsers, world):
    db = world["db"]
    ana = await browsers("ana")
    ids = {name: s.id for name, s in staff(db).items()}
    assert (await ana.get("/consola/equipo"))[0].status == 403
    for target in ("jefa", "ex", "ana"):
        for action, form in ACTIONS:
            response, _ = await ana.post(f"/consola/equipo/{ids[target]}/{action}", form)
            assert response.status == 403, (target, action)
    unchanged(db)


async def test_another_municipality_gets_404(browsers, world):
    db = world["db"]
    accounts.create_first_admin(db, "angol", "jefe-angol", "Jefe Angol", PASSWORD)
    angol = await browsers()
    assert (await angol.login("jefe-angol", municipality="angol"))[0].status == 303
    _, page = await angol.get("/consola/equipo")
    assert "Ana Pérez" not in page and "Marta Jefa" not in page
    ids = {name: s.id for name, s in staff(db).items()}
    for target in ("jefa", "ex", "ana"):
        for action, form in ACTIONS + (("desactivar", {}), ("clave", {})):
            response, page = await angol.post(f"/consola/equipo/{ids[target]}/{action}", form)
            assert response.status == 404 and "Ana Pérez" not in page, (target, action)
    unchanged(db)


@pytest.mark.parametrize("csrf", [None, "x" * 43])
async def test_every_change_needs_the_session_csrf_token(browsers, world, csrf):
    db = world["db"]
    jefa = await browsers("jefa")
    ids = {name: s.id for name, s in staff(db).items()}
    for target in ("ana", "ex"):
        for action, form in ACTIONS:
            response, _ = await jefa.post(f"/consola/equipo/{ids[target]}/{action}", form, csrf=csrf)
            assert response.status == 403, (target, action)
    form = {"actual": PASSWORD, "nueva": NEW_PASSWORD, "repetida": NEW_PASSWORD}
    assert (await jefa.post("/consola/clave", form, csrf=csrf))[0].status == 403
    unchanged(db)


async def test_a_staffer_changes_their_own_password(browsers, world):
    db = world["db"]
    anonymous = await browsers()
    response, _ = await anonymous.get("/consola/clave")
    assert response.status == 303 and response.headers["Location"] == "/consola/ingresar"
    ana, ana_elsewhere = await browsers("ana"), await browsers("ana")
    response, page = await ana.get("/consola/clave")
    assert response.status == 200 and 'autocomplete="current-password"' in page
    _, queue = await ana.get("/consola")
    assert 'href="/consola/clave"' in queue
    for form, reason in (
        ({"actual": "equivocada-123", "nueva": NEW_PASSWORD, "repetida": NEW_PASSWORD}, "actual no es correcta"),
        ({"actual": PASSWORD, "nueva": NEW_PASSWORD, "repetida": NEW_PASSWORD + "x"}, "no coinciden"),
        ({"actual": PASSWORD, "nueva": "1234567890", "repetida": "1234567890"}, "demasiado fácil"),
        ({"actual": PASSWORD, "nueva": PASSWORD, "repetida": PASSWORD}, "distinta de la actual"),
    ):
        response, page = await ana.post("/consola/clave", form)
        assert response.status == 400 and reason in page, reason
    assert [a.target for a in audits(db, "cambio_clave_fallido")] == ["ana"]
    assert accounts.authenticate(db, "penalolen", "ana", PASSWORD) is not None

    form = {"actual": PASSWORD, "nueva": NEW_PASSWORD, "repetida": NEW_PASSWORD}
    response, _ = await ana.post("/consola/clave", form)
    assert response.status == 303
    _, page = await ana.get("/consola?aviso=clave_cambiada")
    assert "Tu contraseña nueva quedó guardada" in page  # this session goes on
    assert (await ana_elsewhere.get("/consola"))[0].status == 303  # the other one ended
    assert (await ana_elsewhere.login("ana", PASSWORD))[0].status == 401
    assert (await ana_elsewhere.login("ana", NEW_PASSWORD))[0].status == 303
    assert [a.target for a in audits(db, "cambiar_clave")] == ["ana"]

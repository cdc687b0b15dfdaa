"""The back-office HTTP API over a real server and database: tokens, municipality isolation,
status changes, input errors, the OpenAPI description and personal data kept out."""

import hashlib
import json
from datetime import datetime, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from bot.app.notifications import notice_text
from bot.app.web.app import MAX_BODY_BYTES, create_app
from bot.app.web.openapi import API_PREFIX
from bot.storage import requests as store
from bot.storage.tables import ApiTokenRow, NotificationRow, RequestRow
from bot.storage.tokens import create_token, municipality_for_token, revoke_token

SENDERS = ("tg-5550001", "whatsapp:+56911112222", "tg-angol-77")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


def submit(db, key, municipality, code, sender_id, channel="telegram", procedure="retiro-voluminosos"):
    return store.submit_request(
        db,
        key=key,
        municipality=municipality,
        code=code,
        procedure=procedure,
        fields={"nombre": "Ana Soto", "rut": "12345678-5", "direccion": "Los Olmos 123"},
        rut="12345678-5",
        channel=channel,
        sender_id=sender_id,
    ).folio


@pytest.fixture
def world(db):
    """Two municipalities with their tokens and requests."""
    pen = [
        submit(db, "p1", "penalolen", "PEN", SENDERS[0]),
        submit(db, "p2", "penalolen", "PEN", SENDERS[1], channel="whatsapp", procedure="reporte-bache"),
    ]
    ang = submit(db, "a1", "angol", "ANG", SENDERS[2])
    return {
        "db": db,
        "pen": pen,
        "ang": ang,
        "pen_token": create_token(db, "penalolen", "sistema-dom"),
        "ang_token": create_token(db, "angol", "sistema-angol"),
    }


@pytest.fixture
async def client(world, catalogue):
    async with TestClient(TestServer(create_app(world["db"], lambda: catalogue))) as test_client:
        yield test_client


def auth(token):
    return {"Authorization": f"Bearer {token}"}


async def call(client, method, path, token=None, **kwargs):
    """Status and decoded JSON body; every answer of the API must be JSON."""
    headers = {**(auth(token) if token else {}), **kwargs.pop("headers", {})}
    async with client.request(method, path, headers=headers, **kwargs) as response:
        assert response.content_type == "application/json", await response.text()
        return response.status, json.loads(await response.text())


def notifications(db):
    with db.session() as session:
        return session.execute(select(NotificationRow)).scalars().all()


async def test_health(client):
    assert await call(client, "GET", "/health") == (200, {"status": "ok"})


async def test_token_required_and_checked(client, world):
    paths = [
        ("GET", f"{API_PREFIX}/solicitudes"),
        ("GET", f"{API_PREFIX}/solicitudes/{world['pen'][0]}"),
        ("POST", f"{API_PREFIX}/solicitudes/{world['pen'][0]}/estado"),
    ]
    bad_headers = [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Basic {world['pen_token']}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ]
    for method, path in paths:
        for headers in bad_headers:
            async with client.request(method, path, headers=headers, json={"estado": "resuelta"}) as response:
                assert response.status == 401, (method, path, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert (await response.json())["error"]
    assert store.get_request(world["db"], "penalolen", world["pen"][0])["status"] == "recibida"
    # A revoked token stops working at once.
    assert revoke_token(world["db"], "penalolen", "sistema-dom") == 1
    assert municipality_for_token(world["db"], world["pen_token"]) is None
    status, _ = await call(client, "GET", f"{API_PREFIX}/solicitudes", world["pen_token"])
    assert status == 401
    assert (await call(client, "GET", f"{API_PREFIX}/solicitudes", world["ang_token"]))[0] == 200


def test_tokens_are_stored_hashed_and_named_once(db):
    token = create_token(db, "penalolen", "sistema-dom")
    with db.session() as session:
        stored = session.execute(select(ApiTokenRow)).scalar_one()
    assert len(token) >= 40 and token not in (stored.token_hash, stored.name)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert municipality_for_token(db, token) == ("penalolen", "sistema-dom")
    assert municipality_for_token(db, token + "x") is None and municipality_for_token(db, "") is None
    with pytest.raises(ValueError):
        create_token(db, "penalolen", "sistema-dom")  # an active token already has that name
    other = create_token(db, "angol", "sistema-dom")  # names are per municipality
    assert revoke_token(db, "penalolen", "sistema-dom") == 1
    assert revoke_token(db, "penalolen", "sistema-dom") == 0
    assert municipality_for_token(db, token) is None
    assert municipality_for_token(db, other) == ("angol", "sistema-dom")
    renewed = create_token(db, "penalolen", "sistema-dom")  # the name is free again after revoking
    assert municipality_for_token(db, renewed) == ("penalolen", "sistema-dom")


async def test_list_shows_only_own_municipality(client, world):
    status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes", world["pen_token"])
    assert status == 200 and body["limit"] == 50 and body["offset"] == 0
    assert sorted(r["folio"] for r in body["solicitudes"]) == sorted(world["pen"])
    assert {r["municipality"] for r in body["solicitudes"]} == {"penalolen"}
    status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes", world["ang_token"])
    assert [r["folio"] for r in body["solicitudes"]] == [world["ang"]]


async def test_list_filters(client, world):
    db, (first, second) = world["db"], world["pen"]
    with db.session() as session:  # 2024-03-10 23:30 in Santiago (UTC-3 in March) is 02:30 UTC on the 11th
        session.execute(
            update(RequestRow)
            .where(RequestRow.folio == first)
            .values(created_at=datetime(2024, 3, 11, 2, 30, tzinfo=timezone.utc))
        )
        session.execute(
            update(RequestRow)
            .where(RequestRow.folio == second)
            .values(created_at=datetime(2024, 3, 20, 15, 0, tzinfo=timezone.utc))
        )
    store.change_status(db, "penalolen", second, "en_revision", "", "sistema-dom")

    async def folios(query):
        status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes?{query}", world["pen_token"])
        assert status == 200, body
        return [r["folio"] for r in body["solicitudes"]]

    assert await folios("") == [second, first]
    assert await folios("estado=en_revision") == [second]
    assert await folios("estado=recibida") == [first]
    assert await folios("tramite=reporte-bache") == [second]
    assert await folios("tramite=poda-arboles") == []
    assert await folios("desde=2024-03-11") == [second]  # the first one is from the 10th, Chilean time
    assert await folios("hasta=2024-03-10") == [first]  # "hasta" includes the whole day
    assert await folios("desde=2024-03-10&hasta=2024-03-20") == [second, first]
    assert await folios("limit=1") == [second]
    assert await folios("limit=1&offset=1") == [first]


async def test_foreign_folio_is_not_found_and_untouched(client, world):
    foreign, missing = world["ang"], "ANG-ZZZZZZ"
    for folio in ("%00", "x" * 40):  # odd folios are just not found (PostgreSQL refuses NUL)
        assert (await call(client, "GET", f"{API_PREFIX}/solicitudes/{folio}", world["pen_token"]))[0] == 404
    for folio in (foreign, missing):
        status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes/{folio}", world["pen_token"])
        assert (status, body) == (404, {"error": f"No se encontró la solicitud con folio '{folio}'."})
        status, body = await call(
            client,
            "POST",
            f"{API_PREFIX}/solicitudes/{folio}/estado",
            world["pen_token"],
            json={"estado": "rechazada", "nota": "No corresponde"},
        )
        assert (status, body) == (404, {"error": f"No se encontró la solicitud con folio '{folio}'."})
    untouched = store.get_request(world["db"], "angol", foreign)
    assert untouched["status"] == "recibida" and len(untouched["history"]) == 1
    assert notifications(world["db"]) == []
    status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes/{foreign}", world["ang_token"])
    assert status == 200 and body["folio"] == foreign


async def test_status_change_recorded_with_token_name_and_author(client, world):
    folio = world["pen"][0]
    path = f"{API_PREFIX}/solicitudes/{folio.lower()}/estado"
    status, body = await call(
        client,
        "POST",
        path,
        world["pen_token"],
        json={"estado": "en_terreno", "nota": "Pasamos el martes", "autor": "María Soto"},
    )
    assert status == 200, body
    assert body["folio"] == folio and body["status"] == "en_terreno" and body["status_label"] == "en terreno"
    assert body["history"][-1]["changed_by"] == "sistema-dom (María Soto)"
    assert body["history"][-1]["note"] == "Pasamos el martes"
    status, body = await call(client, "POST", path, world["pen_token"], json={"estado": "resuelta", "nota": None})
    assert status == 200 and body["history"][-1]["changed_by"] == "sistema-dom"
    status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes/{folio}", world["pen_token"])
    assert [(h["status"], h["changed_by"]) for h in body["history"]] == [
        ("recibida", "asistente"),
        ("en_terreno", "sistema-dom (María Soto)"),
        ("resuelta", "sistema-dom"),
    ]
    assert body["rut"] == "12345678-5"
    texts = sorted(notice_text(n.text, n.kind, n.variables) for n in notifications(world["db"]))
    name = "Retiro de residuos voluminosos (cachureos)"
    assert texts == [
        f"Tu solicitud {folio} ({name}) cambió a: en terreno.\nNota: Pasamos el martes",
        f"Tu solicitud {folio} ({name}) cambió a: resuelta.",
    ]
    assert {n.recipient for n in notifications(world["db"])} == {SENDERS[0]}


async def test_notice_uses_slug_when_catalogue_is_missing(world):
    def no_catalogue():
        raise LookupError("el catálogo no está cargado")

    folio = world["pen"][0]
    async with TestClient(TestServer(create_app(world["db"], no_catalogue))) as client:
        status, _ = await call(
            client,
            "POST",
            f"{API_PREFIX}/solicitudes/{folio}/estado",
            world["pen_token"],
            json={"estado": "en_revision"},
        )
    assert status == 200
    (notice,) = notifications(world["db"])
    assert notice_text(notice.text, notice.kind, notice.variables) == (
        f"Tu solicitud {folio} (retiro-voluminosos) cambió a: en revisión."
    )


async def test_bad_input_is_400_with_a_message(client, world):
    folio, token = world["pen"][0], world["pen_token"]
    path = f"{API_PREFIX}/solicitudes/{folio}/estado"
    bodies = [
        {"data": b"{no es json", "headers": {"Content-Type": "application/json"}},
        {"data": b"\xff\xfe", "headers": {"Content-Type": "application/json"}},
        {"data": b""},
        {"json": ["en_revision"]},
        {"json": {}},
        {"json": {"nota": "sin estado"}},
        {"json": {"estado": 3}},
        {"json": {"estado": "cerrada"}},
        {"json": {"estado": "en_revision", "note": "typo"}},
        {"json": {"estado": "en_revision", "nota": 5}},
        {"json": {"estado": "en_revision", "autor": "x" * 81}},
        {"json": {"estado": "en_revision", "nota": "x" * (store.NOTE_MAX_LENGTH + 1)}},
        {"json": {"estado": "recibida"}},  # same status without a note
        {"json": {"estado": "en_revision", "nota": "a\u0000b"}},  # PostgreSQL cannot store NUL
    ]
    for kwargs in bodies:
        headers = {**auth(token), **kwargs.pop("headers", {})}
        async with client.post(path, headers=headers, **kwargs) as response:
            assert response.status == 400, kwargs
            assert isinstance((await response.json())["error"], str)
    status, body = await call(client, "POST", path, token, json={"estado": "cerrada"})
    assert "Estado no válido" in body["error"]
    assert store.get_request(world["db"], "penalolen", folio)["status"] == "recibida"

    await call(client, "POST", path, token, json={"estado": "rechazada", "nota": "Duplicada"})
    status, body = await call(client, "POST", path, token, json={"estado": "en_revision"})
    assert status == 400 and "cerrada (rechazada)" in body["error"]

    for query in (
        "desde=2024-02-30",
        "desde=10-03-2024",
        "hasta=ayer",
        "desde=2024-03-10&hasta=2024-03-01",
        "limit=201",
        "limit=0",
        "limit=diez",
        "limit=-1",
        "offset=-1",
        "offset=x",
        "estado=cerrada",
        "tramite=Retiro%20de%20cachureos",
        "status=resuelta",
        "limit=1&limit=2",
    ):
        status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes?{query}", token)
        assert status == 400 and body["error"], query
    status, body = await call(client, "GET", f"{API_PREFIX}/solicitudes?limit=500", token)
    assert "entre 1 y 200" in body["error"]


async def test_body_too_large_is_refused(client, world):
    path = f"{API_PREFIX}/solicitudes/{world['pen'][0]}/estado"
    big = json.dumps({"estado": "en_revision", "nota": "x" * MAX_BODY_BYTES})
    status, body = await call(
        client, "POST", path, world["pen_token"], data=big, headers={"Content-Type": "application/json"}
    )
    assert status == 413 and body["error"]
    assert store.get_request(world["db"], "penalolen", world["pen"][0])["status"] == "recibida"


async def test_unknown_api_paths_and_methods_answer_json(client, world):
    assert (await call(client, "GET", f"{API_PREFIX}/nada", world["pen_token"]))[0] == 404
    assert (await call(client, "DELETE", f"{API_PREFIX}/solicitudes", world["pen_token"]))[0] == 405


async def test_openapi_describes_every_route(client):
    status, doc = await call(client, "GET", f"{API_PREFIX}/openapi.json")  # no token needed
    assert status == 200 and doc["openapi"].startswith("3.0")
    routes = {
        (route.resource.canonical, route.method.lower())
        for route in client.server.app.router.routes()
        if route.resource.canonical.startswith(API_PREFIX) and route.method != "HEAD"
    }
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routes == documented
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        **doc["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert doc["security"] == [{"bearerAuth": []}]
    listing = doc["paths"][f"{API_PREFIX}/solicitudes"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"estado", "tramite", "desde", "hasta", "limit", "offset"}
    change = doc["paths"][f"{API_PREFIX}/solicitudes/{{folio}}/estado"]["post"]
    schema = doc["components"]["schemas"]["StatusChange"]
    assert change["requestBody"]["required"] and set(schema["properties"]) == {"estado", "nota", "autor"}
    assert schema["properties"]["estado"]["enum"] == list(store.STATUSES)
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert "200" in operation["responses"]
            if path != f"{API_PREFIX}/openapi.json":
                assert "401" in operation["responses"], (path, method)


async def test_no_sender_identity_in_any_output(client, world):
    token, folio = world["pen_token"], world["pen"][1]
    outputs = []
    for method, path, kwargs in [
        ("GET", f"{API_PREFIX}/solicitudes", {}),
        ("GET", f"{API_PREFIX}/solicitudes?estado=recibida", {}),
        ("GET", f"{API_PREFIX}/solicitudes/{folio}", {}),
        ("POST", f"{API_PREFIX}/solicitudes/{folio}/estado", {"json": {"estado": "derivada", "nota": "A Aseo"}}),
        ("POST", f"{API_PREFIX}/solicitudes/{folio}/estado", {"json": {"estado": "cerrada"}}),
    ]:
        async with client.request(method, path, headers=auth(token), **kwargs) as response:
            outputs.append(await response.text())
    async with client.get(f"{API_PREFIX}/solicitudes", headers=auth(world["ang_token"])) as response:
        outputs.append(await response.text())
    for text in outputs:
        for sender in SENDERS:
            assert sender not in text
        assert "sender" not in text and '"channel"' not in text and "whatsapp" not in text
    # The RUT is shown only when reading one request, never in lists.
    assert "12345678-5" not in outputs[0] and "12345678-5" not in outputs[1]
    assert '"rut": "12345678-5"' in outputs[2]

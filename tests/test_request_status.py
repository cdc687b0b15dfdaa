"""Status of a request: history with who changed it, final statuses, the citizen's notice,
municipality isolation, listing and the citizen's own lookups (SQLite and PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, update

from bot.app.notifications import notice_text
from bot.storage import requests as store
from bot.storage.tables import NotificationRow, RequestRow, RequestStatusRow


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


def submit(
    db,
    key,
    municipality="penalolen",
    code="PEN",
    procedure="retiro-voluminosos",
    rut="12345678-5",
    channel="telegram",
    sender_id="tg-111",
):
    fields = {"nombre": "Ana Soto", "direccion": "Los Olmos 123"}
    if rut:
        fields["rut"] = rut
    return store.submit_request(
        db,
        key=key,
        municipality=municipality,
        code=code,
        procedure=procedure,
        fields=fields,
        rut=rut,
        channel=channel,
        sender_id=sender_id,
    ).folio


def notifications(db):
    with db.session() as session:
        return session.execute(select(NotificationRow).order_by(NotificationRow.id)).scalars().all()


def sent_text(notice):
    """What the notifier sends for this row."""
    return notice_text(notice.text, notice.kind, notice.variables)


def set_created(db, folio, when):
    with db.session() as session:
        session.execute(update(RequestRow).where(RequestRow.folio == folio).values(created_at=when))


def test_history_grows_with_who_changed_it(db):
    folio = submit(db, "k1")
    first = store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom (María Soto)")
    assert first["status"] == "en_revision" and first["status_label"] == "en revisión"
    store.change_status(db, "penalolen", folio.lower(), "en_terreno", "  Cuadrilla el martes  ", "sistema-dom")
    found = store.get_request(db, "penalolen", folio)
    assert found["status"] == "en_terreno" and found["status_label"] == "en terreno"
    assert [(h["status"], h["label"], h["changed_by"], h["note"]) for h in found["history"]] == [
        ("recibida", "recibida", "asistente", "Solicitud recibida por el asistente."),
        ("en_revision", "en revisión", "sistema-dom (María Soto)", ""),
        ("en_terreno", "en terreno", "sistema-dom", "Cuadrilla el martes"),
    ]
    stamps = [datetime.fromisoformat(h["at"]) for h in found["history"]]
    assert stamps == sorted(stamps) and all(s.tzinfo is not None for s in stamps)
    assert datetime.fromisoformat(found["updated_at"]) >= datetime.fromisoformat(found["created_at"])
    assert found["rut"] == "12345678-5" and found["fields"]["rut"] == "12345678-5"
    assert "sender_id" not in found and "channel" not in found


def test_final_status_cannot_change(db):
    folio = submit(db, "k1")
    store.change_status(db, "penalolen", folio, "resuelta", "Retirado", "sistema-dom")
    for status, note in (("en_revision", ""), ("rechazada", "Duplicada"), ("resuelta", "otra nota")):
        with pytest.raises(ValueError, match=r"La solicitud ya está cerrada \(resuelta\)"):
            store.change_status(db, "penalolen", folio, status, note, "sistema-dom")
    found = store.get_request(db, "penalolen", folio)
    assert found["status"] == "resuelta" and len(found["history"]) == 2
    assert len(notifications(db)) == 1


def test_invalid_status_and_same_status_without_note_are_rejected(db):
    folio = submit(db, "k1")
    for bad in ("cerrada", "", "RESUELTA", "en revisión"):
        with pytest.raises(ValueError, match="Estado no válido"):
            store.change_status(db, "penalolen", folio, bad, "nota", "sistema-dom")
    with pytest.raises(ValueError, match="agregue una nota"):
        store.change_status(db, "penalolen", folio, "recibida", "   ", "sistema-dom")
    with pytest.raises(ValueError, match="demasiado larga"):
        store.change_status(db, "penalolen", folio, "en_revision", "x" * (store.NOTE_MAX_LENGTH + 1), "sistema-dom")
    found = store.get_request(db, "penalolen", folio)
    assert found["status"] == "recibida" and len(found["history"]) == 1 and notifications(db) == []
    # The same status is accepted with a note, and the citizen hears about it.
    store.change_status(db, "penalolen", folio, "recibida", "Falta una foto del objeto", "sistema-dom")
    assert len(store.get_request(db, "penalolen", folio)["history"]) == 2
    (notice,) = notifications(db)
    assert (notice.kind, notice.variables) == (
        "novedad",
        {"folio": folio, "status": "recibida", "procedure": "retiro-voluminosos", "note": "Falta una foto del objeto"},
    )
    assert sent_text(notice) == (
        f"Hay novedades en tu solicitud {folio} (retiro-voluminosos), que sigue en estado: "
        "recibida.\nNota: Falta una foto del objeto"
    )


def test_change_writes_exactly_one_notification_for_the_citizen(db, catalogue):
    folio = submit(db, "k1", channel="telegram", sender_id="tg-111")
    other = submit(db, "k2", channel="whatsapp", sender_id="whatsapp:+56911112222")
    store.change_status(
        db, "penalolen", folio, "en_terreno", "Pasamos el martes", "sistema-dom", procedure_name=catalogue.display_name
    )
    (notice,) = notifications(db)
    with db.session() as session:
        request_id = session.execute(select(RequestRow.id).where(RequestRow.folio == folio)).scalar_one()
    assert (notice.request_id, notice.municipality, notice.channel, notice.recipient, notice.state) == (
        request_id,
        "penalolen",
        "telegram",
        "tg-111",
        "pendiente",
    )
    # The notice keeps its data; its text is rendered when it is sent.
    assert notice.text is None and notice.kind == "cambio_estado"
    assert notice.variables == {
        "folio": folio,
        "status": "en_terreno",
        "procedure": catalogue.display_name("retiro-voluminosos"),
        "note": "Pasamos el martes",
    }
    assert sent_text(notice) == (
        f"Tu solicitud {folio} (Retiro de residuos voluminosos (cachureos)) cambió a: "
        "en terreno.\nNota: Pasamos el martes"
    )
    # Without a catalogue the slug names the procedure; a plain name is used as given.
    store.change_status(db, "penalolen", other, "en_revision", "", "sistema-dom")
    store.change_status(db, "penalolen", other, "derivada", "", "sistema-dom", procedure_name="Retiro de cachureos")
    texts = [sent_text(n) for n in notifications(db)][1:]
    assert texts == [
        f"Tu solicitud {other} (retiro-voluminosos) cambió a: en revisión.",
        f"Tu solicitud {other} (Retiro de cachureos) cambió a: derivada a otra unidad.",
    ]
    assert [n.recipient for n in notifications(db)][1:] == ["whatsapp:+56911112222"] * 2


def test_another_municipality_cannot_read_or_change(db, monkeypatch):
    folio = submit(db, "k1", municipality="angol", code="ANG")
    assert store.get_request(db, "penalolen", folio) is None
    assert store.get_request(db, "penalolen", "PEN-ZZZZZZ") is None
    with pytest.raises(LookupError):
        store.change_status(db, "penalolen", folio, "resuelta", "", "sistema-dom")
    assert store.get_request(db, "angol", folio)["status"] == "recibida"
    assert notifications(db) == []
    # The same folio in two municipalities: a change reaches only the caller's own request.
    monkeypatch.setattr(store, "new_folio", lambda code: "XXX-AAAAAA")
    submit(db, "a", municipality="penalolen")
    submit(db, "b", municipality="angol", sender_id="tg-222")
    store.change_status(db, "angol", "XXX-AAAAAA", "rechazada", "Fuera de la comuna", "sistema-angol")
    assert store.get_request(db, "penalolen", "XXX-AAAAAA")["status"] == "recibida"
    assert store.get_request(db, "angol", "XXX-AAAAAA")["status"] == "rechazada"
    assert [n.recipient for n in notifications(db)] == ["tg-222"]


def test_list_requests_is_per_municipality_newest_first_and_filtered(db):
    old = submit(db, "k1", procedure="reporte-bache")
    middle = submit(db, "k2")
    new = submit(db, "k3")
    foreign = submit(db, "k4", municipality="angol", code="ANG")
    set_created(db, old, datetime(2024, 3, 1, 15, 0, tzinfo=timezone.utc))
    set_created(db, middle, datetime(2024, 3, 10, 15, 0, tzinfo=timezone.utc))
    set_created(db, new, datetime(2024, 3, 20, 15, 0, tzinfo=timezone.utc))
    store.change_status(db, "penalolen", middle, "en_revision", "", "sistema-dom")

    def folios(**kwargs):
        return [r["folio"] for r in store.list_requests(db, "penalolen", **kwargs)]

    assert folios() == [new, middle, old]
    assert [r["folio"] for r in store.list_requests(db, "angol")] == [foreign]
    assert folios(status="en_revision") == [middle]
    assert folios(procedure="reporte-bache") == [old]
    assert folios(since=date(2024, 3, 10)) == [new, middle]
    assert folios(until=date(2024, 3, 10)) == [old]
    assert folios(
        since=datetime(2024, 3, 5, tzinfo=timezone.utc), until=datetime(2024, 3, 15, tzinfo=timezone.utc)
    ) == [middle]
    assert folios(limit=2) == [new, middle] and folios(limit=2, offset=2) == [old]
    listed = store.list_requests(db, "penalolen")
    for item in listed:
        assert set(item) == {
            "folio",
            "municipality",
            "procedure",
            "status",
            "status_label",
            "created_at",
            "updated_at",
            "fields",
            "attachments",
        }
        assert "rut" not in item["fields"] and item["fields"]["nombre"] == "Ana Soto"
        assert all(set(a) == {"n", "kind", "content_type"} for a in item["attachments"])  # never the media URL
    assert listed[2]["created_at"] == "2024-03-01T15:00:00+00:00"
    with pytest.raises(ValueError):
        store.list_requests(db, "penalolen", status="cerrada")
    with pytest.raises(ValueError):
        store.list_requests(db, "penalolen", limit=store.MAX_LIST_LIMIT + 1)


def test_requests_for_sender(db):
    open_one = submit(db, "k1", sender_id="tg-111")
    closed = submit(db, "k2", sender_id="tg-111")
    submit(db, "k3", sender_id="tg-222")
    submit(db, "k4", channel="whatsapp", sender_id="tg-111")
    submit(db, "k5", municipality="angol", code="ANG", sender_id="tg-111")
    store.change_status(db, "penalolen", closed, "resuelta", "", "sistema-dom")
    found = store.requests_for_sender(db, "penalolen", "telegram", "tg-111")
    assert [r["folio"] for r in found] == [open_one]
    assert "sender_id" not in found[0] and "channel" not in found[0]
    everything = store.requests_for_sender(db, "penalolen", "telegram", "tg-111", open_only=False)
    assert {r["folio"] for r in everything} == {open_one, closed}
    assert store.requests_for_sender(db, "penalolen", "telegram", "nadie") == []


def test_find_by_folio_and_rut(db):
    folio = submit(db, "k1", rut="12345678-5")
    no_rut = submit(db, "k2", rut=None)
    foreign = submit(db, "k3", municipality="angol", code="ANG", rut="12345678-5")
    for spelling in ("12345678-5", "12.345.678-5", "123456785", " 12345678-5 "):
        found = store.find_by_folio_and_rut(db, "penalolen", folio.lower(), spelling)
        assert found is not None and found["folio"] == folio, spelling
    assert [h["status"] for h in found["history"]] == ["recibida"]
    assert store.find_by_folio_and_rut(db, "penalolen", folio, "11111111-1") is None  # valid RUT, not theirs
    assert store.find_by_folio_and_rut(db, "penalolen", folio, "12345678-9") is None  # invalid check digit
    assert store.find_by_folio_and_rut(db, "penalolen", folio, "") is None
    assert store.find_by_folio_and_rut(db, "penalolen", no_rut, "12345678-5") is None
    assert store.find_by_folio_and_rut(db, "penalolen", foreign, "12345678-5") is None
    assert store.find_by_folio_and_rut(db, "penalolen", "PEN-ZZZZZZ", "12345678-5") is None
    assert store.find_by_folio_and_rut(db, "penalolen", "PEN-\x00", "12345678-5") is None
    assert store.get_request(db, "penalolen", "PEN-\x00") is None


def test_concurrent_closings_let_exactly_one_win(db):
    folio = submit(db, "k1")

    def close(i):
        status = ("resuelta", "rechazada")[i % 2]
        try:
            store.change_status(db, "penalolen", folio, status, f"cierre {i}", f"sistema-{i}")
            return "ok"
        except ValueError:
            return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(close, range(6)))
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 5
    with db.session() as session:
        assert session.execute(select(func.count(RequestStatusRow.id))).scalar() == 2
    assert len(notifications(db)) == 1

"""Photos, voice notes, files and shared locations: how the channels describe them in a message's metadata
(bot/message_metadata.py), how they are fetched from Twilio and Telegram (channels/media.py, against the
stand-ins), and how staff see them: the console's transcript and attachment route (only for staff of the
conversation's municipality) and the back-office API's attachments of a request."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import partial
from typing import Any, Dict, List

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from telegram import Update

import channels.whatsapp as whatsapp
from bot.app.web.app import create_app
from bot.app.web.console import add_console
from bot.handoff.transcript import TranscriptReader
from bot.handoff.with_staff import set_with_staff
from bot.message_metadata import ATTACHMENTS_KEY, LOCATION_KEY, MEDIA_ONLY_TEXT, attachment, attachments_of
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.staff import accounts
from bot.storage import requests as requests_store
from bot.storage.tables import AuditRow, utcnow
from bot.storage.tokens import create_token
from channels.media import MediaFetcher, MediaTooLarge, MediaUnavailable
from channels.registry import ChannelRegistry
from channels.telegram import TelegramInput, telegram_media
from channels.telegram_api import TelegramSettings
from channels.whatsapp import WhatsAppInput, twilio_media
from channels.whatsapp_api import TwilioSettings
from tests.standins import TelegramStandIn, TwilioStandIn
from tests.test_console import PASSWORD, Browser, RasaStandIn, add_event, add_handoff

AUTH = "token-de-prueba-twilio"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # enough of an image for the browser's sake
OGG = b"OggS" + b"\x01" * 300
WA_SENDER = "whatsapp:+56229999999:+56911112222"
TG_PEN = "telegram:penalolen:4242"
TOKENS = {"penalolen": "111:PENALOLEN", "angol": "222:ANGOL"}


@pytest.fixture
def twilio():
    standin = TwilioStandIn("ACprueba", AUTH).start()
    yield standin
    standin.stop()


@pytest.fixture
def telegram():
    standin = TelegramStandIn().start()
    yield standin
    standin.stop()


def fetcher(twilio, telegram, max_bytes: int = 1_000_000) -> MediaFetcher:
    return MediaFetcher(
        TwilioSettings("ACprueba", AUTH, twilio.url), TelegramSettings(dict(TOKENS), "s", telegram.url), max_bytes, 5
    )


# --- What the channels put in the metadata ---------------------------------------------------------------


async def test_twilio_media_and_location_keep_what_twilio_sends(monkeypatch, catalogue):
    form = {
        "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        "MediaContentType1": "audio/ogg",
    }
    assert twilio_media(form) == [
        {"kind": "image", "source": "twilio", "ref": form["MediaUrl0"], "content_type": "image/jpeg"},
        {"kind": "audio", "source": "twilio", "ref": form["MediaUrl1"], "content_type": "audio/ogg"},
    ]
    assert twilio_media({"NumMedia": "x1"}) == [] and twilio_media({"NumMedia": "1" * 5000}) == []
    assert twilio_media({"NumMedia": "²"}) == [] and twilio_media({"NumMedia": "1", "MediaUrl0": "file:///etc"}) == []

    async def current():
        return catalogue

    monkeypatch.setattr(whatsapp, "current_catalogue", current)
    channel = WhatsAppInput(TwilioSettings("ACprueba", "secreto"))
    shared = {
        "To": "whatsapp:+56924868000",
        "Latitude": "-33.4869",
        "Longitude": "-70.5396",
        "Address": "Av. Grecia 8735,\nPeñalolén",
        "Label": "Municipalidad",
    }
    metadata = await channel._metadata(shared)
    assert metadata[LOCATION_KEY] == {
        "lat": -33.4869,
        "lon": -70.5396,
        "address": "Av. Grecia 8735, Peñalolén",
        "label": "Municipalidad",
    }
    assert LOCATION_KEY not in await channel._metadata({**shared, "Latitude": "nan"})


def tg_update(**fields: Any) -> Update:
    message = {"message_id": 5, "date": 0, "chat": {"id": 4242, "type": "private"}, **fields}
    return Update.de_json({"update_id": 1, "message": message}, None)


def test_telegram_media_the_largest_photo_a_voice_note_a_document():
    photo = tg_update(
        photo=[
            {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 60, "file_size": 900},
            {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 960, "file_size": 90000},
        ]
    ).message
    assert telegram_media(photo) == [
        {"kind": "image", "source": "telegram", "ref": "big", "content_type": "image/jpeg", "size": 90000}
    ]
    voice = tg_update(voice={"file_id": "v1", "file_unique_id": "v", "duration": 3, "mime_type": "audio/ogg"}).message
    assert telegram_media(voice) == [{"kind": "audio", "source": "telegram", "ref": "v1", "content_type": "audio/ogg"}]
    document = tg_update(
        document={"file_id": "d1", "file_unique_id": "d", "file_name": "boleta.pdf", "mime_type": "application/pdf"}
    ).message
    assert telegram_media(document)[0] == {
        "kind": "document",
        "source": "telegram",
        "ref": "d1",
        "content_type": "application/pdf",
        "name": "boleta.pdf",
    }
    assert telegram_media(tg_update(text="hola").message) == []


async def test_telegram_media_without_words_reaches_the_assistant_with_its_attachment(monkeypatch):
    monkeypatch.setenv("VOICE_NOTES", "0")  # transcribed voice notes: tests/test_voice_e2e.py
    channel = TelegramInput(TelegramSettings({}))
    update = tg_update(
        photo=[{"file_id": "big", "file_unique_id": "b", "width": 10, "height": 10}], caption="  el hoyo  "
    )
    text, metadata = await channel._incoming(update, "penalolen", TG_PEN, None)
    assert text == "el hoyo" and attachments_of(metadata)[0]["ref"] == "big"
    update = tg_update(voice={"file_id": "v1", "file_unique_id": "v", "duration": 3})
    text, metadata = await channel._incoming(update, "penalolen", TG_PEN, None)
    assert text == MEDIA_ONLY_TEXT and attachments_of(metadata)[0]["kind"] == "audio"
    venue = tg_update(
        venue={
            "location": {"latitude": -33.48, "longitude": -70.55},
            "title": "Plaza",
            "address": "Av. Grecia 8735",
        }
    )
    text, metadata = await channel._incoming(venue, "penalolen", TG_PEN, None)
    assert text == "ubicacion" and metadata[LOCATION_KEY]["address"] == "Av. Grecia 8735"


def test_attachments_of_keeps_only_well_formed_items():
    good = attachment("image", "telegram", "f1", "image/jpeg")
    metadata = {ATTACHMENTS_KEY: [good, {"kind": "image", "source": "ftp", "ref": "x"}, "junk", {"kind": "image"}]}
    assert attachments_of(metadata) == [good] and attachments_of({ATTACHMENTS_KEY: "x"}) == []


# --- Fetching from the channels ---------------------------------------------------------------------------


async def test_twilio_media_fetched_with_the_account_credentials_and_the_redirect_followed(twilio, telegram):
    url = twilio.add_media(PNG, "image/png")
    media = await fetcher(twilio, telegram).fetch(WA_SENDER, attachment("image", "twilio", url, "image/jpeg"))
    assert media.content == PNG and media.content_type == "image/png" and media.inline
    asked = twilio.matching(lambda r: "media" in r)
    served = twilio.matching(lambda r: "file" in r)
    assert asked[0]["authorization"] == aiohttp.BasicAuth("ACprueba", AUTH).encode()
    assert served and served[0]["authorization"] is None  # the file itself gets no credentials


async def test_twilio_media_of_another_account_or_host_is_never_fetched(twilio, telegram):
    other = twilio.add_media(PNG, "image/png").replace("ACprueba", "ACotra")
    for url in (other, "https://example.com/2010-04-01/Accounts/ACprueba/Messages/MM1/Media/ME1"):
        with pytest.raises(MediaUnavailable):
            await fetcher(twilio, telegram).fetch(WA_SENDER, attachment("image", "twilio", url))
    assert not twilio.matching(lambda r: "media" in r)
    with pytest.raises(MediaUnavailable):  # a Twilio attachment in a Telegram conversation
        await fetcher(twilio, telegram).fetch(TG_PEN, attachment("image", "twilio", twilio.add_media(PNG, "image/png")))


async def test_a_file_larger_than_the_limit_is_refused(twilio, telegram):
    url = twilio.add_media(PNG * 10, "image/png")
    with pytest.raises(MediaTooLarge):
        await fetcher(twilio, telegram, max_bytes=len(PNG)).fetch(WA_SENDER, attachment("image", "twilio", url))
    file_id = telegram.add_file(TOKENS["penalolen"], OGG * 10, "audio/ogg")
    with pytest.raises(MediaTooLarge):  # getFile says its size: not downloaded
        await fetcher(twilio, telegram, max_bytes=len(OGG)).fetch(TG_PEN, attachment("audio", "telegram", file_id))
    assert not telegram.matching(lambda r: "file_path" in r)


async def test_telegram_file_by_get_file_with_the_bot_of_the_conversations_municipality(twilio, telegram):
    file_id = telegram.add_file(TOKENS["penalolen"], OGG, "audio/ogg")
    media = await fetcher(twilio, telegram).fetch(TG_PEN, attachment("audio", "telegram", file_id, "audio/ogg"))
    assert media.content == OGG and media.content_type == "audio/ogg"
    calls = telegram.matching(lambda r: r.get("method") == "getFile")
    assert calls[0]["token"] == TOKENS["penalolen"] and calls[0]["file_id"] == file_id
    with pytest.raises(MediaUnavailable):  # Angol's bot does not know Peñalolén's file
        await fetcher(twilio, telegram).fetch("telegram:angol:4242", attachment("audio", "telegram", file_id))


async def test_a_channel_that_does_not_answer_in_time_is_unavailable(twilio, telegram):
    url = twilio.add_media(PNG, "image/png")
    twilio.hang_next(1, 3)
    slow = MediaFetcher(TwilioSettings("ACprueba", AUTH, twilio.url), TelegramSettings({}), 1000, timeout=0.5)
    with pytest.raises(MediaUnavailable):
        await slow.fetch(WA_SENDER, attachment("image", "twilio", url))


def test_html_and_svg_are_never_served_as_such():
    from channels.media import Media

    assert Media(b"<svg/>", "image/svg+xml").served_type() == "application/octet-stream"
    assert not Media(b"<svg/>", "image/svg+xml").inline
    assert Media(b"%PDF", "application/pdf").served_type() == "application/pdf"
    assert not Media(b"%PDF", "application/pdf").inline


# --- Staff: the console and the back-office API -----------------------------------------------------------


def add_media_event(reader: TranscriptReader, sender: str, at, items: List[Dict[str, Any]], **extra: Any) -> int:
    event_id = add_event(reader, sender, "user", MEDIA_ONLY_TEXT, at, "informar", 1.0)
    with reader.engine.begin() as conn:
        data = json.loads(conn.execute(select(RASA_EVENTS.c.data).where(RASA_EVENTS.c.id == event_id)).scalar_one())
        data["metadata"] = {ATTACHMENTS_KEY: items, **extra}
        conn.execute(RASA_EVENTS.update().where(RASA_EVENTS.c.id == event_id).values(data=json.dumps(data)))
    return event_id


@pytest.fixture
def reader(tmp_path):
    reader = TranscriptReader(f"sqlite:///{tmp_path / 'rasa_tracker.db'}")
    RASA_EVENTS.metadata.create_all(reader.engine)
    yield reader
    reader.engine.dispose()


@pytest.fixture
def world(sqlite_db, reader, twilio, telegram):
    db = sqlite_db
    accounts.create_staff(db, "penalolen", "ana", "Ana Pérez", PASSWORD)
    accounts.create_staff(db, "angol", "pedro", "Pedro Angol", PASSWORD)
    start = utcnow() - timedelta(minutes=10)
    wa = add_handoff(db, "penalolen", WA_SENDER, "whatsapp", start, procedure="reporte-bache")
    photo = attachment("image", "twilio", twilio.add_media(PNG, "image/png"), "image/jpeg")
    events = {
        "photo": add_media_event(reader, WA_SENDER, start - timedelta(minutes=2), [photo]),
        "place": add_event(reader, WA_SENDER, "user", "ubicacion", start - timedelta(minutes=1), "informar", 1.0),
    }
    with reader.engine.begin() as conn:  # the shared location, with Twilio's Address
        data = json.loads(
            conn.execute(select(RASA_EVENTS.c.data).where(RASA_EVENTS.c.id == events["place"])).scalar_one()
        )
        data["metadata"] = {LOCATION_KEY: {"lat": -33.4869, "lon": -70.5396, "address": "Av. Grecia 8735"}}
        conn.execute(RASA_EVENTS.update().where(RASA_EVENTS.c.id == events["place"]).values(data=json.dumps(data)))
    voice_id = telegram.add_file(TOKENS["penalolen"], OGG, "audio/ogg")
    tg = add_handoff(db, "penalolen", TG_PEN, "telegram", start, procedure="reporte-bache")
    events["voice"] = add_media_event(
        reader, TG_PEN, start - timedelta(minutes=3), [attachment("audio", "telegram", voice_id, "audio/ogg")]
    )
    folio = requests_store.submit_request(
        db,
        key="k-foto",
        municipality="penalolen",
        code="PEN",
        procedure="reporte-bache",
        fields={"direccion": "Av. Grecia 8735", "foto": "adjunto 1"},
        rut=None,
        channel="whatsapp",
        sender_id=WA_SENDER,
        attachments=[photo],
    ).folio
    return {"db": db, "reader": reader, "wa": wa, "tg": tg, "events": events, "folio": folio}


@pytest.fixture
async def server(world, twilio, telegram, catalogue):
    rasa = RasaStandIn().start()
    app = create_app(world["db"], lambda: catalogue, media=fetcher(twilio, telegram))
    add_console(
        app,
        world["db"],
        world["reader"],
        ChannelRegistry(),
        set_with_staff=partial(set_with_staff, rasa_url=rasa.url),
        catalogue_provider=lambda: catalogue,
        media=fetcher(twilio, telegram),
    )
    async with TestServer(app) as test_server:
        yield test_server
    rasa.stop()


@pytest.fixture
async def browsers(server):
    opened: List[Browser] = []

    async def open_as(username: str) -> Browser:
        browser = Browser(server)
        opened.append(browser)
        response, text = await browser.login(username)
        assert response.status == 303, text
        return browser

    yield open_as
    for browser in opened:
        await browser.close()


async def test_staff_see_the_photo_the_voice_note_and_the_map_link(browsers, world):
    ana = await browsers("ana")
    wa, photo = world["wa"], world["events"]["photo"]
    response, page = await ana.get(f"/consola/conversacion/{wa}")
    assert response.status == 200
    src = f"/consola/conversacion/{wa}/adjunto/{photo}/1"
    assert re.search(rf'<img src="{src}" alt="Foto', page) and "(envió una foto)" in page
    assert "https://www.openstreetmap.org/?mlat=-33.486900&amp;mlon=-70.539600" in page and "Av. Grecia 8735" in page
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self'" in policy and "media-src 'self'" in policy
    async with ana.http.get(ana.base + src) as image:
        assert image.status == 200 and image.content_type == "image/png" and await image.read() == PNG
        assert image.headers["Content-Disposition"] == "inline"
    tg, voice = world["tg"], world["events"]["voice"]
    _, page = await ana.get(f"/consola/conversacion/{tg}")
    assert f'<audio controls preload="none" src="/consola/conversacion/{tg}/adjunto/{voice}/1">' in page
    async with ana.http.get(ana.base + f"/consola/conversacion/{tg}/adjunto/{voice}/1") as audio:
        assert audio.status == 200 and audio.content_type == "audio/ogg" and await audio.read() == OGG
    with world["db"].session() as session:
        seen = session.execute(select(AuditRow).where(AuditRow.action == "ver_adjunto")).scalars().all()
        assert [(a.staff, a.handoff_id) for a in seen] == [("ana", wa), ("ana", tg)]


async def test_no_attachment_of_another_municipality_nor_another_conversation(browsers, world, twilio):
    pedro = await browsers("pedro")  # Angol
    wa, photo = world["wa"], world["events"]["photo"]
    response, _ = await pedro.get(f"/consola/conversacion/{wa}/adjunto/{photo}/1")
    assert response.status == 404
    ana = await browsers("ana")
    # Peñalolén's own handoff, but the event of the other conversation: not served through it.
    response, _ = await ana.get(f"/consola/conversacion/{world['tg']}/adjunto/{photo}/1")
    assert response.status == 404
    response, _ = await ana.get(f"/consola/conversacion/{wa}/adjunto/{photo}/2")
    assert response.status == 404
    assert len(twilio.matching(lambda r: "media" in r)) == 0  # nothing was fetched for any of them
    async with aiohttp.ClientSession() as anonymous:  # no session: the login page
        url = f"{pedro.base}/consola/conversacion/{wa}/adjunto/{photo}/1"
        async with anonymous.get(url, allow_redirects=False) as response:
            assert response.status in (302, 303) and "/consola/ingresar" in response.headers["Location"]


async def test_a_file_the_channel_cannot_give_is_an_error_page(browsers, world, twilio):
    ana = await browsers("ana")
    twilio.fail_next(500)
    response, text = await ana.get(f"/consola/conversacion/{world['wa']}/adjunto/{world['events']['photo']}/1")
    assert response.status == 502 and "No se pudo traer el archivo" in text


async def test_back_office_api_gives_the_photo_of_a_request(server, world):
    db, folio = world["db"], world["folio"]
    pen, ang = create_token(db, "penalolen", "sistema-pen"), create_token(db, "angol", "sistema-ang")
    base = f"http://{server.host}:{server.port}/api/v1/solicitudes/{folio}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base, headers={"Authorization": f"Bearer {pen}"}) as response:
            detail = await response.json()
        assert detail["attachments"] == [{"n": 1, "kind": "image", "content_type": "image/jpeg"}]
        assert detail["fields"]["foto"] == "adjunto 1" and "twilio" not in json.dumps(detail)
        async with http.get(base + "/adjuntos/1", headers={"Authorization": f"Bearer {pen}"}) as response:
            assert response.status == 200 and response.content_type == "image/png" and await response.read() == PNG
        for path, token, status in ((base + "/adjuntos/1", ang, 404), (base + "/adjuntos/2", pen, 404)):
            async with http.get(path, headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status == status
        async with http.get(base + "/adjuntos/1") as response:
            assert response.status == 401


async def test_staff_see_the_photo_kept_with_the_request(browsers, world):
    ana = await browsers("ana")
    wa, folio = world["wa"], world["folio"]
    _, page = await ana.get(f"/consola/conversacion/{wa}")
    src = f"/consola/conversacion/{wa}/solicitud/{folio}/adjunto/1"
    assert f'<img src="{src}" alt="Foto 1 de la solicitud {folio}">' in page
    async with ana.http.get(ana.base + src) as image:
        assert image.status == 200 and image.content_type == "image/png" and await image.read() == PNG
    # Not through another conversation's handoff, nor by another municipality's staff.
    response, _ = await ana.get(f"/consola/conversacion/{world['tg']}/solicitud/{folio}/adjunto/1")
    assert response.status == 404
    pedro = await browsers("pedro")
    response, _ = await pedro.get(src)
    assert response.status == 404

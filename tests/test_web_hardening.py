"""Hostile requests against the real web process (``python -m bot web``): a non-ASCII bearer token,
deeply nested JSON, out-of-range search dates, and the console login (municipality, throttling per
client address behind a trusted proxy)."""

from __future__ import annotations

import json
import re
import socket
from typing import Dict, Optional, Tuple
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import make_mocked_request

from bot.app.web.client_address import client_address, trusted_proxies
from bot.staff import accounts
from bot.storage import login_limits
from bot.storage.catalogue_store import load_catalogue_into
from bot.storage.db import Database
from bot.storage.requests import submit_request
from bot.storage.tokens import create_token
from tests.web_process import web_process

PASSWORD = "clave-segura-123"
OTHER_PASSWORD = "otra-clave-muy-distinta-77"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, catalogue):
    var = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{var / 'municipal.db'}"
    db = Database(url)
    db.create_schema()
    load_catalogue_into(db, catalogue, "tests")
    token = create_token(db, "penalolen", "sistema-oirs")
    folio = submit_request(
        db,
        key="k",
        municipality="penalolen",
        code="PEN",
        procedure="retiro-voluminosos",
        fields={},
        rut="12345678-5",
        channel="rest",
        sender_id="vecino",
    ).folio
    accounts.create_staff(db, "penalolen", "pedro", "Pedro Pérez", PASSWORD)
    accounts.create_staff(db, "angol", "pedro", "Pedro Soto", OTHER_PASSWORD)  # same username, other town
    accounts.create_staff(db, "penalolen", "ana", "Ana Rojas", PASSWORD)
    db.dispose()
    return {"url": url, "var": var, "token": token, "folio": folio}


@pytest.fixture(scope="module")
def web(prepared):
    yield from web_process(prepared["url"], prepared["var"], {"CONSOLE_TRUSTED_PROXIES": "127.0.0.1"})


def raw_http(web, method: str, path: str, headers: Dict[str, bytes], body: bytes = b"") -> Tuple[int, Dict, bytes]:
    """One HTTP/1.1 request written byte by byte (headers may carry any bytes, as an attacker's would)."""
    lines = [
        f"{method} {path} HTTP/1.1".encode(),
        f"Host: 127.0.0.1:{web.port}".encode(),
        b"Connection: close",
        f"Content-Length: {len(body)}".encode(),
    ] + [k.encode() + b": " + v for k, v in headers.items()]
    with socket.create_connection(("127.0.0.1", web.port), timeout=30) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), response_headers, payload


@pytest.mark.parametrize(
    "token", ["clave-ñandú".encode("utf-8"), "ñ".encode("latin-1"), b"\xff\xfe\x80", "🙂".encode("utf-8")]
)
def test_a_non_ascii_bearer_token_is_a_401(web, token):
    status, _, payload = raw_http(web, "GET", "/api/v1/solicitudes", {"Authorization": b"Bearer " + token})
    assert status == 401
    assert "no es válido" in json.loads(payload)["error"]


def test_deeply_nested_json_is_a_400(web, prepared):
    body = b"[" * 30000 + b"]" * 30000
    status, _, payload = raw_http(
        web,
        "POST",
        f"/api/v1/solicitudes/{prepared['folio']}/estado",
        {"Authorization": f"Bearer {prepared['token']}".encode(), "Content-Type": b"application/json"},
        body,
    )
    assert status == 400 and "anidados" in json.loads(payload)["error"]
    body = b'{"estado": ' + b"[" * 30000 + b"]" * 30000 + b"}"
    status, _, payload = raw_http(
        web,
        "POST",
        f"/api/v1/solicitudes/{prepared['folio']}/estado",
        {"Authorization": f"Bearer {prepared['token']}".encode(), "Content-Type": b"application/json"},
        body,
    )
    assert status == 400


class Console:
    """A browser of the console over raw HTTP: cookies, the login form, and the client's forwarded address."""

    def __init__(self, web, forwarded_for: Optional[str] = None) -> None:
        self.web, self.cookies, self.forwarded_for = web, {}, forwarded_for

    def request(self, method: str, path: str, form: Optional[Dict[str, str]] = None) -> Tuple[int, Dict, str]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for.encode()
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = b"application/x-www-form-urlencoded"
        status, response_headers, payload = raw_http(self.web, method, path, headers, body)
        for cookie in response_headers.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return status, response_headers, payload.decode("utf-8", "replace")

    def login(self, municipality: str, username: str, password: str) -> Tuple[int, str]:
        _, _, page = self.request("GET", "/consola/ingresar")
        form = {
            "csrf": CSRF_RE.search(page).group(1),
            "municipio": municipality,
            "usuario": username,
            "clave": password,
        }
        status, _, text = self.request("POST", "/consola/ingresar", form)
        return status, text


def test_out_of_range_search_dates_are_a_400(web):
    console = Console(web, "198.51.100.1")
    assert console.login("penalolen", "ana", PASSWORD)[0] == 303
    for query in ("hasta=9999-12-31", "desde=0001-01-01", "desde=9999-12-31&hasta=9999-12-31", "hasta=2024-02-30"):
        status, _, text = console.request("GET", f"/consola/buscar?{query}")
        assert status == 400, query
        assert "fuera de rango" in text or "no es válida" in text
    assert console.request("GET", "/consola/buscar?desde=2024-01-01&hasta=2024-12-31")[0] == 200


def test_login_names_the_municipality(web):
    page = Console(web).request("GET", "/consola/ingresar")[2]
    assert '<label for="municipio">Municipalidad</label>' in page and 'value="angol"' in page
    assert Console(web, "198.51.100.2").login("penalolen", "pedro", PASSWORD)[0] == 303
    assert Console(web, "198.51.100.2").login("angol", "pedro", OTHER_PASSWORD)[0] == 303
    status, text = Console(web, "198.51.100.2").login("angol", "pedro", PASSWORD)  # Peñalolén's password
    assert status == 401 and "Municipalidad, usuario o contraseña incorrectos" in text


def test_an_attackers_failures_throttle_the_attacker_not_the_staffer(web):
    attacker = Console(web, "203.0.113.7")
    for _ in range(login_limits.CLIENT_MAX_FAILURES):
        assert attacker.login("penalolen", "ana", "no-es-la-clave-1")[0] == 401
    status, text = attacker.login("penalolen", "ana", PASSWORD)
    assert status == 429 and "demasiados intentos fallidos desde este equipo" in text
    # Writing another address at the left of X-Forwarded-For does not help: the proxy's last hop counts.
    spoofing = Console(web, "192.0.2.99, 203.0.113.7")
    assert spoofing.login("penalolen", "ana", PASSWORD)[0] == 429
    # Ana, at the office, logs in as usual.
    assert Console(web, "198.51.100.20").login("penalolen", "ana", PASSWORD)[0] == 303


def test_forwarded_addresses_are_believed_only_from_trusted_proxies():
    proxies = trusted_proxies("127.0.0.1, 10.0.0.0/8")

    def request(peer: str, forwarded: Optional[str]):
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return make_mocked_request("POST", "/consola/ingresar", headers=headers, transport=_Transport(peer))

    assert client_address(request("127.0.0.1", "203.0.113.7"), proxies) == "203.0.113.7"
    assert client_address(request("127.0.0.1", "1.2.3.4, 203.0.113.7, 10.1.2.3"), proxies) == "203.0.113.7"
    assert client_address(request("198.51.100.5", "203.0.113.7"), proxies) == "198.51.100.5"  # not a proxy
    assert client_address(request("198.51.100.5", None), []) == "198.51.100.5"
    assert client_address(request("127.0.0.1", "no-es-una-ip"), proxies) == "127.0.0.1"
    with pytest.raises(ValueError, match="CONSOLE_TRUSTED_PROXIES"):
        trusted_proxies("127.0.0.1, proxy.local")


class _Transport:
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default=None):
        return (self.peer, 12345) if name == "peername" else default

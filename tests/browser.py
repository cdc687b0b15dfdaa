"""Driving the staff console in Debian's Chromium with Playwright (headless): shared by the browser tests."""

from __future__ import annotations

import shutil
import time
from typing import Callable

from tests.conftest import require
from tests.test_console import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Skip locally without Playwright or Chromium; in CI (CI=true) fail instead."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "falta el paquete playwright (pip install playwright)")
    require(shutil.which(CHROMIUM) is not None, f"falta Chromium en {CHROMIUM} (apt-get install chromium)")


def login(page, base: str, username: str, municipality: str, password: str = PASSWORD) -> None:
    """Log in through the console's form and wait for the queue."""
    page.goto(base + "/consola/ingresar")
    page.get_by_label("Municipalidad").select_option(label=f"Municipalidad de {municipality}")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_role("heading", name="Conversaciones en espera").wait_for()


def until(check: Callable[[], bool], timeout: float = 20, what: str = "la cola no se actualizó a tiempo") -> None:
    """Wait for ``check()`` to hold, polled from Python (the console's CSP forbids ``wait_for_function``)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)

"""HTML for the console: plain templates (``bot/app/web/templates``) filled with escaped values.

``render`` fills a ``string.Template`` file; every value is HTML-escaped unless it is
``Markup`` (HTML built here from escaped parts), so citizen text can never become markup.
Also the console's formatting of times (America/Santiago), durations and names.
"""

from __future__ import annotations

import html
import string
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Sequence
from zoneinfo import ZoneInfo

from bot.config import timezone_name
from bot.handoff.states import HandoffStatus

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "rest": "Chat web"}
STATUS_NAMES: Dict[str, str] = {
    HandoffStatus.WAITING: "Esperando",
    HandoffStatus.ATTENDED: "En atención",
    HandoffStatus.CLOSED: "Cerrada",
    HandoffStatus.HANDED_BACK: "Devuelta al asistente",
    HandoffStatus.ABANDONED: "Desistida",
}
REASON_NAMES = {
    "hablar_con_funcionario": "Pidió hablar con una persona",
    "no_entendido": "El asistente no entendió",
    "formulario": "Problema en un formulario",
    "funcionario": "Tomada por un funcionario desde la consola",
}


class Markup(str):
    """Trusted HTML: inserted into templates as is."""


def escape(value: Any) -> Markup:
    """``value`` as HTML text (``Markup`` passes unchanged, ``None`` is empty)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any], separator: str = "\n") -> Markup:
    """Escaped parts joined into one piece of HTML."""
    return Markup(separator.join(escape(p) for p in parts))


@lru_cache(maxsize=None)
def _file_template(name: str) -> string.Template:
    return string.Template((TEMPLATES_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=512)
def _inline_template(text: str) -> string.Template:
    return string.Template(text)


def render(name: str, /, **values: Any) -> Markup:
    """The template file ``name`` with ``$values`` escaped."""
    return Markup(_file_template(name).substitute({k: escape(v) for k, v in values.items()}))


def table(caption: str, headers: Sequence[str], rows: Iterable[Any]) -> Markup:
    """A data table (templates/table.html): column ``headers`` and rows already rendered as ``<tr>``."""
    header_cells = Markup("".join(f'<th scope="col">{escape(h)}</th>' for h in headers))
    return render("table.html", caption=caption, headers=header_cells, rows=join(rows))


def fragment(source: str, /, **values: Any) -> Markup:
    """A small inline template (``$name`` placeholders) with its values escaped."""
    return Markup(_inline_template(source).substitute({k: escape(v) for k, v in values.items()}))


def local_time(moment: Optional[datetime], seconds: bool = False) -> str:
    """``31-05-2024 14:03`` in the municipalities' time zone."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone_name())).strftime("%d-%m-%Y %H:%M:%S" if seconds else "%d-%m-%Y %H:%M")


def duration(span: timedelta) -> str:
    """``menos de 1 min``, ``12 min``, ``1 h 05 min``, ``2 d 3 h``."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "menos de 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def selected(value: Optional[str], option: str) -> Markup:
    """`` selected`` when a select's option is the chosen one."""
    return Markup(" selected" if value == option else "")


def options(choices: Iterable[tuple], chosen: Optional[str] = None, empty: Optional[str] = None) -> Markup:
    """``<option>`` elements of ``(value, label)`` pairs, with an optional empty first one."""
    items = [fragment('<option value="">$label</option>', label=empty)] if empty is not None else []
    items += [
        fragment('<option value="$value"$sel>$label</option>', value=v, label=label, sel=selected(chosen, v))
        for v, label in choices
    ]
    return join(items)

"""Deciding the review entries an import left in ``catalogue/imports/<municipality>.yml``.

Accepting a procedure entry adds its ready ``extra`` procedure (or, with ``as_override``, makes
the row's values an override of a procedure the catalogue has); accepting an office entry adds
the office, or its new hours, and points the procedures of that place at it. Rejecting drops the
entry. Either way the file is rewritten and the catalogue can be validated and loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.catalogue.importer import read_import, save_import


class ReviewError(ValueError):
    """A review decision that cannot be made (the message says why, in Spanish)."""


def pending_entries(folder: Path, municipality: str) -> List[Dict[str, Any]]:
    """The entries still waiting for a decision."""
    return list(read_import(folder, municipality)["review"])


def _take(data: Dict[str, Any], number: int) -> Dict[str, Any]:
    for index, entry in enumerate(data["review"]):
        if entry.get("id") == number:
            return data["review"].pop(index)
    ids = ", ".join(str(e.get("id")) for e in data["review"]) or "ninguna"
    raise ReviewError(f"no hay una entrada {number} por revisar (pendientes: {ids})")


def accept(folder: Path, municipality: str, number: int, as_override: Optional[str] = None) -> str:
    """Accept entry ``number``; returns what was done, in Spanish."""
    data = read_import(folder, municipality)
    entry = _take(data, number)
    if entry["tipo"] == "oficina":
        done = _accept_office(data, entry)
    elif as_override:
        made_up = set(entry.get("completar") or [])  # filled in for a new procedure, not said by the table
        values = {k: v for k, v in entry["propuesta"].items() if k in _ROW_FIELDS and k != "name" and k not in made_up}
        data["overrides"][as_override] = {**data["overrides"].get(as_override, {}), **values}
        done = f"'{entry['nombre']}' queda como los datos propios de {as_override}"
    else:
        procedure = dict(entry["propuesta"])
        if any(p["slug"] == procedure["slug"] for p in data["extra"]):
            raise ReviewError(f"ya hay un trámite propio con slug {procedure['slug']!r}")
        data["extra"].append(procedure)
        done = f"trámite propio {procedure['slug']!r} agregado"
        if entry.get("completar"):
            done += f"; complete en imports/{municipality}.yml: {', '.join(entry['completar'])}"
    save_import(data, folder, municipality)
    return done


# What a table row gives (the rest of an extra procedure was made up for it).
_ROW_FIELDS = ("name", "description", "requirements", "steps", "cost", "place", "online_url", "additional_info")


def _accept_office(data: Dict[str, Any], entry: Dict[str, Any]) -> str:
    office = dict(entry["propuesta"])
    data["offices"] = [o for o in data["offices"] if o["key"] != office["key"]] + [office]
    for slug in entry.get("tramites") or []:
        if slug in data["overrides"]:
            data["overrides"][slug]["office"] = office["key"]
        for procedure in data["extra"]:
            if procedure["slug"] == slug:
                procedure["office"] = office["key"]
        for waiting in data["review"]:
            if waiting["tipo"] == "tramite" and waiting["propuesta"].get("slug") == slug:
                waiting["propuesta"]["office"] = office["key"]
    return f"oficina {office['key']!r} ({office['name']}) con horario {office['hours']!r}"


def reject(folder: Path, municipality: str, number: int) -> str:
    """Drop entry ``number``; returns what was done, in Spanish."""
    data = read_import(folder, municipality)
    entry = _take(data, number)
    save_import(data, folder, municipality)
    return f"entrada {number} ('{entry['nombre']}') descartada"

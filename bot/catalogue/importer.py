"""Importer of a municipality's Transparencia Activa "Trámites" table (CSV export).

Each row is matched to a base procedure by its name (rapidfuzz over names and
aliases). A confident match becomes an override of that procedure for the
municipality; a row that matches nothing, or two procedures equally, goes to a
``review`` list for a person to decide; a row that cannot be used (no name, a link
that is not a URL) is reported with its line number. Nothing is dropped silently.

The result is written to ``catalogue/imports/<municipality>.yml``, which the
catalogue loader overlays on the municipality's own file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from bot.catalogue.catalogue import Catalogue
from bot.matching.procedures import ProcedureMatcher
from bot.text import normalise

# Column of the CSV -> procedure field. Headers are matched after normalisation.
COLUMNS = {
    "nombre": "name",
    "nombre del tramite": "name",
    "tramite": "name",
    "descripcion": "description",
    "descripcion del tramite": "description",
    "requisitos y antecedentes": "requirements",
    "requisitos": "requirements",
    "tramite en linea": "online_url",
    "enlace": "online_url",
    "link": "online_url",
    "etapas": "steps",
    "etapas del tramite": "steps",
    "valor": "cost",
    "valor del tramite": "cost",
    "costo": "cost",
    "lugar donde se realiza": "place",
    "lugar": "place",
    "informacion complementaria": "additional_info",
}
LIST_FIELDS = ("requirements", "steps")
URL_RE = re.compile(r"^https?://[^\s]+\.[^\s]+$", re.IGNORECASE)
NO_ONLINE = {"", "no", "no aplica", "n/a", "na", "-", "no disponible", "presencial"}


@dataclass
class ImportReport:
    """What happened to every row of the CSV."""

    overrides: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    review: List[Dict[str, Any]] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    rows: int = 0

    def summary(self) -> str:
        """A short Spanish summary for the command line."""
        lines = [
            f"Filas leídas: {self.rows}",
            f"Asociadas a trámites del catálogo: {len(self.overrides)}",
            f"Para revisión manual: {len(self.review)}",
            f"Filas con errores: {len(self.errors)}",
        ]
        lines += [f"  REVISAR línea {r['linea']}: {r['nombre']!r} ({r['motivo']})" for r in self.review]
        lines += [f"  ERROR {e}" for e in self.errors]
        return "\n".join(lines)


def _split_list(text: str) -> List[str]:
    parts = re.split(r"\s*(?:\n|;|•|\s-\s)\s*", text)
    return [p.strip(" .-").strip() for p in parts if p.strip(" .-").strip()]


def read_rows(raw: bytes) -> List[Dict[str, str]]:
    """Rows of a CSV export (UTF-8 or Latin-1, comma or semicolon), keyed by normalised header."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = list(reader)
    if not rows:
        return []
    headers = [normalise(h) for h in rows[0]]
    return [dict(zip(headers, row + [""] * (len(headers) - len(row)), strict=False)) for row in rows[1:]]


def _row_values(row: Dict[str, str]) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    for header, cell in row.items():
        target = COLUMNS.get(header)
        cell = (cell or "").strip()
        if target and cell:
            values[target] = _split_list(cell) if target in LIST_FIELDS else cell
    return values


def import_table(raw: bytes, catalogue: Catalogue, municipality: str) -> ImportReport:
    """Match every row of the CSV and build the municipality's overrides."""
    if municipality not in catalogue.municipalities:
        raise KeyError(f"municipalidad desconocida: {municipality!r}")
    rows = read_rows(raw)
    if rows and not any(COLUMNS.get(h) == "name" for h in rows[0]):
        raise ValueError("el CSV no tiene columna de nombre del trámite ('Nombre' o 'Nombre del trámite')")
    matcher = ProcedureMatcher({s: [p.name, *p.aliases] for s, p in catalogue.procedures.items()})
    report = ImportReport(rows=len(rows))
    for line, row in enumerate(rows, start=2):
        if not any((v or "").strip() for v in row.values()):
            report.errors.append(f"línea {line}: fila vacía")
            continue
        values = _row_values(row)
        name = values.get("name")
        if not name:
            report.errors.append(f"línea {line}: falta el nombre del trámite")
            continue
        url = values.get("online_url")
        if url is not None:
            if normalise(url) in NO_ONLINE:
                values.pop("online_url")
            elif not URL_RE.match(url):
                report.errors.append(f"línea {line}: 'Trámite en línea' no es un enlace válido: {url!r}")
                continue
        slug, reason = _match(matcher, name)
        if slug is None:
            report.review.append({"linea": line, "nombre": name, "motivo": reason, "datos": values})
            continue
        if slug in report.overrides:
            report.review.append(
                {"linea": line, "nombre": name, "motivo": f"repite el trámite {slug}", "datos": values}
            )
            continue
        values.pop("name")
        report.overrides[slug] = values
    return report


def _match(matcher: ProcedureMatcher, name: str) -> tuple[Optional[str], str]:
    rivals = matcher.ambiguous(name)
    if len(rivals) > 1:
        return None, "calza con varios trámites: " + ", ".join(r.key for r in rivals)
    best = matcher.best(name)
    if best is None:
        hints = [m.key for m in matcher.suggestions(name)]
        return None, "sin coincidencia" + (f" (¿{', '.join(hints)}?)" if hints else "")
    return best.key, ""


def write_import(report: ImportReport, folder: Path, municipality: str) -> Path:
    """Write ``imports/<municipality>.yml``; returns its path."""
    path = Path(folder) / "imports" / f"{municipality}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"overrides": report.overrides, "extra": [], "review": report.review}
    header = (
        "# Generado por 'python -m bot catalogue import'. Revise 'review' y mueva a 'extra'\n"
        "# (con slug, category, aliases...) lo que sea un trámite propio de la municipalidad.\n"
    )
    path.write_text(header + yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

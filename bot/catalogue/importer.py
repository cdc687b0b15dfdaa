"""Importer of a municipality's Transparencia Activa "Trámites y requisitos de acceso a servicios" table.

The table is read from a CSV, an XLSX or the portal's page saved as HTML (bot/catalogue/table_files.py);
its headers and cells are understood by bot/catalogue/table_cells.py. Each row is matched to a
procedure by its name (the base procedures and the municipality's own): a confident match becomes
an override for the municipality; a row that names no procedure, names two equally, or repeats
one goes to ``review`` with a ready-to-accept ``extra`` procedure (bot/catalogue/proposals.py).
Office hours found in the places go to ``review`` as office entries. Only a row that cannot be
used at all (empty, or without a name) is an error; a doubtful cell is a warning, never a lost row.

The result is written to ``catalogue/imports/<municipality>.yml``, which the catalogue loader
overlays on the municipality's own file; ``python -m bot catalogue review`` decides each entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import yaml
from rapidfuzz import fuzz

from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality, Procedure
from bot.catalogue.proposals import (
    extra_procedure,
    names_department,
    office_key_for,
    slugify,
    split_place,
    unique_slug,
)
from bot.catalogue.table_cells import extract_hours, header_fields, is_header_row, read_online, says_yes, split_items
from bot.catalogue.table_files import read_tables
from bot.matching.procedures import ProcedureMatcher
from bot.text import normalise

LIST_FIELDS = ("requirements", "steps")
HEADER_SEARCH_ROWS = 15
IMPORT_HEADER = (
    "# Generado por 'python -m bot catalogue import'. Decida cada entrada de 'review' con\n"
    "# 'python -m bot catalogue review <municipalidad> --list | --accept N | --reject N'.\n"
)


@dataclass
class ImportReport:
    """What happened to every row of the table."""

    overrides: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    extra: List[Dict[str, Any]] = field(default_factory=list)  # updates of the municipality's own procedures
    review: List[Dict[str, Any]] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    rows: int = 0

    def summary(self) -> str:
        """A short Spanish summary for the command line."""
        procedures = [r for r in self.review if r["tipo"] == "tramite"]
        offices = [r for r in self.review if r["tipo"] == "oficina"]
        lines = [
            f"Filas leídas: {self.rows}",
            f"Asociadas a trámites del catálogo: {len(self.overrides) + len(self.extra)}",
            f"Para revisión manual: {len(procedures)}",
            f"Oficinas con horario para revisar: {len(offices)}",
            f"Avisos: {len(self.warnings)}",
            f"Filas con errores: {len(self.errors)}",
        ]
        lines += [f"  REVISAR {describe_entry(r)}" for r in self.review]
        lines += [f"  AVISO {w}" for w in self.warnings]
        lines += [f"  ERROR {e}" for e in self.errors]
        return "\n".join(lines)


def describe_entry(entry: Dict[str, Any]) -> str:
    """One review entry in a line: ``[3] línea 7: 'Taller de cerámica' (sin coincidencia)``."""
    where = f"{entry['fila']}: " if entry.get("fila") else ""
    kind = "oficina " if entry["tipo"] == "oficina" else ""
    return f"[{entry['id']}] {where}{kind}{entry['nombre']!r} ({entry['motivo']})"


@dataclass
class _Row:
    where: str
    cells: Dict[str, str]


def _rows_of(raw: bytes, filename: str) -> List[_Row]:
    """The data rows of every table with a recognisable header row, keyed by field."""
    tables = []
    for table in read_tables(raw, filename):
        header_at = next((i for i, r in enumerate(table[:HEADER_SEARCH_ROWS]) if is_header_row(r)), None)
        if header_at is not None:
            tables.append((header_at, table))  # a menu, a layout or a footer table has no such header
    rows: List[_Row] = []
    for number, (header_at, table) in enumerate(tables, start=1):
        columns = header_fields(table[header_at])
        body = table[header_at + 1 :]
        while body and not any(c.strip() for c in body[-1]):
            body.pop()  # trailing empty rows (Excel's formatted range, a spacer row) are no rows
        kind = "línea" if filename.lower().endswith((".csv", ".txt")) or len(tables) == 1 else "fila"
        prefix = f"tabla {number}, " if len(tables) > 1 else ""
        for offset, cells in enumerate(body, start=header_at + 2):
            if is_header_row(cells):
                continue  # the header repeated (on each printed page of the portal)
            values = {target: (cells[i] if i < len(cells) else "").strip() for i, target in columns.items()}
            rows.append(_Row(f"{prefix}{kind} {offset}", values))
    if not tables:
        raise ValueError(
            "la tabla no tiene fila de encabezados reconocible: se espera 'Nombre del trámite o servicio' "
            "(o 'Nombre') y otra columna como 'Requisitos y antecedentes' o 'Valor'"
        )
    return rows


def _row_values(row: _Row, report: ImportReport) -> Dict[str, Any]:
    """The procedure fields of a row; doubtful cells reported as warnings, kept as text."""
    cells = row.cells
    values: Dict[str, Any] = {}
    for key in ("name", "description", "cost", "additional_info"):
        if cells.get(key):
            values[key] = " ".join(cells[key].split()) if key != "additional_info" else cells[key].strip()
    if cells.get("department"):
        values["_department"] = " ".join(cells["department"].split())  # only to guess the category
    for key in LIST_FIELDS:
        items = split_items(cells.get(key, ""))
        if items:
            values[key] = items
    if cells.get("place"):
        located = extract_hours(cells["place"])
        values["place"] = located.place or cells["place"]
        if located.hours:
            values["_hours"] = located.hours
            values["_days_assumed"] = located.days_assumed
    online = read_online(cells.get("online_url", ""))
    flag = says_yes(cells.get("online_flag", ""))
    if online.url is None and flag is None and cells.get("online_flag"):
        online = read_online(cells["online_flag"])  # a link written in the SI/NO column
    if online.url:
        values["online_url"] = online.url
    if online.text:
        note = f"Trámite en línea: {online.text}"
        values["additional_info"] = f"{values['additional_info']}\n{note}" if values.get("additional_info") else note
        if not online.url:
            report.warnings.append(
                f"{row.where}: 'Trámites en línea' no es un enlace ({online.text!r}); "
                "se guardó en información complementaria"
            )
    if flag is True and not online.url:
        report.warnings.append(f"{row.where}: dice que se realiza en línea pero no trae el enlace")
    return values


# A table's name is a procedure's official name, worded a little differently: the same words
# (plural or singular, a few more or fewer) name it even where the chat matcher finds two.
NAME_SIMILARITY = 90.0
NAME_MARGIN = 5.0
SHARED_WORDS = 3
_NAME_STOP = {"de", "del", "la", "las", "el", "los", "para", "en", "y", "o", "a", "al", "por", "con", "e", "u"}


def _stems(text: str) -> Set[str]:
    words = (w for w in normalise(re.sub(r"\([^)]*\)", " ", text)).split() if w not in _NAME_STOP)
    return {
        w[:-2] if w.endswith("es") and len(w) > 5 else w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words
    }


class _RowMatcher:
    """Which procedure a row's name is: first by the whole name, then as the chat matcher would."""

    def __init__(self, catalogue: Catalogue, town: Municipality) -> None:
        self.phrases = {s: [p.name, *p.aliases] for s, p in catalogue.procedures.items() if s not in town.exclude}
        self.phrases.update({p.slug: [p.name, *p.aliases] for p in town.extra})
        self.chat = ProcedureMatcher(self.phrases)
        self._stemmed = {
            slug: [(normalise(ph), _stems(ph)) for ph in phrases] for slug, phrases in self.phrases.items()
        }

    def _by_whole_name(self, name: str) -> Optional[str]:
        plain, stems = normalise(name), _stems(name)
        scores: Dict[str, float] = {}
        for slug, phrases in self._stemmed.items():
            for phrase, phrase_stems in phrases:
                score = max(fuzz.ratio(plain, phrase), fuzz.token_sort_ratio(plain, phrase))
                shared = stems & phrase_stems
                if len(shared) >= SHARED_WORDS and (stems <= phrase_stems or phrase_stems <= stems):
                    score = max(score, NAME_SIMILARITY + 2)
                scores[slug] = max(scores.get(slug, 0.0), score)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < NAME_SIMILARITY:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < NAME_MARGIN:
            return None
        return ranked[0][0]

    def match(self, name: str) -> Tuple[Optional[str], str, List[str]]:
        """(slug, "", []) or (None, why, candidates)."""
        whole = self._by_whole_name(name)
        if whole is not None:
            return whole, "", []
        rivals = self.chat.ambiguous(name)
        if len(rivals) > 1:
            keys = [r.key for r in rivals]
            return None, "calza con varios trámites: " + ", ".join(keys), keys
        best = self.chat.best(name)
        if best is None:
            hints = [m.key for m in self.chat.suggestions(name)]
            return None, "sin coincidencia" + (f" (¿{', '.join(hints)}?)" if hints else ""), hints
        return best.key, "", []


@dataclass
class _Placed:
    """A row whose place gave office hours: where it is, its values, its department and procedures."""

    where: str
    values: Dict[str, Any]
    category: str
    slugs: List[str]


def import_table(raw: bytes, catalogue: Catalogue, municipality: str, filename: str = "") -> ImportReport:
    """Match every row of the table and build the municipality's overrides, review entries and warnings."""
    if municipality not in catalogue.municipalities:
        raise KeyError(f"municipalidad desconocida: {municipality!r}")
    town = catalogue.municipalities[municipality]
    rows = _rows_of(raw, filename)
    matcher = _RowMatcher(catalogue, town)
    own = {p.slug: p for p in town.extra}
    report = ImportReport(rows=len(rows))
    taken_slugs = set(catalogue.procedures) | {p.slug for m in catalogue.municipalities.values() for p in m.extra}
    taken_aliases = {normalise(a) for phrases in catalogue.names_and_aliases().values() for a in phrases}
    placed: List[_Placed] = []
    for row in rows:
        if not any(row.cells.values()):
            report.errors.append(f"{row.where}: fila vacía")
            continue
        values = _row_values(row, report)
        name = values.get("name")
        if not name:
            report.errors.append(f"{row.where}: falta el nombre del trámite")
            continue
        slug, reason, candidates = matcher.match(name)
        if slug is not None and (slug in report.overrides or any(e["slug"] == slug for e in report.extra)):
            reason, candidates, slug = f"repite el trámite {slug}", [slug], None
        fields = {k: v for k, v in values.items() if not k.startswith("_")}
        if slug is None:
            entry = _new_procedure_entry(row, fields, values.get("_department", ""), reason, candidates)
            slug = unique_slug(slugify(name), taken_slugs)
            entry["propuesta"], missing = extra_procedure(fields, slug, taken_aliases, values.get("_department", ""))
            if normalise(name) in taken_aliases:  # another municipality's own procedure has this name
                entry["motivo"] += "; otro trámite ya se llama así: cambie 'name' antes de aceptar"
                missing = ["name", *missing]
            if missing:
                entry["completar"] = missing
            taken_slugs.add(slug)
            taken_aliases.update(entry["propuesta"]["aliases"])
            report.review.append(entry)
            category = entry["propuesta"]["category"]
        elif slug in own:
            report.extra.append(_updated_own(own[slug], fields))
            category = own[slug].category
        else:
            report.overrides[slug] = {k: v for k, v in fields.items() if k != "name"}
            category = catalogue.procedures[slug].category
        if values.get("_hours"):
            placed.append(_Placed(row.where, values, category, [slug]))
    offices, located = _office_entries(town, placed)
    report.review += offices
    for slug, key in located.items():  # the place names an office the municipality has
        if slug in report.overrides:
            report.overrides[slug]["office"] = key
        for entry in report.review:
            if entry["tipo"] == "tramite" and entry["propuesta"]["slug"] == slug:
                entry["propuesta"]["office"] = key
    report.review = [{"id": number, **entry} for number, entry in enumerate(report.review, start=1)]
    return report


def _new_procedure_entry(
    row: _Row, fields: Dict[str, Any], department: str, reason: str, candidates: List[str]
) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"tipo": "tramite", "fila": row.where, "nombre": fields["name"], "motivo": reason}
    if department:
        entry["unidad"] = department
    if candidates:
        entry["candidatos"] = candidates
    return entry


def _updated_own(procedure: Procedure, values: Dict[str, Any]) -> Dict[str, Any]:
    """A municipality's own procedure with the table's newer values."""
    data = {k: v for k, v in procedure.to_dict().items() if v not in (None, [], "")}
    data.update({k: v for k, v in values.items() if k != "name"})
    return data


def _office_entries(town: Municipality, placed: List[_Placed]) -> Tuple[List[Dict[str, Any]], Dict[str, str]]:
    """One review entry per place whose hours the table gave (a new office, or new hours for one), and
    the procedures done at an office the municipality already has (slug -> office key)."""
    located: Dict[str, str] = {}
    groups: Dict[str, List[_Placed]] = {}
    for item in placed:
        groups.setdefault(normalise(split_place(item.values["place"])[0]), []).append(item)
    entries: List[Dict[str, Any]] = []
    taken = {o.key for o in town.offices}
    principal = town.office("principal")
    for seen in groups.values():
        hours = Counter(item.values["_hours"] for item in seen).most_common(1)[0][0]
        place = next(item.values["place"] for item in seen if item.values["_hours"] == hours)
        category = Counter(item.category for item in seen).most_common(1)[0][0]
        name, address = split_place(place)
        named = next((o for o in town.offices if normalise(o.name) and normalise(o.name) in normalise(place)), None)
        key = named.key if named else office_key_for(town, category, name, taken)
        taken.add(key)
        existing = town.office(key)
        if existing is not None:
            located.update({slug: key for item in seen for slug in item.slugs})
            if existing.hours == hours:
                continue
        office = {
            "key": key,
            "name": existing.name if existing else name,
            "address": (existing.address if existing else "") or address or (principal.address if principal else ""),
            "phone": existing.phone if existing else "",
            "hours": hours,
            "departments": list(existing.departments) if existing else [],
        }
        if not existing and names_department(name, category):
            office["departments"] = [category]  # it serves the department's other procedures too
        motive = f"horario en 'Lugar donde se realiza' ({'; '.join(item.where for item in seen)})"
        if existing:
            motive += f"; hoy dice {existing.hours!r}"
        if any(item.values.get("_days_assumed") for item in seen):
            motive += "; solo traía horas: se supuso de lunes a viernes"
        entry: Dict[str, Any] = {"tipo": "oficina", "fila": "", "nombre": office["name"], "motivo": motive}
        entry["propuesta"] = office
        entry["tramites"] = sorted({slug for item in seen for slug in item.slugs})
        if not office["address"]:
            entry["completar"] = ["address"]
        entries.append(entry)
    return entries, located


def read_import(folder: Path, municipality: str) -> Dict[str, Any]:
    """The municipality's import file as a mapping (empty sections when it does not exist)."""
    path = import_path(folder, municipality)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data if isinstance(data, dict) else {}
    data["overrides"] = data.get("overrides") or {}
    for key in ("extra", "offices", "review"):
        data[key] = data.get(key) or []
    return data


def import_path(folder: Path, municipality: str) -> Path:
    """``<catalogue>/imports/<municipality>.yml``."""
    return Path(folder) / "imports" / f"{municipality}.yml"


def save_import(data: Dict[str, Any], folder: Path, municipality: str) -> Path:
    """Write the import file (overrides, accepted extras and offices, pending review); returns its path."""
    path = import_path(folder, municipality)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {k: data.get(k) for k in ("overrides", "extra", "offices", "review", "avisos", "errores") if k in data}
    text = IMPORT_HEADER + yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")
    return path


def write_import(report: ImportReport, folder: Path, municipality: str) -> Path:
    """Write ``imports/<municipality>.yml`` from a new import; what was accepted before is kept."""
    previous = read_import(Path(folder), municipality)
    extra = {p["slug"]: p for p in previous["extra"]}
    extra.update({p["slug"]: p for p in report.extra})
    overrides = dict(report.overrides)
    for slug, values in previous["overrides"].items():
        if slug in overrides and values.get("office"):
            overrides[slug].setdefault("office", values["office"])
    data = {
        "overrides": overrides,
        "extra": list(extra.values()),
        "offices": previous["offices"],
        "review": report.review,
        "avisos": report.warnings,
        "errores": report.errors,
    }
    return save_import(data, Path(folder), municipality)

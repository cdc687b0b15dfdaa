"""Checks that the catalogue data is complete and consistent.

Run by ``python -m bot catalogue validate`` and in ``make test``. Every problem is
reported with the file it is in; nothing is silently fixed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from bot.catalogue.files import (
    NATIONAL_HOLIDAYS_FILE,
    CatalogueFileError,
    load_catalogue,
    read_national_holiday_entries,
    read_procedure_dicts,
)
from bot.catalogue.holidays import national_holiday_problems, own_holiday_problems
from bot.catalogue.hours import HoursFormatError, parse_hours
from bot.catalogue.model import CATEGORIES, FIELD_TYPES, Procedure
from bot.text import normalise

REQUIRED = (
    "slug",
    "name",
    "category",
    "description",
    "requirements",
    "steps",
    "cost",
    "place",
    "response_time",
    "aliases",
    "chat_request",
)
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_ALIASES = 3


def _check_procedure(proc: Procedure, where: str) -> List[str]:
    problems = []
    if not SLUG_RE.match(proc.slug):
        problems.append(f"{where}: slug inválido {proc.slug!r}")
    if proc.category not in CATEGORIES:
        problems.append(f"{where}: categoría desconocida {proc.category!r}")
    for name in ("name", "description", "cost", "place", "response_time"):
        if not str(getattr(proc, name) or "").strip():
            problems.append(f"{where}: falta {name}")
    for name in ("requirements", "steps"):
        if not getattr(proc, name):
            problems.append(f"{where}: falta {name}")
    if len(proc.aliases) < MIN_ALIASES:
        problems.append(f"{where}: tiene {len(proc.aliases)} alias, se esperan al menos {MIN_ALIASES}")
    if proc.chat_request and not proc.form:
        problems.append(f"{where}: chat_request sin formulario (form.fields)")
    names = set()
    for field in proc.form:
        if field.type not in FIELD_TYPES:
            problems.append(f"{where}: campo {field.name!r} con tipo desconocido {field.type!r}")
        if field.type == "opcion" and not field.options:
            problems.append(f"{where}: campo {field.name!r} de tipo opcion sin options")
        if field.name in names:
            problems.append(f"{where}: campo {field.name!r} repetido")
        for other in field.skip_if:
            if other not in names:
                problems.append(f"{where}: campo {field.name!r}: skip_if nombra {other!r}, que no es un campo anterior")
        if field.skip_if and field.required:
            problems.append(f"{where}: campo {field.name!r} con skip_if debe ser opcional (required: false)")
        names.add(field.name)
    return problems


def validate_catalogue(folder: Path | str) -> List[str]:
    """Every problem found in the catalogue folder (empty when it is valid)."""
    folder = Path(folder)
    problems: List[str] = []
    try:
        raw = read_procedure_dicts(folder)
    except CatalogueFileError as exc:
        return [str(exc)]
    missing_fields = [
        f"procedures/{d['_file']}: faltan campos obligatorios: {', '.join(k for k in REQUIRED if k not in d)}"
        for d in raw
        if any(k not in d for k in REQUIRED)
    ]
    if missing_fields:
        return missing_fields
    try:
        holiday_problems = national_holiday_problems(read_national_holiday_entries(folder))
    except CatalogueFileError as exc:
        return [str(exc)]
    if holiday_problems:
        return [f"{NATIONAL_HOLIDAYS_FILE}: {problem}" for problem in holiday_problems]
    try:
        catalogue = load_catalogue(folder)
    except (CatalogueFileError, TypeError, KeyError, ValueError) as exc:
        return [str(exc)]

    slugs_seen: Dict[str, str] = {}
    for data in raw:
        where = f"procedures/{data['_file']}"
        if f"{data['slug']}.yml" != data["_file"]:
            problems.append(f"{where}: el slug {data['slug']!r} no coincide con el nombre del archivo")
        if data["slug"] in slugs_seen:
            problems.append(f"{where}: slug duplicado {data['slug']!r} (también en {slugs_seen[data['slug']]})")
        slugs_seen[data["slug"]] = where
        problems += _check_procedure(Procedure.from_dict(data), where)

    for national in catalogue.non_municipal.values():
        where = f"non_municipal.yml:{national.slug}"
        if national.slug in slugs_seen:
            problems.append(f"{where}: slug duplicado (también en {slugs_seen[national.slug]})")
        slugs_seen[national.slug] = where

    communes = {c.name for c in catalogue.communes}
    codes: Dict[str, str] = {}
    for town in catalogue.municipalities.values():
        where = f"municipalities/{town.slug}.yml"
        if town.comuna not in communes:
            problems.append(f"{where}: la comuna {town.comuna!r} no está en comunas.csv")
        if not re.fullmatch(r"[A-Z]{3}", town.code):
            problems.append(f"{where}: code debe ser de tres letras mayúsculas")
        if town.code in codes:
            problems.append(f"{where}: code {town.code} repetido (también en {codes[town.code]})")
        codes[town.code] = where
        office_keys = {o.key for o in town.offices}
        if "principal" not in office_keys:
            problems.append(f"{where}: falta la oficina con key 'principal'")
        for office in town.offices:
            try:
                parse_hours(office.hours)
            except HoursFormatError as exc:
                problems.append(f"{where}: horario de {office.key!r}: {exc}")
        problems += [f"{where}: feriados: {problem}" for problem in own_holiday_problems(town.holidays)]
        for slug in town.exclude:
            if slug not in catalogue.procedures:
                problems.append(f"{where}: exclude nombra un trámite inexistente {slug!r}")
        known_fields = set(Procedure.__dataclass_fields__)
        for slug, override in town.overrides.items():
            if slug not in catalogue.procedures:
                problems.append(f"{where}: overrides de un trámite inexistente {slug!r}")
                continue
            unknown = set(override) - known_fields - {"slug"}
            if unknown:
                problems.append(f"{where}: overrides de {slug!r} con campos desconocidos {sorted(unknown)}")
            if override.get("office") and override["office"] not in office_keys:
                problems.append(f"{where}: overrides de {slug!r} usa la oficina inexistente {override['office']!r}")
            try:
                problems += _check_procedure(catalogue.procedures[slug].with_overrides(override), f"{where}:{slug}")
            except (TypeError, ValueError) as exc:
                problems.append(f"{where}: overrides de {slug!r} inválidos: {exc}")
        for proc in town.extra:
            if proc.slug in catalogue.procedures:
                problems.append(f"{where}: el trámite extra {proc.slug!r} ya existe en el catálogo base")
            problems += _check_procedure(proc, f"{where}:extra:{proc.slug}")

    owners: Dict[str, set] = defaultdict(set)
    for slug, phrases in catalogue.names_and_aliases().items():
        for phrase in phrases:
            owners[normalise(phrase)].add(slug)
    for phrase, slugs in sorted(owners.items()):
        if len(slugs) > 1:
            problems.append(f"alias {phrase!r} pertenece a varios trámites: {', '.join(sorted(slugs))}")
    return problems

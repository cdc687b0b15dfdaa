"""Reading the catalogue folder (catalogue/) into a ``Catalogue``.

Layout (see catalogue/SCHEMA.md): ``procedures/<slug>.yml``, ``municipalities/<slug>.yml``,
``imports/<slug>.yml`` (what the Transparencia importer produced for a municipality),
``non_municipal.yml``, ``feriados.yml`` (Chile's public holidays) and ``comunas.csv``.

Dates (``2026-12-08``) are read as text, so the validator can name a wrong one instead of
YAML failing on it.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.catalogue.catalogue import Catalogue, Commune
from bot.catalogue.holidays import Holiday, national_holiday_problems, parse_holiday_date
from bot.catalogue.model import Municipality, NonMunicipalProcedure, Procedure


class CatalogueFileError(ValueError):
    """A catalogue file that cannot be read; the message names the file."""


def catalogue_fingerprint(folder: Path | str) -> str:
    """A hash of every file of the catalogue folder (names and contents).

    Rasa caches trained components by their configuration and training data; the NLU
    components that learn the catalogue's names and aliases add this to their cache key,
    so an edited alias is learned by the next ``make train`` instead of restored stale.
    """
    digest = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


NATIONAL_HOLIDAYS_FILE = "feriados.yml"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


# libyaml's parser when PyYAML has it (12 times faster: 345 municipality files in 0.2 s instead of 2 s).
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDatesLoader(_SafeLoader):
    """YAML's safe loader, but ``2026-12-08`` stays the text it is (never a ``date``, never a crash)."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_TextDatesLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise CatalogueFileError(f"{path}: YAML inválido: {exc}") from exc


def read_procedure_dicts(folder: Path) -> List[Dict[str, Any]]:
    """The raw mappings of ``procedures/*.yml``, each with ``_file`` for error messages."""
    result = []
    for path in sorted((folder / "procedures").glob("*.yml")):
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise CatalogueFileError(f"{path}: se esperaba un trámite (un mapa YAML)")
        result.append({**data, "_file": path.name})
    return result


def read_national_holiday_entries(folder: Path) -> Any:
    """The raw entries of ``feriados.yml`` (an empty list when the file is missing)."""
    path = folder / NATIONAL_HOLIDAYS_FILE
    return (_read_yaml(path) or []) if path.exists() else []


def read_national_holidays(folder: Path) -> List[Holiday]:
    """Chile's public holidays from ``feriados.yml``; raises ``CatalogueFileError`` when malformed."""
    entries = read_national_holiday_entries(folder)
    problems = national_holiday_problems(entries)
    if problems:
        raise CatalogueFileError(f"{NATIONAL_HOLIDAYS_FILE}: {problems[0]}")
    return sorted((Holiday(parse_holiday_date(e["fecha"]), e["nombre"].strip()) for e in entries), key=lambda h: h.day)


def _merge_import(municipality: Dict[str, Any], imported: Dict[str, Any]) -> Dict[str, Any]:
    """Overlay an importer file (overrides, extra procedures, accepted offices) on a municipality mapping."""
    offices = {o["key"]: o for o in municipality.get("offices") or []}
    for office in imported.get("offices") or []:
        offices[office["key"]] = {**offices.get(office["key"], {}), **office}
    procedures = dict(municipality.get("procedures") or {})
    overrides = dict(procedures.get("overrides") or {})
    for slug, values in (imported.get("overrides") or {}).items():
        overrides[slug] = {**overrides.get(slug, {}), **values}
    extra = {p["slug"]: p for p in procedures.get("extra") or []}
    extra.update({p["slug"]: p for p in imported.get("extra") or []})
    procedures.update(overrides=overrides, extra=list(extra.values()))
    return {**municipality, "offices": list(offices.values()), "procedures": procedures}


def _procedure(data: Dict[str, Any]) -> Procedure:
    try:
        return Procedure.from_dict(data)
    except (TypeError, KeyError) as exc:
        raise CatalogueFileError(f"procedures/{data.get('_file')}: dato faltante o desconocido: {exc}") from exc


def read_communes(path: Path) -> List[Commune]:
    """All communes of Chile from ``comunas.csv``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Commune(row["comuna"], row["region"], tuple(filter(None, (row.get("alias") or "").split("|"))))
            for row in csv.DictReader(handle)
        ]


def load_catalogue(folder: Path | str) -> Catalogue:
    """Read and build the whole catalogue; raises ``CatalogueFileError`` on unreadable files."""
    folder = Path(folder)
    try:
        procedures = [_procedure(d) for d in read_procedure_dicts(folder)]
        municipalities = []
        for path in sorted((folder / "municipalities").glob("*.yml")):
            data = _read_yaml(path)
            imported = folder / "imports" / path.name
            if imported.exists():
                data = _merge_import(data, _read_yaml(imported) or {})
            municipalities.append(Municipality.from_dict(data))
        non_municipal_path = folder / "non_municipal.yml"
        non_municipal = (
            [NonMunicipalProcedure(**d) for d in (_read_yaml(non_municipal_path) or [])]
            if non_municipal_path.exists()
            else []
        )
    except (TypeError, KeyError) as exc:
        raise CatalogueFileError(f"{folder}: dato faltante o desconocido: {exc}") from exc
    return Catalogue(
        procedures={p.slug: p for p in procedures},
        municipalities={m.slug: m for m in municipalities},
        non_municipal={p.slug: p for p in non_municipal},
        communes=read_communes(folder / "comunas.csv"),
        national_holidays=read_national_holidays(folder),
    )

"""A generated catalogue of all 345 municipalities of Chile, for the scale benchmark.

Written in a folder of its own (never in catalogue/, never committed): the repository's base
procedures, national procedures, holidays and communes, its real municipalities as they are,
and one generated municipality for every other commune of ``comunas.csv`` (Antártica is run by
Cabo de Hornos), each with offices, channels and a few overrides in its own words, as an
imported Transparencia table would leave it.
"""

from __future__ import annotations

import re
import shutil
from itertools import product
from pathlib import Path
from string import ascii_uppercase
from typing import Any, Dict, Optional, Set

import yaml

from bot.catalogue.files import load_catalogue, read_communes
from bot.text import strip_accents

# Communes without a municipality of their own.
NOT_MUNICIPALITIES = {"Antártica"}


def slug_for(commune: str) -> str:
    """``"Puerto Natales"`` -> ``"puerto-natales"``."""
    return re.sub(r"[^a-z0-9]+", "-", strip_accents(commune.lower())).strip("-")


def _code_for(commune: str, taken: Set[str]) -> str:
    letters = re.sub(r"[^A-Z]", "", strip_accents(commune.upper())) or "XXX"
    candidates = [letters[:3].ljust(3, "X")]
    candidates += [letters[0] + a + b for a, b in product(letters[1:], repeat=2)]
    candidates += ["".join(c) for c in product(ascii_uppercase, repeat=3)]
    code = next(c for c in candidates if len(c) == 3 and c not in taken)
    taken.add(code)
    return code


def municipality_for(commune: str, index: int, code: str) -> Dict[str, Any]:
    """A municipality mapping (catalogue/SCHEMA.md) for ``commune``, with a few overrides of its own."""
    slug = slug_for(commune)
    site = f"https://www.muni{slug.replace('-', '')}.cl"
    phone = f"+5622{index:07d}"
    return {
        "slug": slug,
        "name": f"Municipalidad de {commune}",
        "comuna": commune,
        "code": code,
        "website": site,
        "phone": phone,
        "email": f"oirs@muni{slug.replace('-', '')}.cl",
        "channels": {"whatsapp": [f"+569{index:08d}"], "telegram_bot": f"{slug.replace('-', '').title()}AsistenteBot"},
        "offices": [
            {
                "key": "principal",
                "name": "Edificio Consistorial",
                "address": f"Plaza de Armas {100 + index}, {commune}",
                "phone": phone,
                "hours": "lun-jue 08:30-14:00; vie 08:30-13:30",
                "departments": ["Alcaldía", "OIRS", "Rentas y Patentes", "Obras", "Aseo y Ornato", "DIDECO"],
            },
            {
                "key": "transito",
                "name": "Dirección de Tránsito",
                "address": f"Calle Comercio {200 + index}, {commune}",
                "phone": phone,
                "hours": "lun-vie 08:30-13:30",
                "departments": ["Tránsito"],
            },
        ],
        "feriados": [],
        "procedures": {
            "exclude": [],
            "overrides": {
                "permiso-circulacion": {"online_url": f"{site}/permiso-de-circulacion", "office": "transito"},
                "licencia-conducir": {"office": "transito", "response_time": f"{3 + index % 10} días hábiles"},
                "derechos-aseo": {"cost": f"{1 + index % 3},{index % 10} UTM anuales, en cuatro cuotas"},
                "retiro-voluminosos": {
                    "description": (
                        f"Retiro de muebles, colchones y cachureos en los sectores de {commune}, "
                        f"según el calendario de operativos de la Dirección de Aseo de {commune}."
                    ),
                },
            },
            "extra": [],
        },
    }


def write_country_catalogue(
    folder: Path, source: Path, extra_procedure: Optional[Dict[str, Any]] = None
) -> Dict[str, int]:
    """Write the 345-municipality catalogue in ``folder`` from the catalogue in ``source``.

    ``extra_procedure``: a procedure mapping added to the last generated municipality (the benchmark
    names it to see when a running NLU has picked up a load). Returns the numbers written.
    """
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.md"))
    served = load_catalogue(folder).municipalities.values()
    taken = {town.code for town in served}
    served_communes = {town.comuna for town in served}
    written = 0
    last: Optional[Path] = None
    for index, commune in enumerate(read_communes(folder / "comunas.csv"), start=1):
        if commune.name in served_communes or commune.name in NOT_MUNICIPALITIES:
            continue
        town = municipality_for(commune.name, index, _code_for(commune.name, taken))
        last = folder / "municipalities" / f"{town['slug']}.yml"
        last.write_text(yaml.safe_dump(town, allow_unicode=True, sort_keys=False), encoding="utf-8")
        written += 1
    if extra_procedure and last is not None:
        town = yaml.safe_load(last.read_text(encoding="utf-8"))
        town["procedures"]["extra"] = [extra_procedure]
        last.write_text(yaml.safe_dump(town, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {"municipalities": written + len(served_communes), "generated": written}

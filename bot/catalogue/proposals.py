"""Ready-to-accept catalogue entries for what an imported table brings that the catalogue lacks.

A row that names no base procedure becomes a full ``extra`` procedure (slug, category guessed
from the place and department words, aliases made from its name, the fields the table lacks
filled with a plain "consult the municipality" text and listed in ``completar``); hours found in
the places become office entries. A person accepts or rejects each one (bot/catalogue/review.py).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Set

from bot.catalogue.model import CATEGORIES, Municipality
from bot.text import normalise

# Words (normalised) that point to a department, strongest first within each.
CATEGORY_WORDS: Dict[str, tuple[str, ...]] = {
    "Tránsito": ("transito", "licencia", "licencias", "conducir", "circulacion", "vehiculo", "vehiculos"),
    "Rentas y Patentes": ("rentas", "patente", "patentes", "comercial", "finanzas", "tesoreria"),
    "Obras": ("obras", "dom", "edificacion", "urbanismo", "construccion", "demolicion", "informaciones previas"),
    "Aseo y Ornato": ("aseo", "ornato", "basura", "residuos", "voluminosos", "escombros", "limpieza", "cachureos"),
    "DIDECO": ("dideco", "desarrollo comunitario", "social", "subsidio", "beca", "becas", "vivienda", "adulto mayor"),
    "OIRS": ("oirs", "reclamos", "sugerencias", "transparencia", "oficina de partes"),
    "Juzgado de Policía Local": ("juzgado", "policia local", "jpl", "multa", "multas", "partes"),
    "Salud": ("salud", "cesfam", "consultorio", "cecosf", "sapu", "farmacia"),
    "Medio Ambiente": ("medio ambiente", "ambiental", "mascotas", "mascota", "zoonosis", "veterinaria", "lena"),
    "Seguridad": ("seguridad", "inspeccion", "emergencia", "emergencias", "vigilancia"),
    "Alcaldía": ("alcaldia", "alcalde", "secretaria municipal", "gabinete"),
    "Organizaciones Comunitarias": (
        "organizaciones comunitarias",
        "organizaciones sociales",
        "juntas de vecinos",
        "junta de vecinos",
        "cultura",
        "centro cultural",
        "deportes",
        "biblioteca",
    ),
    "Servicios Generales": ("servicios generales", "operaciones", "mantencion"),
}
FALLBACK_CATEGORY = "OIRS"
# Office keys for the departments whose offices the municipalities usually name this way.
OFFICE_KEYS = {
    "Tránsito": "transito",
    "Juzgado de Policía Local": "jpl",
    "Salud": "cesfam",
    "DIDECO": "dideco",
    "Obras": "obras",
    "Rentas y Patentes": "rentas",
    "Aseo y Ornato": "aseo",
    "Medio Ambiente": "medio-ambiente",
    "Organizaciones Comunitarias": "organizaciones",
    "Seguridad": "seguridad",
    "OIRS": "oirs",
    "Alcaldía": "alcaldia",
    "Servicios Generales": "servicios-generales",
}
# Words in an office's name that make it the office of a department ("Dirección de Tránsito", "DIDECO").
DEPARTMENT_OFFICE_WORDS: Dict[str, tuple[str, ...]] = {
    "Tránsito": ("transito",),
    "Rentas y Patentes": ("rentas", "patentes"),
    "Obras": ("obras", "dom"),
    "Aseo y Ornato": ("aseo", "ornato"),
    "DIDECO": ("dideco", "desarrollo comunitario"),
    "OIRS": ("oirs",),
    "Juzgado de Policía Local": ("juzgado", "policia local"),
    "Salud": ("salud", "cesfam", "consultorio", "cecosf"),
    "Medio Ambiente": ("medio ambiente",),
    "Seguridad": ("seguridad",),
    "Alcaldía": ("alcaldia",),
    "Organizaciones Comunitarias": ("organizaciones comunitarias", "organizaciones sociales"),
    "Servicios Generales": ("servicios generales",),
}
# Leading words of a procedure's name that say what kind of act it is, not what it is about.
_KIND_WORDS = re.compile(
    r"^(solicitud|solicitar|permiso|permisos|inscripcion|inscribir|certificado|tramite|obtencion|otorgamiento|"
    r"postulacion|postular|registro|renovacion|autorizacion|arriendo|uso|reserva|servicio)"
    r"( (de|del|para|en|al|a|la|las|el|los))* "
)
_STOP = {"de", "del", "la", "las", "el", "los", "para", "en", "y", "o", "a", "al", "por", "con", "un", "una"}
PENDING_TEXT = "Consulte en la municipalidad"
MAX_SLUG_WORDS = 6


def slugify(text: str, max_words: int = MAX_SLUG_WORDS) -> str:
    """``Permiso para Taller de Cerámica`` -> ``permiso-taller-ceramica``."""
    words = [w for w in re.sub(r"[^a-z0-9 ]+", " ", normalise(text)).split() if w not in _STOP]
    return "-".join(words[:max_words]) or "tramite"


def unique_slug(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… when it is taken."""
    used = set(taken)
    if base not in used:
        return base
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def guess_category(place: str, name: str, description: str = "") -> tuple[str, bool]:
    """The department the words point to (the place counts most), and whether it was a guess at all."""
    scores: Dict[str, float] = {}
    for text, weight in ((place, 3.0), (name, 2.0), (description, 1.0)):
        padded = f" {normalise(text)} "
        for category, words in CATEGORY_WORDS.items():
            hits = sum(1 for w in words if f" {w} " in padded)
            if hits:
                scores[category] = scores.get(category, 0.0) + weight * hits
    if not scores:
        return FALLBACK_CATEGORY, False
    return max(CATEGORIES, key=lambda c: scores.get(c, 0.0)), True


def make_aliases(name: str, taken: Set[str], minimum: int = 6) -> List[str]:
    """Ways citizens may name the procedure, from its name, none already another procedure's."""
    full = normalise(name)
    core = _KIND_WORDS.sub("", full + " ").strip() or full
    content = " ".join(w for w in core.split() if w not in _STOP)
    words = core.split()
    links = [i for i, w in enumerate(words) if w in _STOP]
    head = " ".join(words[: links[1]]) if len(links) > 1 else core  # "taller de ceramica" (del centro cultural)
    candidates = [
        full,
        core,
        head,
        content,
        f"{head} municipal",
        f"quiero {full}",
        f"solicitar {core}",
        f"como pido {core}",
        f"tramite de {core}",
        f"informacion sobre {core}",
        f"necesito {core}",
        f"{core} municipal",
        f"{core} en la municipalidad",
    ]
    aliases: List[str] = []
    for candidate in candidates:
        candidate = _without_repeats(" ".join(candidate.split()))
        if candidate and candidate not in taken and candidate not in aliases and len(candidate.split()) >= 2:
            aliases.append(candidate)
    return aliases[: max(minimum, 8)]


def _without_repeats(text: str) -> str:
    """ "gimnasio municipal municipal" -> "gimnasio municipal": a suffix the name already ends with."""
    words = text.split()
    while len(words) > 1 and words[-1] == words[-2]:
        words.pop()
    return " ".join(words)


def extra_procedure(
    values: Dict[str, Any], slug: str, taken_aliases: Set[str], department: str = ""
) -> tuple[Dict[str, Any], List[str]]:
    """A complete ``extra`` procedure (catalogue/SCHEMA.md) from an imported row's values, and the
    fields the table did not give (filled with a "consult the municipality" text, to complete)."""
    name = values["name"]
    where = f"{department} {values.get('place', '')}"
    category, guessed = guess_category(where, name, values.get("description", ""))
    pending: List[str] = [] if guessed else ["category"]
    procedure: Dict[str, Any] = {"slug": slug, "name": name, "category": category}
    defaults = {
        "description": name,
        "requirements": [PENDING_TEXT + " por los requisitos"],
        "steps": [PENDING_TEXT + " por los pasos del trámite"],
        "cost": PENDING_TEXT,
        "place": "Municipalidad",
        "response_time": PENDING_TEXT,
    }
    for key, default in defaults.items():
        value = values.get(key)
        if value:
            procedure[key] = value
        else:
            procedure[key] = default
            pending.append(key)
    for key in ("online_url", "additional_info"):
        if values.get(key):
            procedure[key] = values[key]
    procedure["aliases"] = make_aliases(name, taken_aliases)
    procedure["chat_request"] = False
    return procedure, pending


def names_department(office_name: str, category: str) -> bool:
    """Whether an office's name says it is that department's office ("Dirección de Tránsito")."""
    padded = f" {normalise(office_name)} "
    return any(f" {w} " in padded for w in DEPARTMENT_OFFICE_WORDS.get(category, ()))


def office_key_for(town: Optional[Municipality], category: str, office_name: str, taken: Iterable[str]) -> str:
    """The key of the office a place names: the department's existing office, or a new key."""
    if names_department(office_name, category):
        if town is not None:
            serving = next((o.key for o in town.offices if category in o.departments and o.key != "principal"), None)
            if serving:
                return serving
        return unique_slug(OFFICE_KEYS.get(category, slugify(category)), taken)
    return unique_slug(slugify(office_name, max_words=4), taken)


def split_place(place: str) -> tuple[str, str]:
    """``Dirección de Tránsito, Lautaro 55, Angol`` -> (``Dirección de Tránsito``, ``Lautaro 55, Angol``)."""
    parts = [p.strip() for p in re.split(r"\s*[,;]\s*|\s+-\s+", place) if p.strip()]
    for index, part in enumerate(parts):
        if re.search(r"\d", part) and index > 0:
            return ", ".join(parts[:index]), ", ".join(parts[index:])
    return (parts[0] if parts else place), ", ".join(parts[1:])

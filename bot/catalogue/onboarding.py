"""A new municipality's file, from its commune's name and its general contact data.

``python -m bot municipality new <comuna>`` uses this: the official name comes from
``catalogue/comunas.csv`` (found however it is typed: "nunoa" is Ñuñoa), the slug and the
three-letter folio code (bot/folio.py) are proposed unused, the phone and e-mail are checked,
and the file is written in the layout of catalogue/SCHEMA.md. What a person must still add
(WhatsApp number, Telegram bot, offices…) is listed by ``still_missing``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import phonenumbers
import yaml
from rapidfuzz import fuzz, process

from bot.catalogue.catalogue import Catalogue, Commune
from bot.catalogue.hours import HoursFormatError, parse_hours
from bot.text import normalise

DEFAULT_HOURS = "lun-vie 08:30-14:00"  # the usual public hours of a Chilean municipality
DEFAULT_OFFICE_NAME = "Edificio Consistorial"
COMMUNE_SIMILARITY = 80.0
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_MINOR_WORDS = {"de", "del", "la", "las", "el", "los", "y"}


class OnboardingError(ValueError):
    """A value that cannot go into a municipality file (the message says why, in Spanish)."""


def find_commune(text: str, communes: Sequence[Commune]) -> Commune:
    """The commune ``text`` names (accents, case and small typos aside); raises with suggestions."""
    key = normalise(text)
    for commune in communes:
        if key == normalise(commune.name) or key in {normalise(a) for a in commune.aliases}:
            return commune
    names = {normalise(c.name): c for c in communes}
    found = process.extract(key, list(names), scorer=fuzz.ratio, limit=3)
    if found and found[0][1] >= COMMUNE_SIMILARITY and (len(found) == 1 or found[0][1] - found[1][1] >= 3):
        return names[found[0][0]]
    hints = ", ".join(names[name].name for name, score, _ in found if score >= 60)
    raise OnboardingError(f"no encuentro la comuna {text!r} en comunas.csv" + (f" (¿{hints}?)" if hints else ""))


def propose_slug(commune: Commune, taken: Iterable[str]) -> str:
    """``Ñuñoa`` -> ``nunoa``; ``San Pedro de la Paz`` -> ``san-pedro-de-la-paz`` (unused)."""
    base = "-".join(re.sub(r"[^a-z0-9 ]+", " ", normalise(commune.name)).split())
    used = set(taken)
    slug, number = base, 2
    while slug in used:
        slug, number = f"{base}-{number}", number + 1
    return slug


def code_candidates(name: str) -> List[str]:
    """Three-letter folio codes for a commune, the most natural first (``Ñuñoa`` -> ``NUN``…)."""
    words = [w for w in re.sub(r"[^a-z ]+", " ", normalise(name)).upper().split()]
    main = [w for w in words if w.lower() not in _MINOR_WORDS] or words
    letters = "".join(main)
    ordered: List[str] = []
    if len(main) >= 3:
        ordered.append("".join(w[0] for w in main[:3]))
    if len(main) >= 2:
        ordered += [main[0][0] + main[1][:2], main[0][:2] + main[1][0]]
    ordered.append(letters[:3])
    ordered += ["".join(c) for c in combinations(letters, 3) if c[0] == letters[0]]
    ordered += ["".join(c) for c in combinations(letters, 3)]
    return [c for i, c in enumerate(ordered) if len(c) == 3 and c not in ordered[:i]]


def propose_code(name: str, taken: Iterable[str]) -> str:
    """The first unused folio code for the commune."""
    used = {c.upper() for c in taken}
    for code in code_candidates(name):
        if code not in used:
            return code
    raise OnboardingError(f"no queda un código de tres letras libre para {name!r}: indíquelo con --codigo")


def check_phone(raw: str) -> str:
    """A Chilean phone in E.164 (``+56452990500``), or an error saying how to write it."""
    try:
        number = phonenumbers.parse(raw, "CL")
    except phonenumbers.NumberParseException as exc:
        raise OnboardingError(f"teléfono inválido {raw!r}: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise OnboardingError(f"teléfono inválido {raw!r}: escríbalo con código de área, p. ej. +56 45 299 0500")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_email(raw: str) -> str:
    """A plausible e-mail address, or an error."""
    value = raw.strip()
    if not _EMAIL_RE.match(value):
        raise OnboardingError(f"correo inválido {raw!r}: p. ej. oirs@municipalidad.cl")
    return value


def check_website(raw: str) -> str:
    """An ``https://`` address (``www.muni.cl`` gets the scheme), or an error."""
    value = raw.strip()
    if value.lower().startswith("www."):
        value = "https://" + value
    if not re.match(r"^https?://[^\s/]+\.[^\s]+$", value, re.IGNORECASE):
        raise OnboardingError(f"sitio web inválido {raw!r}: p. ej. https://www.municipalidad.cl")
    return value


def check_hours(raw: str) -> str:
    """Office hours in the catalogue's format, or the parser's message."""
    try:
        parse_hours(raw)
    except HoursFormatError as exc:
        raise OnboardingError(f"horario inválido: {exc}") from exc
    return raw.strip()


def check_code(raw: str, taken: Iterable[str]) -> str:
    """Three upper-case letters not used by another municipality."""
    code = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise OnboardingError(f"código inválido {raw!r}: deben ser tres letras, p. ej. NUN")
    if code in {c.upper() for c in taken}:
        raise OnboardingError(f"el código {code} ya lo usa otra municipalidad")
    return code


@dataclass
class NewMunicipality:
    """What the municipality file will say."""

    commune: Commune
    slug: str
    code: str
    phone: str = ""
    email: str = ""
    website: str = ""
    address: str = ""
    office_name: str = DEFAULT_OFFICE_NAME
    hours: str = DEFAULT_HOURS
    hours_assumed: bool = True
    whatsapp: List[str] = field(default_factory=list)
    telegram_bot: str = ""

    def to_yaml(self) -> str:
        """The municipality file (catalogue/SCHEMA.md), with a comment on what to complete."""
        data: Dict[str, Any] = {
            "slug": self.slug,
            "name": f"Municipalidad de {self.commune.name}",
            "comuna": self.commune.name,
            "code": self.code,
            "website": self.website,
            "phone": self.phone,
            "email": self.email,
            "channels": {"whatsapp": self.whatsapp, "telegram_bot": self.telegram_bot},
            "offices": [
                {
                    "key": "principal",
                    "name": self.office_name,
                    "address": self.address,
                    "phone": self.phone,
                    "hours": self.hours,
                    "departments": [],
                }
            ],
            "feriados": [],
            "procedures": {"exclude": [], "overrides": {}, "extra": []},
        }
        header = (
            f"# Municipalidad de {self.commune.name} ({self.commune.region}), creada con "
            "'python -m bot municipality new'.\n"
            "# Complete channels (WhatsApp, Telegram) y offices; los trámites importados de la tabla de\n"
            f"# Transparencia quedan en imports/{self.slug}.yml (python -m bot catalogue review {self.slug}).\n"
        )
        return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def municipality_path(folder: Path, slug: str) -> Path:
    """``<catalogue>/municipalities/<slug>.yml``."""
    return Path(folder) / "municipalities" / f"{slug}.yml"


def write_municipality(new: NewMunicipality, folder: Path, force: bool = False) -> Path:
    """Write the file; never over an existing one unless ``force``."""
    path = municipality_path(folder, new.slug)
    if path.exists() and not force:
        raise OnboardingError(f"{path} ya existe; use --force para reemplazarlo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new.to_yaml(), encoding="utf-8")
    return path


def existing_for(catalogue: Catalogue, commune: Commune) -> Optional[str]:
    """The slug of the municipality already serving this commune, if any."""
    served = catalogue.municipality_for_commune(commune.name)
    return served.slug if served else None


def still_missing(catalogue: Catalogue, slug: str, pending_review: int, hours_assumed: bool) -> List[str]:
    """What a person still has to add before citizens can use the municipality, in Spanish."""
    town = catalogue.municipalities[slug]
    missing: List[str] = []
    if not town.whatsapp_numbers:
        missing.append("Número de WhatsApp (channels.whatsapp, en E.164: +569…), activado en Twilio")
    if not town.telegram_bot:
        missing.append("Bot de Telegram (channels.telegram_bot: el usuario del bot creado con @BotFather)")
    for key, label in (("phone", "Teléfono general (--telefono)"), ("email", "Correo (--email)")):
        if not getattr(town, key):
            missing.append(label)
    if not town.website:
        missing.append("Sitio web (--web)")
    principal = town.office("principal")
    if principal is not None and not principal.address:
        missing.append("Dirección de la oficina principal (--direccion)")
    if hours_assumed:
        missing.append(f"Horario de la oficina principal: se puso {DEFAULT_HOURS!r}; confírmelo (--horario)")
    if len(town.offices) <= 1:
        missing.append("Oficinas: solo está la principal; agregue Tránsito, DIDECO, Juzgado… con su horario")
    if pending_review:
        missing.append(f"{pending_review} entrada(s) de la tabla por revisar: python -m bot catalogue review {slug}")
    return missing

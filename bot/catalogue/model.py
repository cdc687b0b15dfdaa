"""The catalogue's data model: procedures, offices and municipalities.

Plain dataclasses built from the YAML files; the database tables hold the same
shapes as JSON, so the same objects serve the NLU, the actions and the importer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Dict, List, Optional

FIELD_TYPES = (
    "nombre",
    "rut",
    "email",
    "telefono",
    "direccion",
    "fecha",
    "texto",
    "horario",
    "opcion",
    "si_no",
    "ubicacion",
    "foto",
)

CATEGORIES = (
    "Tránsito",
    "Rentas y Patentes",
    "Obras",
    "Aseo y Ornato",
    "DIDECO",
    "OIRS",
    "Juzgado de Policía Local",
    "Salud",
    "Medio Ambiente",
    "Seguridad",
    "Alcaldía",
    "Organizaciones Comunitarias",
    "Servicios Generales",
)


@dataclass(frozen=True)
class FormField:
    """One question of a guided request form."""

    name: str
    type: str
    question: str
    required: bool = True
    help: str = ""
    options: List[str] = field(default_factory=list)
    max_length: int = 500
    # Not asked when an earlier answer has one of these values: {"anonima": true} for the name of an anonymous report.
    skip_if: Dict[str, Any] = field(default_factory=dict)

    def skipped(self, values: Dict[str, Any]) -> bool:
        """Whether the answers given so far make this question moot."""
        return any(name in values and values[name] == value for name, value in self.skip_if.items())


@dataclass(frozen=True)
class Procedure:
    """A procedure (trámite) as published under Transparencia Activa, plus assistant data."""

    slug: str
    name: str
    category: str
    description: str
    requirements: List[str]
    steps: List[str]
    cost: str
    place: str
    response_time: str
    aliases: List[str]
    chat_request: bool = False
    online_url: Optional[str] = None
    additional_info: Optional[str] = None
    office: Optional[str] = None
    form: List[FormField] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Procedure":
        """Build from a YAML/JSON mapping (``form`` as ``{fields: [...]}`` or a list)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        form = data.get("form") or []
        if isinstance(form, dict):
            form = form.get("fields") or []
        values["form"] = [FormField(**f) for f in form]
        values["requirements"] = list(values.get("requirements") or [])
        values["steps"] = list(values.get("steps") or [])
        values["aliases"] = list(values.get("aliases") or [])
        return cls(**values)

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready mapping (the inverse of ``from_dict``)."""
        return asdict(self)

    def with_overrides(self, overrides: Dict[str, Any]) -> "Procedure":
        """A copy with a municipality's own values for some fields.

        The same as ``from_dict({**self.to_dict(), **overrides})`` (``tests/test_catalogue.py``) without
        the round trip through a dict: the actions ask for a municipality's procedures on every turn.
        """
        if not overrides:
            return self
        values = {k: v for k, v in overrides.items() if k in _PROCEDURE_FIELDS}
        if "form" in values:
            form = values["form"] or []
            if isinstance(form, dict):
                form = form.get("fields") or []
            values["form"] = [FormField(**f) for f in form]
        for name in ("requirements", "steps", "aliases"):
            values[name] = list(values[name] or []) if name in values else list(getattr(self, name))
        values["form"] = values.get("form", [replace(f, options=list(f.options)) for f in self.form])
        return replace(self, **values)


_PROCEDURE_FIELDS = frozenset(f.name for f in fields(Procedure))


@dataclass(frozen=True)
class Office:
    """A municipal office: where a procedure is done, and when."""

    key: str
    name: str
    address: str
    hours: str
    phone: str = ""
    departments: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class NonMunicipalProcedure:
    """A procedure of a national service: the assistant points to that service."""

    slug: str
    name: str
    service: str
    url: str
    answer: str
    aliases: List[str]


@dataclass(frozen=True)
class Municipality:
    """A municipality served by this deployment, with its own offices and overrides."""

    slug: str
    name: str
    comuna: str
    code: str
    offices: List[Office]
    website: str = ""
    phone: str = ""
    email: str = ""
    whatsapp_numbers: List[str] = field(default_factory=list)
    telegram_bot: str = ""
    exclude: List[str] = field(default_factory=list)
    overrides: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    extra: List[Procedure] = field(default_factory=list)
    holidays: List[str] = field(default_factory=list)  # its own days off (``feriados``), ISO dates as written

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Municipality":
        """Build from the YAML mapping documented in catalogue/SCHEMA.md."""
        channels = data.get("channels") or {}
        procedures = data.get("procedures") or {}
        holidays = data.get("feriados") or []
        return cls(
            slug=data["slug"],
            name=data["name"],
            comuna=data["comuna"],
            code=data["code"],
            offices=[Office(**o) for o in data.get("offices") or []],
            website=data.get("website") or "",
            phone=str(data.get("phone") or ""),
            email=data.get("email") or "",
            whatsapp_numbers=[str(n) for n in channels.get("whatsapp") or []],
            telegram_bot=channels.get("telegram_bot") or "",
            exclude=list(procedures.get("exclude") or []),
            overrides=dict(procedures.get("overrides") or {}),
            extra=[Procedure.from_dict(p) for p in procedures.get("extra") or []],
            holidays=[str(day) for day in (holidays if isinstance(holidays, list) else [holidays])],
        )

    def to_dict(self) -> Dict[str, Any]:
        """The YAML-shaped mapping (the inverse of ``from_dict``)."""
        return {
            "slug": self.slug,
            "name": self.name,
            "comuna": self.comuna,
            "code": self.code,
            "website": self.website,
            "phone": self.phone,
            "email": self.email,
            "channels": {"whatsapp": self.whatsapp_numbers, "telegram_bot": self.telegram_bot},
            "offices": [asdict(o) for o in self.offices],
            "feriados": self.holidays,
            "procedures": {
                "exclude": self.exclude,
                "overrides": self.overrides,
                "extra": [p.to_dict() for p in self.extra],
            },
        }

    def office(self, key: str) -> Optional[Office]:
        """The office with this key, if any."""
        return next((o for o in self.offices if o.key == key), None)

    def main_office(self) -> Optional[Office]:
        """The office whose hours the handoff message and the staff's first-response clock use: ``principal``,
        or the first one listed."""
        return self.office("principal") or (self.offices[0] if self.offices else None)

    def office_for(self, procedure: Procedure) -> Optional[Office]:
        """Where this municipality does the procedure: its own choice, its department, or the main office."""
        if procedure.office and self.office(procedure.office):
            return self.office(procedure.office)
        serving = next((o for o in self.offices if procedure.category in o.departments), None)
        return serving or self.main_office()

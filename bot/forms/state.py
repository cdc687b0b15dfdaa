"""The state of one guided request while the citizen fills it in.

Kept in the ``solicitud`` slot as a plain dict, so it survives restarts of either
server and travels with the conversation's tracker.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from bot.catalogue.model import FormField

ASKING, CONFIRMING, CORRECTING, DONE = "preguntando", "confirmando", "corrigiendo", "listo"
MAX_REQUEST_ATTACHMENTS = 10
CHOOSING = "eligiendo"  # "Corregir un dato" was chosen: the field picker is the question
ADDING = "agregando"  # a detail told on the summary: "¿Lo agrego a «Motivo»?" is the question

LABELS = {
    "nombre": "Nombre",
    "rut": "RUT",
    "email": "Correo",
    "telefono": "Teléfono",
    "direccion": "Dirección",
    "descripcion": "Descripción",
    "motivo": "Motivo",
    "fecha_preferida": "Fecha preferida",
    "materia": "Materia",
    "referencia": "Referencia",
    "ubicacion": "Ubicación",
    "objetos": "Objetos",
    "volumen": "Volumen",
    "tipo": "Tipo",
    "anonima": "Anónima",
    "horario": "Horario",
    "especie": "Especie",
    "lugar": "Lugar",
    "foto": "Foto",
}


def label(form_field: FormField) -> str:
    """How a field is named in the summary: "Dirección", "Ubicacion arbol" -> "Ubicación árbol"."""
    if form_field.name in LABELS:
        return LABELS[form_field.name]
    text = form_field.name.replace("_", " ")
    return text[:1].upper() + text[1:]


def label_in_sentence(form_field: FormField) -> str:
    """A field's label inside a sentence: "RUT" stays, "Dirección" is "dirección"."""
    return label(form_field) if label(form_field).isupper() else label(form_field).lower()


@dataclass
class FormState:
    """Answers so far, the field being asked, failed attempts and the stage."""

    procedure: str
    municipality: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    values: Dict[str, Any] = field(default_factory=dict)
    displays: Dict[str, str] = field(default_factory=dict)
    current: Optional[str] = None
    attempts: int = 0
    stage: str = ASKING
    # Another procedure the citizen asked for mid-form: "¿dejamos esta y pedimos esa?" is pending.
    switch_to: Optional[str] = None
    # The words that asked for it ("mejor quiero poner un reclamo"): what they tell fills the new request.
    switch_said: str = ""
    # The switch was offered to an upset citizen (a complaint): this request is offered again after its folio.
    upset: bool = False
    # A detail the citizen told on the summary, waiting for "¿Lo agrego a …?" (stage ADDING).
    addition: Optional[str] = None
    # Photos the citizen sent during the request (bot/message_metadata.py's shape), stored with it.
    attachments: List[Dict[str, Any]] = field(default_factory=list)
    # Field name -> what the opening message told of it (bot/forms/told.py): quoted in its question, kept on a yes.
    told: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> Optional["FormState"]:
        """Rebuild from the slot value (``None`` when no form is in progress)."""
        if not data:
            return None
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> Dict[str, Any]:
        """The slot value."""
        return asdict(self)

    def store(self, form_field: FormField, value: Any, display: str) -> None:
        """Keep a valid answer and reset the attempt counter."""
        self.values[form_field.name] = value
        self.displays[form_field.name] = display
        self.told.pop(form_field.name, None)
        self.attempts = 0

    def advance(self, fields: List[FormField]) -> None:
        """Move to the next unanswered field, or to the confirmation."""
        missing = [f.name for f in fields if f.name not in self.values and not f.skipped(self.values)]
        if missing:
            self.current, self.stage = missing[0], ASKING
        else:
            self.current, self.stage = None, CONFIRMING
        self.attempts = 0

    def attach(self, items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Keep photos sent during the request (each once, at most ``MAX_REQUEST_ATTACHMENTS``); the new ones."""
        known = {a.get("ref") for a in self.attachments}
        added = []
        for item in items:
            if item.get("ref") not in known and len(self.attachments) < MAX_REQUEST_ATTACHMENTS:
                self.attachments.append(dict(item))
                known.add(item.get("ref"))
                added.append(item)
        return added

    def submitted_values(self, fields: List[FormField]) -> Dict[str, Any]:
        """The answers as the request stores them: a photo answer names its attachment ("adjunto 1")."""
        values = dict(self.values)
        refs = [a.get("ref") for a in self.attachments]
        for form_field in fields:
            value = values.get(form_field.name)
            if form_field.type == "foto" and isinstance(value, dict):
                ref = value.get("ref")
                values[form_field.name] = f"adjunto {refs.index(ref) + 1}" if ref in refs else None
        return values

    def field(self, fields: List[FormField], name: Optional[str] = None) -> Optional[FormField]:
        """The field definition named ``name`` (default: the one being asked)."""
        wanted = name or self.current
        return next((f for f in fields if f.name == wanted), None)

"""Validation of one answer for one form field, with a clear Spanish message when it fails.

``validate_answer(field, text, context)`` returns a ``FieldResult``: the normalised
value to store, how to show it in the summary, or the error to tell the citizen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional

from rapidfuzz import fuzz, process

from bot.catalogue.model import FormField
from bot.dialogue.cues import accepts
from bot.dialogue.procedure_moves import asks_it_done
from bot.forms.dates import parse_date
from bot.forms.option_words import option_for_amount, option_named
from bot.nlu.entities import blank_spans, find_emails, find_folios, find_phones, find_ruts, first_rut, format_phone
from bot.text import normalise

SKIP_WORDS = {"no", "omitir", "saltar", "paso", "no tengo", "no se", "ninguno", "ninguna", "nada", "sin", "no quiero"}
YES = {
    "si",
    "sip",
    "sii",
    "si po",
    "sipo",
    "claro",
    "ok",
    "dale",
    "ya",
    "bueno",
    "correcto",
    "afirmativo",
    "obvio",
    "de acuerdo",
    "esta bien",
    "si gracias",
}
NO = {"no", "nop", "no po", "nopo", "negativo", "para nada", "no gracias"}
NAME_PREFIX = re.compile(
    # "ah, Felipe Arancibia Toro", "ya, me llamo…": a sound of assent or surprise before the name is no part of it
    r"^\s*(?:(?:ah+|aa+h*|oh+|eh+|ya|ok|okay|bueno|weno|listo|perdon|perdón|disculpe|ups)\s*[,.!:;]*\s+)?"
    r"(?:(?:me llamo|mi nombre es|mi nombre|soy|nombre:?)\s+)?",
    re.IGNORECASE,
)
COORDINATES = re.compile(r"(-?\d{1,2}\.\d{3,})\s*[,; ]\s*(-?\d{1,3}\.\d{3,})")
MAX_DAYS_AHEAD = 365
# Words no Chilean name holds: "no tengo correo" or "no se" typed where the name was asked is no name.
NOT_IN_A_NAME = {
    "no", "tengo", "tiene", "correo", "mail", "email", "telefono", "celular", "rut", "quiero", "necesito",
    "que", "porque", "gracias", "hola", "omitir", "nada", "numero", "direccion", "cual", "como", "donde",
    "si", "ya", "ok", "dale", "bueno", "porfa", "favor", "listo", "vecina", "vecino", "dueno", "duena",
    "entonces", "nomas", "po", "altiro",
}  # fmt: skip
OTHER_OPTIONS = {"otro", "otra", "otros", "otras"}


@dataclass(frozen=True)
class FieldResult:
    """The outcome of validating one answer."""

    ok: bool
    value: Any = None
    display: str = ""
    error: str = ""


@dataclass
class AnswerContext:
    """What else is known when validating: today, the municipality, a shared location, entities."""

    today: date
    commune: str = ""
    location: Optional[Dict[str, Any]] = None  # bot/message_metadata.py's shape (address too, if given)
    entities: Dict[str, str] = field(default_factory=dict)
    intent: str = ""
    # What the message carries (bot/message_metadata.py, ``attachments_of``): a photo answers a ``foto`` field.
    attachments: List[Dict[str, Any]] = field(default_factory=list)


def _fail(message: str) -> FieldResult:
    return FieldResult(False, error=message)


def _ok(value: Any, display: Optional[str] = None) -> FieldResult:
    return FieldResult(True, value, display if display is not None else str(value))


# "no puedo", "no tengo correo", "prefiero no darlo": a short message starting like this declines.
SKIP_STARTS = ("no ", "prefiero no", "mejor no", "sin ", "paso")
MAX_SKIP_WORDS = 5


# "no, no es necesario q me llamen": a longer message that says it is not needed, and holds no number.
_DECLINES = re.compile(
    r"\b(?:no es necesario|no hace falta|no importa|no gracias|no necesito|no me llamen|no me llames"
    r"|no quiero (?:dar|darlo|darla|dejar|dejarlo|dejarla|que me llamen|q me llamen)|prefiero no|mejor no"
    # "ah ya entonces no, no tengo correo": none to give
    r"|no tengo (?:correo|mail|email|e mail|telefono|fono|celular|cel|foto|fotos))\b"
)
MAX_DECLINE_WORDS = 12
# "no puedo, estoy en la pega", "ahora no puedo": cannot give it now (but "no puedo abrir el portón" describes).
_CANNOT = re.compile(
    r"^(?:ahora |ahorita )?no (?:puedo|se puede|tengo como)(?: ahora| ahorita| en este momento)?"
    r"(?: (?:estoy|ando|no estoy|toy)\b.*)?$"
)


# "no se cual es mi correo, mi hija me lo hizo y no me acuerdo": a datum the citizen does not know.
_UNKNOWN = re.compile(r"^(?:no (?:lo |la )?se|no (?:me )?(?:acuerdo|recuerdo)|no (?:lo|la) tengo)\b")
MAX_UNKNOWN_WORDS = 20
# Optional data that words cannot hold besides "I don't know" (a description may: "no se, frente a la plaza").
_DATUM_TYPES = ("email", "telefono", "rut", "fecha", "ubicacion", "foto")


def is_skip(text: str) -> bool:
    """Whether the citizen declines an optional field."""
    norm = normalise(text)
    words = len(norm.split())
    if norm in SKIP_WORDS or norm in NO or (words <= MAX_SKIP_WORDS and norm.startswith(SKIP_STARTS)):
        return True
    if words <= MAX_DECLINE_WORDS and _CANNOT.match(norm):
        return True
    return words <= MAX_DECLINE_WORDS and not re.search(r"\d|@", text) and bool(_DECLINES.search(norm))


def _unknown(text: str) -> bool:
    """The citizen does not know the datum ("no se cual es mi correo…"), and gives none (no digit nor "@")."""
    norm = normalise(text)
    return len(norm.split()) <= MAX_UNKNOWN_WORDS and not re.search(r"\d|@", text) and bool(_UNKNOWN.match(norm))


def yes_no(text: str, intent: str = "") -> Optional[bool]:
    """``True`` for yes, ``False`` for no, ``None`` when neither."""
    norm = normalise(text)
    if norm in YES or accepts(norm) or intent == "afirmar" and norm not in NO:
        return True
    if norm in NO or intent == "negar":
        return False
    return None


# Where a name told with other data ends: "Valentina Ortiz Bravo, rut 12.908.734-K".
_AFTER_A_NAME = {
    "rut", "run", "vivo", "mi", "mis", "y", "con", "cel", "celular", "fono", "telefono", "correo", "mail",
    "email", "soy", "tengo", "en", "para", "pa", "porque", "que", "q", "quiero", "necesito", "numero",
    "direccion", "whatsapp", "wsp",
}  # fmt: skip
_NAME_WORD = re.compile(r"[^\W\d_][\w'\-]*\.?$", re.UNICODE)
MIN_NAME_WORDS, MAX_NAME_WORDS = 2, 6


def name_before_data(text: str) -> Optional[str]:
    """The two to six words of a name that open ``text``, up to the first comma, datum or clause word."""
    words: List[str] = []
    for raw in text.split():
        word = raw.strip(",.;:")
        if normalise(word) in _AFTER_A_NAME or not _NAME_WORD.match(word):
            break
        words.append(word)
        if raw != word:  # a comma or full stop closes the name
            break
    return " ".join(words) if MIN_NAME_WORDS <= len(words) <= MAX_NAME_WORDS else None


def _name(text: str, _f: FormField, _c: AnswerContext) -> FieldResult:
    name = NAME_PREFIX.sub("", text).strip(" .,")
    if any(ch.isdigit() for ch in name) or "," in name:
        name = name_before_data(name) or name  # the rest (RUT, phone) is taken from the entities
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or any(ch.isdigit() for ch in name) or len(name) > 80:
        return _fail("Necesito tu nombre, sin números. Por ejemplo: María José Soto.")
    # "inscribeme entonces", "hagalo nomas": a command to do it is nobody's name.
    if (
        not re.fullmatch(r"[\w .'\-]+", name, re.UNICODE)
        or set(normalise(name).split()) & NOT_IN_A_NAME
        or asks_it_done(name)
    ):
        return _fail("Escribe solo tu nombre y apellido, por ejemplo: María José Soto.")
    pretty = " ".join(w[:1].upper() + w[1:] for w in name.split())
    return _ok(pretty)


def _rut(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    value = context.entities.get("rut") or first_rut(text)
    if value:
        return _ok(value)
    if len(re.sub(r"\D", "", text)) >= 7:
        return _fail("Ese RUT no es válido: revisa el dígito verificador (el número o K después del guion).")
    return _fail("Necesito tu RUT con dígito verificador, por ejemplo 12.345.678-5.")


def _email(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    value = context.entities.get("email") or next((f.value for f in find_emails(text)), None)
    if value and re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value):
        return _ok(value)
    return _fail("Ese correo no parece válido. Escríbelo completo, por ejemplo nombre@gmail.com.")


def _phone(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    value = (
        context.entities.get("telefono")
        or next((f.value for f in find_phones(text)), None)
        or format_phone(re.sub(r"[^\d+]", "", text))
    )
    if value:
        return _ok(value)
    return _fail("Ese teléfono no parece válido. Escribe un celular de 9 dígitos, por ejemplo 9 8765 4321.")


def _address(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    if context.location and normalise(text) in {"", "ubicacion", "mi ubicacion", "aca", "aqui"}:
        return _location_result(context.location)
    address = " ".join(text.split()).strip(" .,")
    if len(address) < 5 or not re.search(r"[a-zA-ZáéíóúñÁÉÍÓÚÑ]{3,}", address):
        return _fail("Necesito la dirección con calle y número, o la esquina. Por ejemplo: Pasaje Los Aromos 1234.")
    if len(address) > 150:
        return _fail("Esa dirección es muy larga: escribe solo calle, número y alguna referencia breve.")
    if not looks_like_a_place(_without_ruts_nor_folios(address)):
        # "consulto el estado: PEN 4XK7M2 rut 12876543-3": a RUT's check digit is no street number
        return _fail("Necesito la dirección con calle y número, o la esquina. Por ejemplo: Pasaje Los Aromos 1234.")
    other = context.entities.get("comuna")
    # "San Luis de Macul 5420, Peñalolén": a street named after another commune, in the served one.
    here = context.commune
    if other and here and normalise(other) != normalise(here) and _in_commune(address, other):
        if not _in_commune(address, here):
            return _fail(
                f"Esa dirección parece estar en {other}. Solo puedo recibir solicitudes para direcciones de {here}."
            )
    return _ok(address)


def _without_ruts_nor_folios(text: str) -> str:
    """``text`` with its RUTs and folios blanked out: their digits are no street number."""
    return blank_spans(text, ((f.start, f.end) for f in [*find_ruts(text), *find_folios(text)]))


# A number that counts or measures ("2 colchones", "hace 2 semanas", "1 metro de ancho") is no street number.
_COUNTED = re.compile(
    r"\b\d{1,5} (?:(?!las\b|los\b)[a-z]{3,}s|metro|metros|cm|centimetros|kilo|kilos|kg|litro|litros|dia|mes|hora"
    r"|ano|minuto|cuadra|piso|vez|lucas|luca|pesos|utm)\b"
)
_STREET_NUMBER = re.compile(r"\b\d{1,5}\b|\bsin numero\b")
_NO_NUMBER = re.compile(r"\bs/n\b|\bs/n°|\bs/nro\b")
# Words that place an answer on a map without a number: a street word, a corner, a landmark beside it.
_WHERE_WORDS = re.compile(
    r"\b(?:calle|pasaje|psje|pje|avenida|camino|villa|poblacion|pobl|block|esquina|condominio|callejon|diagonal"
    r"|sector|barrio|plaza|plazoleta|parque|cancha|frente|lado|altura|entre|interior|paradero|cruce|ruta|km"
    r"|kilometro|parcela|lote|manzana|sede|colegio|escuela|liceo|consultorio|cesfam|iglesia|capilla|almacen"
    r"|supermercado|feria|bandejon|costanera|rotonda|puente|estacion)\b"
)
# "Maruri con Rivera": two streets, a few words each, before any comma.
# "maruri con gamero", "gamero llegando a maruri", "gamero casi esquina maruri"
_CORNER = re.compile(r"^(?:\S+ ){1,4}(?:con|llegando a|casi llegando a|casi esquina|casi esquina con)(?: \S+){1,4}$")


def looks_like_a_place(text: str) -> bool:
    """Words that can be found on a map: a street number, a street or landmark word, or two streets' corner.

    "musica fuerte, tipo fiesta con gritos" or "bolsas de basura, 2 colchones" answer another question.
    """
    norm = normalise(text)
    if _STREET_NUMBER.search(_COUNTED.sub(" ", norm)) or _WHERE_WORDS.search(norm) or _NO_NUMBER.search(text.lower()):
        return True
    return bool(_CORNER.match(normalise(re.split(r"[,;.]", text)[0])))


_COMMUNE_CUES = {"en", "comuna", "de"}
# A neighbourhood or street named after a commune: "población Pedro Aguirre Cerda", "villa Macul".
_PLACE_WORDS = {
    "poblacion",
    "pobl",
    "villa",
    "barrio",
    "conjunto",
    "sector",
    "condominio",
    "calle",
    "pasaje",
    "avenida",
    "av",
}


def _in_commune(address: str, commune: str) -> bool:
    """The address says it is in ``commune`` ("Los Aromos 123, Maipú", "… 123 maipu", "en Maipú"), as opposed
    to a street named after it ("pasaje Río Palena 6231", "Condell con Rancagua")."""
    name = normalise(commune).split()
    parts = [normalise(part).split() for part in address.split(",")]
    if any(
        part[-len(name) :] == name
        and len(part) <= len(name) + 2
        and not (len(part) > len(name) and part[-len(name) - 1] in _PLACE_WORDS)
        for part in parts[1:]
        if part
    ):
        return True  # after a comma: "…, Maipú", "…, comuna de Maipú"; not "…, población Pedro Aguirre Cerda"
    words = [w for part in parts for w in part]
    for i in range(1, len(words) - len(name) + 1):
        if words[i : i + len(name)] == name and (words[i - 1] in _COMMUNE_CUES or words[i - 1].isdigit()):
            return True
    return False


def _location_result(location: Dict[str, Any]) -> FieldResult:
    """A shared location as the answer; the address the channel gave with it (Twilio's ``Address``) is kept."""
    lat, lon = float(location["lat"]), float(location["lon"])
    if not (-56.0 <= lat <= -17.0 and -110.0 <= lon <= -66.0):
        return _fail("Esa ubicación no está en Chile. Comparte de nuevo tu ubicación o escribe la dirección.")
    address = location.get("address")
    if isinstance(address, str) and address:
        return _ok({"lat": lat, "lon": lon, "address": address}, f"{address} (ubicación compartida)")
    return _ok({"lat": lat, "lon": lon}, f"Ubicación compartida ({lat:.5f}, {lon:.5f})")


MIN_TYPED_PLACE_LETTERS, MAX_TYPED_PLACE_LETTERS = 5, 150


def _location(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    if context.location:
        return _location_result(context.location)
    match = COORDINATES.search(text)
    if match:
        return _location_result({"lat": float(match.group(1)), "lon": float(match.group(2))})
    typed = " ".join(text.split()).strip(" .,")
    if MIN_TYPED_PLACE_LETTERS <= len(typed) <= MAX_TYPED_PLACE_LETTERS and looks_like_a_place(typed):
        return _ok(typed)  # "Marchant Pereira 550, en la vereda del frente": written, as the question offers
    return _fail("Comparte tu ubicación con el botón de adjuntar (📎 > Ubicación) o escribe la dirección.")


PHOTO_TAKEN = "Foto recibida"


def photos(context: AnswerContext) -> List[Dict[str, Any]]:
    """The images the message carries."""
    return [a for a in context.attachments if a.get("kind") == "image"]


def _photo(_text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    found = photos(context)
    if found:
        return _ok(found[0], PHOTO_TAKEN)
    if context.attachments:
        return _fail("Eso no es una foto. Envía una foto desde tu teléfono, o escribe «omitir» para seguir sin ella.")
    return _fail("Envía la foto desde tu teléfono (📎 o la cámara), o escribe «omitir» para seguir sin ella.")


def _date(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    parsed = parse_date(text, context.today)
    if parsed is None:
        return _fail("No entendí la fecha. Escríbela así: 15 de marzo, el lunes o 20/12.")
    if parsed < context.today:
        return _fail("Esa fecha ya pasó. Indica una fecha de hoy en adelante.")
    if (parsed - context.today).days > MAX_DAYS_AHEAD:
        return _fail("Esa fecha está muy lejos. Indica una fecha dentro del próximo año.")
    return _ok(parsed.isoformat(), parsed.strftime("%d/%m/%Y"))


# Words that pass a question: no answer to one that must be answered ("paso" asked what the pothole is like).
_PASSING = {"omitir", "saltar", "paso", "siguiente", "skip"}


def _text(text: str, form_field: FormField, _c: AnswerContext) -> FieldResult:
    value = " ".join(text.split())
    if normalise(value) in _PASSING:  # an optional field took it as a skip before coming here
        return _fail("Esta pregunta no se puede saltar: la necesitamos para tu solicitud. Cuéntalo en pocas palabras.")
    if len(value) < 3 or not re.search(r"\w", value):
        return _fail("Cuéntame un poco más, con al menos algunas palabras.")
    if len(value) > form_field.max_length:
        return _fail(
            f"Es un poco largo: resúmelo en menos de {form_field.max_length} caracteres (escribiste {len(value)})."
        )
    return _ok(value)


def option_number(text: str, count: int) -> Optional[int]:
    """The place (1-based) of an option given by its number ("2", "la 2", "opción 2"), within ``count``."""
    norm = normalise(text).replace("la ", "").replace("el ", "").replace("opcion ", "").strip()
    if norm.isascii() and norm.isdigit() and len(norm) <= 3 and 1 <= int(norm) <= count:
        return int(norm)
    return None


MIN_FUZZY_OPTION_LETTERS = 3


def _choice(text: str, form_field: FormField, _c: AnswerContext) -> FieldResult:
    options = form_field.options
    normalised = normalise(text)
    number = option_number(text, len(options))
    if number:
        return _ok(options[number - 1])
    amount = option_for_amount(text, options)  # "como 2 metros cubicos": the range, not a look-alike title
    if amount:
        return _ok(amount)
    # A bare "sí" or "ok" names no option, though it opens one's title («Sitio eriazo»).
    looks_alike = yes_no(text) is None and len(normalised) >= MIN_FUZZY_OPTION_LETTERS
    best = looks_alike and process.extractOne(
        normalised, [normalise(o) for o in options], scorer=fuzz.WRatio, score_cutoff=80
    )
    if best:
        return _ok(options[best[2]])
    named = option_named(text, options)
    if named:
        return _ok(named)
    other = next((o for o in options if normalise(o) in OTHER_OPTIONS), None)
    if other and sum(ch.isalpha() for ch in text) >= 3:  # «Otro», keeping what the citizen wrote
        value = f"{other}: {' '.join(text.split())[: form_field.max_length]}"
        return _ok(value)
    listed = ", ".join(f"{i}) {o}" for i, o in enumerate(options, 1))
    return _fail(f"Elige una de las opciones: {listed}.")


def _yes_no(text: str, _f: FormField, context: AnswerContext) -> FieldResult:
    answer = yes_no(text, context.intent)
    if answer is None:  # "si porfa, no quiero problemas con los vecinos": the first clause answers
        answer = yes_no(re.split(r"[,;.!]", text.strip(), maxsplit=1)[0])
    if answer is None:
        return _fail("Responde sí o no, por favor.")
    return _ok(answer, "Sí" if answer else "No")


VALIDATORS = {
    "nombre": _name,
    "rut": _rut,
    "email": _email,
    "telefono": _phone,
    "direccion": _address,
    "fecha": _date,
    "texto": _text,
    "horario": _text,  # days and hours as the citizen says them ("todas las noches desde las 11")
    "opcion": _choice,
    "si_no": _yes_no,
    "ubicacion": _location,
    "foto": _photo,
}


def validate_answer(form_field: FormField, text: str, context: AnswerContext) -> FieldResult:
    """Validate ``text`` as the answer to ``form_field``; optional fields accept "omitir"."""
    if form_field.type == "foto" and photos(context):  # a photo with a caption ("no se ve bien") is the photo
        return _photo(text, form_field, context)
    if not form_field.required and form_field.type not in ("si_no",) and is_skip(text):
        return _ok(None, "(no indicado)")
    if not form_field.required and form_field.type in _DATUM_TYPES and _unknown(text):
        return _ok(None, "(no indicado)")
    return VALIDATORS[form_field.type](text, form_field, context)


def example_for(form_field: FormField) -> str:
    """An example answer, for the second failed attempt."""
    if form_field.help:
        return form_field.help
    examples = {
        "nombre": "Por ejemplo: María José Soto.",
        "rut": "Por ejemplo: 12.345.678-5.",
        "email": "Por ejemplo: nombre@gmail.com.",
        "telefono": "Por ejemplo: 9 8765 4321.",
        "direccion": "Por ejemplo: Pasaje Los Aromos 1234.",
        "fecha": "Por ejemplo: 15 de marzo.",
        "texto": "Por ejemplo: un colchón de dos plazas y un sillón.",
        "horario": "Por ejemplo: viernes y sábado desde las 23:00 hasta las 5:00.",
        "si_no": "Responde sí o no.",
        "ubicacion": "Usa 📎 > Ubicación en tu teléfono.",
        "foto": "Toca 📎 o la cámara y envía la foto; si no tienes una, escribe «omitir».",
    }
    if form_field.type == "opcion":
        return "Responde con el número de la opción: " + ", ".join(
            f"{i}) {o}" for i, o in enumerate(form_field.options, 1)
        )
    return examples[form_field.type]


def known_values(fields: List[FormField], entities: Dict[str, str]) -> Dict[str, Any]:
    """Values already given in the conversation ("mi rut es ...") for fields of matching type."""
    by_type = {"rut": entities.get("rut"), "email": entities.get("email"), "telefono": entities.get("telefono")}
    return {f.name: by_type[f.type] for f in fields if by_type.get(f.type)}

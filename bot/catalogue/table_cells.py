"""What each column and cell of the Transparencia "Trámites" table means.

The portal's headers (``Nombre del trámite o servicio``, ``Trámites en línea``…), the older
municipal copies of the same template (``Trámite a realizar o etapas``, ``¿Realizable en
línea?``) and the short forms people type (``Nombre``, ``Etapas``, ``Valor``) are all read,
with any capitalisation and accents. A cell becomes a field value: lists of requirements or
steps are split where the municipality numbered or bulleted them (never inside "D.F.L. 1",
"1.5 UTM" or "Ley 20.285"); the online column gives a link or nothing; the place may carry the
office hours, which are taken out into the catalogue's hours format (catalogue/SCHEMA.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz

from bot.catalogue.hours import DAYS, HoursFormatError, parse_hours

# Normalised header -> field. "online_flag" is the old template's "¿Realizable en línea?" (SI/NO).
HEADERS: Dict[str, str] = {
    "nombre del tramite o servicio": "name",
    "nombre del servicio o tramite": "name",
    "nombre del tramite": "name",
    "nombre del servicio": "name",
    "nombre": "name",
    "tramite o servicio": "name",
    "tramite": "name",
    "descripcion del servicio": "description",
    "descripcion del tramite": "description",
    "descripcion del tramite o servicio": "description",
    "descripcion": "description",
    "requisitos y antecedentes": "requirements",
    "requisitos": "requirements",
    "antecedentes": "requirements",
    "tramites en linea": "online_url",
    "tramite en linea": "online_url",
    "enlace al tramite en linea": "online_url",
    "link al tramite en linea": "online_url",
    "enlace": "online_url",
    "link": "online_url",
    "url": "online_url",
    "realizable en linea": "online_flag",
    "se puede realizar en linea": "online_flag",
    "tramites a realizar o etapas": "steps",
    "tramite a realizar o etapas": "steps",
    "tramites a realizar": "steps",
    "etapas del tramite": "steps",
    "etapas": "steps",
    "pasos": "steps",
    "valor": "cost",
    "valor del tramite": "cost",
    "valor del servicio": "cost",
    "costo": "cost",
    "precio": "cost",
    "lugar donde se realiza": "place",
    "lugar donde se realiza el tramite": "place",
    "lugar": "place",
    "informacion complementaria": "additional_info",
    "informacion adicional": "additional_info",
    "observaciones": "additional_info",
    "unidad responsable": "department",
    "unidad": "department",
    "departamento": "department",
    "direccion o departamento": "department",
    "area": "department",
}
HEADER_SIMILARITY = 90.0
# What the online column says when there is no link ("No tiene" is the portal's usual value).
NO_ONLINE = {
    "",
    "no",
    "no tiene",
    "no aplica",
    "n/a",
    "na",
    "-",
    "--",
    "no disponible",
    "no corresponde",
    "sin enlace",
    "ninguno",
    "presencial",
    "solo presencial",
}
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+\.[^\s<>\"']+", re.IGNORECASE)
# Words around a link that say nothing more than "this is the link".
_LINK_WORDS = re.compile(
    r"^(ir al? (tramite|sitio|formulario|enlace|link)|aqui|link|enlace|ver|pincha aqui|haga click aqui|click aqui|"
    r"clic aqui|acceder|ingresar|ir|tramite en linea|si)?$"
)


def fold(text: str) -> str:
    """Lower case without accents, character for character (positions stay the same)."""
    return "".join(unicodedata.normalize("NFD", ch)[0] for ch in text.lower())


def header_key(header: str) -> str:
    """A header as compared: lower case, no accents, only letters, digits and single spaces."""
    return " ".join(re.sub(r"[^a-z0-9/ ]+", " ", fold(header)).split())


def _header_match(header: str) -> Tuple[Optional[str], int]:
    """The field a header names and how surely: 3 exact, 2 a known header and more words, 1 near."""
    key = header_key(header)
    if not key:
        return None, 0
    if key in HEADERS:
        return HEADERS[key], 3
    # "Lugar donde se realiza el trámite (dirección)" starts with a known header; a short one
    # ("enlace", "nombre") only counts alone: "Enlace a la publicación" is no online procedure.
    prefixed = [known for known in HEADERS if len(known) > 8 and key.startswith(known + " ")]
    if prefixed:
        return HEADERS[max(prefixed, key=len)], 2
    score, best = max((fuzz.ratio(key, known), known) for known in HEADERS if len(known) > 8)
    return (HEADERS[best], 1) if score >= HEADER_SIMILARITY else (None, 0)


def field_of_header(header: str) -> Optional[str]:
    """The field a column holds, or ``None`` for a column the importer does not use."""
    return _header_match(header)[0]


def header_fields(row: Sequence[str]) -> Dict[int, str]:
    """Column index -> field for a header row: for each field the surest column, the first of equals."""
    best: Dict[str, Tuple[int, int]] = {}
    for index, cell in enumerate(row):
        target, quality = _header_match(cell)
        if target and (target not in best or quality > best[target][1]):
            best[target] = (index, quality)
    return {index: target for target, (index, _quality) in best.items()}


def is_header_row(row: Sequence[str]) -> bool:
    """A row that names the procedure's name column and at least one other known column."""
    fields_found = set(header_fields(row).values())
    return "name" in fields_found and len(fields_found) >= 2


# ---- lists: requirements and steps ------------------------------------------------------------

_BULLET_LINE = re.compile(
    r"^\s*(?:[•·▪●◦*‣–—-]|\d{1,2}\s*[.)°º:-]{1,2}(?!\d)|(?:paso|etapa)\s*\d{1,2}\s*[:.)-]{0,2}|[a-h]\))\s*", re.I
)
# A number that starts an item: "1." "2)" "3 -" "Paso 4:" at the start or after a space or
# sentence mark, followed by a space and a letter; "1.5" and "20.285" are numbers, not items.
_NUMBER_MARK = re.compile(
    r"(?:^|(?<=[\s.;:,]))(?P<paso>(?:paso|etapa)\s*)?(?P<n>\d{1,2})"
    r"(?:\s*[.)°º:-]{1,2}\s*|(?(paso)\s+|(?!)))(?=[^\W\d_])",
    re.IGNORECASE,
)
_LETTER_MARK = re.compile(r"(?:^|(?<=[\s.;:,]))(?P<n>[a-h])\)\s+(?=[^\W\d_])", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:;|•|·|▪|●|◦|‣|\s[–—-]\s)\s*")
_TRIM = " \t.,;:-–—•·▪●◦*‣"


def _sequential_marks(text: str) -> List[Tuple[int, int]]:
    """The (start, end) of item marks numbered 1, 2, 3… (or a, b, c…) in order; others are text."""
    for pattern, first in ((_NUMBER_MARK, "1"), (_LETTER_MARK, "a")):
        marks: List[Tuple[int, int]] = []
        expected = first
        for match in pattern.finditer(text):
            if match["n"].lower() == expected:
                marks.append((match.start(), match.end()))
                expected = str(int(expected) + 1) if expected.isdigit() else chr(ord(expected) + 1)
        starts_item = bool(marks) and not text[: marks[0][0]].strip(_TRIM)
        if len(marks) >= 2 or (marks and starts_item and re.match(r"\s*(paso|etapa)", text, re.I)):
            return marks
    return []


def _clean_item(item: str) -> str:
    item = " ".join(item.split())
    item = _BULLET_LINE.sub("", item, count=1) if _BULLET_LINE.match(item) else item
    return item.strip(_TRIM).strip()


def split_items(text: str) -> List[str]:
    """A cell's list: numbered items (inline or on lines), bullets, ``;``, `` - `` or line breaks."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return []
    marks = _sequential_marks(text)
    if marks:
        pieces = [text[: marks[0][0]]] + [
            text[start:end] for (_, start), end in zip(marks, [m[0] for m in marks[1:]] + [len(text)], strict=True)
        ]
        if pieces[0].strip().endswith(":"):
            pieces = pieces[1:]  # a heading such as "Requisitos:" before the numbered items
        return [item for item in (_clean_item(p) for p in pieces) if item]
    lines = [line for line in text.split("\n") if line.strip()]
    marked = any(_BULLET_LINE.match(line) for line in lines)
    raw: List[str] = []
    for line in lines:
        if marked and raw and not _BULLET_LINE.match(line):
            raw[-1] = f"{raw[-1]} {line.strip()}"  # an item written over two lines
            continue
        raw += _SEPARATORS.split(line)
    return [item for item in (_clean_item(part) for part in raw) if item]


# ---- the online column -----------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineCell:
    """What the online column said: a link, nothing, or a text to keep (with a warning)."""

    url: Optional[str] = None
    text: Optional[str] = None


def read_online(cell: str) -> OnlineCell:
    """``https://…`` (``www.…`` gets ``https://``), one of the "no link" words, or other text."""
    value = " ".join((cell or "").split())
    if header_key(value) in NO_ONLINE or value.strip(" .") in NO_ONLINE:
        return OnlineCell()
    found = _URL_RE.search(value)
    if not found:
        return OnlineCell(text=value)
    url = found.group(0).rstrip(".,;)")
    if url.lower().startswith("www."):
        url = "https://" + url
    rest = header_key(value[: found.start()] + " " + value[found.end() :])
    return OnlineCell(url=url, text=None if _LINK_WORDS.match(rest) else value)


def says_yes(cell: str) -> Optional[bool]:
    """The old template's SI/NO column: ``True``, ``False`` or ``None`` when it says neither."""
    key = header_key(cell)
    if key in {"si", "s", "yes", "x"}:
        return True
    if key in {"no", "n"}:
        return False
    return None


# ---- hours inside the place ------------------------------------------------------------------

_DAY_WORDS = {
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "sabados": 5,
    "domingo": 6,
    "domingos": 6,
    "lun": 0,
    "mar": 1,
    "mie": 2,
    "jue": 3,
    "vie": 4,
    "sab": 5,
    "dom": 6,
}
_DAY = r"(?:lunes|martes|miercoles|jueves|viernes|sabados?|domingos?|lun|mar|mie|jue|vie|sab|dom)\.?"
_DAYS_RE = re.compile(
    rf"\b(?:de\s+)?(?P<first>{_DAY})(?:\s*(?:a|al|-|–|hasta)\s*(?P<last>{_DAY})|(?P<more>(?:\s*(?:,|y)\s*{_DAY})+))?(?!\w)"
)
_CLOCK = r"(?P<{0}h>\d{{1,2}})(?:\s*[:.]\s*(?P<{0}m>\d{{2}}))?\s*(?P<{0}u>hrs?\.?|horas|h\b)?"
_SPAN_RE = re.compile(
    r"\b(?:de\s+|desde\s+|entre\s+)?"
    + _CLOCK.format("a")
    + r"\s*(?:a|-|–|hasta)\s+(?:las\s+)?"
    + _CLOCK.format("b")
    + r"|\b(?:de\s+|desde\s+|entre\s+)?"
    + _CLOCK.format("c")
    + r"\s*(?:-|–)\s*"
    + _CLOCK.format("d")
)
# "Horario de atención:", "Horario continuado de", "Atención al público" just before the hours.
_HOURS_LEAD = re.compile(r"\b(?:horarios?|atencion)\b[^\d.;]{0,40}$")


@dataclass(frozen=True)
class PlaceHours:
    """A place cell split into the place itself and the hours it gave (catalogue format)."""

    place: str
    hours: Optional[str] = None
    days_assumed: bool = False  # only times were written: Monday to Friday assumed


def _clock(hour: Optional[str], minute: Optional[str]) -> Optional[str]:
    if hour is None or int(hour) > 23 or int(minute or 0) > 59:
        return None
    return f"{int(hour):02d}:{int(minute or 0):02d}"


def _days_of(match: re.Match[str]) -> List[int]:
    def day(word: str) -> int:
        return _DAY_WORDS[word.rstrip(".")]

    first = day(match["first"])
    if match["last"]:
        return list(range(first, day(match["last"]) + 1))
    others = re.findall(_DAY, match["more"] or "")
    return sorted({first, *(day(o) for o in others)})


def _days_text(days: List[int]) -> str:
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAYS[days[0]]}-{DAYS[days[-1]]}"
    return ", ".join(DAYS[d] for d in days)


def extract_hours(place: str) -> PlaceHours:
    """Office hours written in a place cell ("… Lunes a viernes 8:30 a 13:30"), and the place without them."""
    folded = fold(place or "")
    spans = []
    for match in _SPAN_RE.finditer(folded):
        a, b = ("a", "b") if match["ah"] is not None else ("c", "d")
        opens, closes = _clock(match[f"{a}h"], match[f"{a}m"]), _clock(match[f"{b}h"], match[f"{b}m"])
        clock_like = any(match[k] for k in (f"{a}m", f"{b}m", f"{a}u", f"{b}u"))
        if opens and closes and clock_like and opens < closes:
            spans.append((match.start(), match.end(), opens, closes))
    if not spans:
        return PlaceHours(place=(place or "").strip())
    day_matches = [m for m in _DAYS_RE.finditer(folded) if m.start() < spans[-1][0]]
    chunks: List[Tuple[List[int], List[str]]] = []
    assumed = False
    start = spans[0][0]
    used_days = [m for m in day_matches if m.end() <= spans[0][0]]
    if used_days:
        start = min(start, used_days[-1].start())
    for index, (span_start, _end, opens, closes) in enumerate(spans):
        previous_end = spans[index - 1][1] if index else -1
        named = [m for m in day_matches if previous_end <= m.start() and m.end() <= span_start]
        if named:
            chunks.append((_days_of(named[-1]), [f"{opens}-{closes}"]))
        elif chunks:
            chunks[-1][1].append(f"{opens}-{closes}")
        else:
            assumed = True
            chunks.append(([0, 1, 2, 3, 4], [f"{opens}-{closes}"]))
    hours = "; ".join(f"{_days_text(days)} {', '.join(times)}" for days, times in chunks)
    try:
        parse_hours(hours)
    except HoursFormatError:
        return PlaceHours(place=(place or "").strip())
    end = spans[-1][1]
    lead = _HOURS_LEAD.search(folded[:start])
    if lead:
        start = lead.start()
    rest = (place[:start] + " " + place[end:]).strip()
    rest = re.sub(r"\s*\n\s*", ", ", rest)  # lines of the cell (<br> in a saved page) are parts of the place
    rest = re.sub(r"\s*[,.;:(\-–]+\s*$", "", re.sub(r"^\s*[,.;:)\-–]+\s*", "", rest))
    rest = re.sub(r"\(\s*\)", "", " ".join(rest.split())).strip(" ,.;:-–")
    return PlaceHours(place=rest, hours=hours, days_assumed=assumed)

"""Answers a request's opening message already holds.

"quiero denunciar ruidos molestos, es en pasaje los quillayes 5540, son fiestas con música…"
names the address and the kind of noise: the form keeps them and asks only what is missing.
Only answers that can be told apart with certainty are taken: a name after "me llamo", an address (a street word and
a number, or "en <a few words> <number>" closing a clause: "hay un poste sin luz en manuel
montt 1820", in one clause only), an option named by exactly one clause, and the days and
hours of a ``horario`` field ("todos los viernes desde las 11 de la noche"). Other free text is never
guessed from an opening message: a wrong guess would store what the citizen said in the wrong
field. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from bot.catalogue.model import FormField
from bot.forms.fields import NOT_IN_A_NAME, name_before_data
from bot.forms.schedule import is_schedule
from bot.text import normalise

_CLAUSES = re.compile(r"(?:[,;:\n]|\.(?!\d))+")  # not the dots of "9.876.543-3"
_STREET = re.compile(
    r"\b(?:pasaje|psje|pje|calle|avenida|av|camino|villa|poblacion|block|esquina|condominio|callejon|diagonal)\b"
)
_ADDRESS_CUE = re.compile(
    r"^(?:vivo en|vive en|viven en|(?:mi|la) direccion es|mi direccion|direccion|queda en|es en|(?:mi|la) dire es)\b"
)
_LEAD = re.compile(
    r"^\s*(?:(?:mi|la) direcci[oó]n es\s+|(?:mi|la) dire es\s+|direcci[oó]n:?\s+"
    r"|(?:(?:es|queda|esta|estan|vivo|vive|viven|ocurre|pasa|sucede|fue)\s+)?"
    r"(?:en\s+(?:la\s+|el\s+)?)?)",
    re.IGNORECASE,
)
# What starts another clause after a street number: "Maruri 1450 y quiero botar un sofá", "Av. Condell 1020 esta
# apagada" (the verb of what happens there).
_CLAUSE_GOES_ON = (
    r"(?:y|e|pero|porque|pq|xq|que|q|esta|estan|estaba|no|es|son|hay|se|tiene|tienen|pone|ponen|lleva|llevan"
    r"|quedo|quedaron|sin|ya|desde|hace)"
)
# "... en manuel montt 1820": a place of one to four words and its number, closing the clause.
_EN_PLACE_NUMBER = re.compile(
    # "en" the place, or beside it ("hay un foco apagado afuera de los leones 1340"), or the place of the thing
    # ("la luminaria de suecia 1870 esta apagada").
    r"\b(?:en|de|del|afuera de|afuera del|fuera de|frente a|frente al|al lado de)\s+"
    r"((?:(?!en\b)[^\W\d]+\.?\s+){1,4}\d{1,5}(?:\s*-?\s*[a-z]\b)?"
    r"(?:\s+(?:depto|dpto|departamento|casa|block|torre)\.?\s*\w{1,5})?)"
    # …or before what starts another clause: "hay un hoyo en maruri 1300 y tb quiero denunciar…".
    rf"\s*(?:$|(?=\s+{_CLAUSE_GOES_ON}\s))",
    re.IGNORECASE,
)
# "el vecino de Santos Dumont 1456 pone música…": a street's name written with capitals and its number, after
# "en" or "de", anywhere in the clause (lower-case words need the number to close the clause, above).
_NAMED_PLACE_NUMBER = re.compile(
    r"\b(?:en|de|del)\s+((?:(?:[A-ZÁÉÍÓÚÑ][^\W\d]*\.?|de|del|la|los|las)\s+){0,3}[A-ZÁÉÍÓÚÑ][^\W\d]*\.?\s+\d{1,5})\b"
)
# Words after which a number is a time or an amount, not a street number ("en la semana 2").
_NOT_A_PLACE = re.compile(
    r"\b(?:semana|semanas|dia|dias|mes|meses|ano|anos|hora|horas|minutos|cuotas|lucas|pesos|utm|piso|numero)\b"
)
# Where the street starts: "hay un hoyo en la calle…", "la luminaria de Av. Condell 1020…" ("soy de la villa…" says
# who is writing, not where the case is).
_STREET_START = re.compile(
    r"\b(?:en|(?<!soy )(?<!somos )(?:de|del)|frente a|frente al|afuera de)\s+"
    r"(?=(?:la\s+|el\s+)?" + _STREET.pattern + ")",
    re.IGNORECASE,
)
# After the number, another clause: cut there.
_AFTER_THE_NUMBER = re.compile(rf"(?<=\d)(\s+\w{{1,5}})??\s+{_CLAUSE_GOES_ON}\s.*$", re.IGNORECASE)
MIN_CLAUSES = 2
# A schedule: when ("los viernes", "todas las noches", "fines de semana") and at what time ("desde las 11").

# Two streets' corner, from its street word: "…de av jose arrieta con tobalaba estan botando…", "el foco de la
# esquina de ercilla con lautaro esta apagado". The second street ends where a verb or a link word starts.
_VERBS_AND_LINKS = (
    "esta", "estan", "estaba", "hay", "habia", "y", "e", "o", "que", "q", "se", "hace", "donde", "desde", "porque",
    "pero", "lleno", "llena", "tiene", "tienen", "son", "es", "por", "pa", "para", "a", "en", "de", "del", "al",
    "frente", "hasta", "cerca", "no", "ya", "lleva", "llevan", "quedo", "quedaron", "sin",
)  # fmt: skip
_STOP_AFTER_CORNER = "(?:" + "|".join(_VERBS_AND_LINKS) + ")"
# A street's name holds no verb nor link but "de" ("pedro de valdivia"): "la calle llena de hoyos con agua" is none.
_STOP_IN_A_STREET = "(?:" + "|".join(w for w in _VERBS_AND_LINKS if w not in ("de", "del")) + ")"
_CORNER_IN = re.compile(
    r"\b(?:esquina(?: de)?|av|avda|avenida|calle|pasaje|psje|pje)\.?\s+"
    rf"(?:(?!con\b|{_STOP_IN_A_STREET}\b)[^\W\d]+\.?\s+){{1,4}}con\s+(?:(?:la|el|av|avenida|calle|pasaje)\.?\s+)?[^\W\d]+"
    rf"(?:\s+(?!{_STOP_AFTER_CORNER}\b)[^\W\d]+){{0,2}}",
    re.IGNORECASE,
)

# Two streets' corner after "en", without a street word before: "en Caupolican esquina Covadonga", "en Caupolican
# con Covadonga" (named, with capitals), "en maruri esq gamero", "en lautaro con covadonga" (not "en casa con mi
# mama"), "en gamero llegando a maruri".
_NAMED_STREET = r"[A-ZÁÉÍÓÚÑ][^\W\d]*\.?"
_PLAIN_STREET_WORD = rf"(?!{_STOP_AFTER_CORNER}\b)[^\W\d]+"
_STREETS_CORNER = re.compile(
    rf"(?<=\b[Ee]n\s)(?:{_NAMED_STREET}\s+){{1,4}}(?i:con|esquina|esq\.?)\s+{_NAMED_STREET}(?:\s+{_NAMED_STREET}){{0,3}}"
    rf"|(?<=\b[Ee]n\s)(?i:(?!(?:la|el|los|las|mi|su|una|un)\b){_PLAIN_STREET_WORD}(?:\s+{_PLAIN_STREET_WORD}){{0,2}}"
    rf"\s+(?:esquina|esq\.?|con|llegando a|casi llegando a|casi esquina(?: con)?)\s+"
    rf"(?!(?:de|del|la|el|mi|su|los|las|un|una|unos|unas|tu|sus|mis)\b)"
    rf"{_PLAIN_STREET_WORD}(?:\s+{_PLAIN_STREET_WORD}){{0,2}})"
)

# "Av. Italia 1450": the full stop of an abbreviation closes no clause.
_ABBREVIATION_END = re.compile(r"\b(?:av|avda|pje|psje|dpto|depto|nro|sta|sto|gral|pob|pobl|esq)$", re.IGNORECASE)


def _clauses(text: str) -> List[str]:
    clauses: List[str] = []
    glued = False
    for part in re.split(f"({_CLAUSES.pattern})", text):
        if _CLAUSES.fullmatch(part or " "):
            glued = part.strip() == "." and bool(clauses) and bool(_ABBREVIATION_END.search(clauses[-1]))
            if glued:
                clauses[-1] += "."
            continue
        if glued:
            clauses[-1] += " " + part.strip()
        elif part.strip():
            clauses.append(part.strip())
        glued = False
    return [clause for clause in clauses if clause]


def _address_in(clause: str, alone: bool) -> Optional[str]:
    """The address a clause holds, without the words around it, or ``None``.

    A street word ("pasaje", "av") or an address cue ("vivo en") with a number: from the "en" before the
    street word if there is one, else the whole clause (not when the clause is the whole message, ``alone``:
    then it is the request itself); or a place and its number closing the clause after "en". A number
    of days or of pesos makes no address ("el poste de la esquina está apagado hace 2 semanas").
    """
    norm = normalise(clause)
    corner = _CORNER_IN.search(clause) or _STREETS_CORNER.search(clause)
    if not re.search(r"\d", clause) or (corner and _counts_time(norm, clause)):
        # "el poste de la esquina de Maruri con Gamero esta apagado hace como 2 semanas": its number counts days
        return " ".join(corner.group(0).split()) if corner else None
    found: Optional[str] = None
    cued = bool(_ADDRESS_CUE.search(norm))
    if cued or _STREET.search(norm):
        starts = list(_STREET_START.finditer(clause))
        if starts and not cued:
            found = _LEAD.sub("", clause[starts[-1].end() :], count=1).strip()
        elif not alone or cued:
            found = _LEAD.sub("", clause, count=1).strip()
    else:
        placed = _EN_PLACE_NUMBER.search(clause) or _NAMED_PLACE_NUMBER.search(clause)
        found = placed.group(1).strip() if placed else None
    if not found:
        return None
    found = re.sub(r" (?:y|e|pero|que|q)$", "", _ADDRESS_END.sub("", " ".join(found.split())), flags=re.IGNORECASE)
    # What follows the number is another clause ("Maruri 1300 y tb el poste … hace dias"): its days are no address.
    found = _AFTER_THE_NUMBER.sub("", re.sub(r"^(?:el|la)\s+", "", found, flags=re.IGNORECASE))
    found = _SINCE.sub("", found)  # "Av Jose Arrieta 5540 hace 2 dias": the address ends before the time
    if not re.search(r"\d", found) or _NOT_A_PLACE.search(normalise(found)) or _counts_time(norm, found):
        return None
    return found


_SINCE = re.compile(r"\s+(?:desde hace|hace)\s.*$", re.IGNORECASE)
# "… apagado hace como 5 dias": the number counts days, it is no street number.
_TIME_BEFORE = re.compile(r"\b(?:hace|hace como|desde hace|lleva|llevo|llevamos|unos|unas|como)\s*$")
_TIME_AFTER = re.compile(r"^\s*(?:dias|dia|semanas|semana|meses|mes|anos|ano|horas|hora|minutos|veces)\b")


def _counts_time(clause_norm: str, found: str) -> bool:
    """The street number the address ends with counts time in the clause ("hace como 5 dias")."""
    numbers = re.findall(r"\d+", found)
    if not numbers:
        return False
    at = clause_norm.rfind(numbers[-1])
    return at >= 0 and bool(
        _TIME_BEFORE.search(clause_norm[:at]) or _TIME_AFTER.match(clause_norm[at + len(numbers[-1]) :])
    )


# Words of an option's title that say nothing told unasked: "otro sofá", "un trámite", "entre las ramas".
_GENERIC_TITLE_WORDS = frozenset({"otro", "otra", "tramite", "entre", "menos", "dentro"})


def _titled(clause: str, options: List[str]) -> Optional[str]:
    """The only option a word of whose own title the clause uses ("fiestas con música": «Fiesta o música»).

    Not the everyday synonyms an answer to the question may use: told unasked, "afuera de mi casa" is no
    «Dentro de mi propiedad».
    """
    said = set(normalise(clause).split())
    stems = {w[:TITLE_STEM] for w in said if len(w) >= MIN_STEMMED_LETTERS}

    def own(option: str) -> set[str]:
        return {w for w in normalise(option).split() if len(w) > 3} - _GENERIC_TITLE_WORDS

    # A word of the title itself first: "un reclamo porque en el consultorio…" is a «Reclamo», though
    # "consultorio" shares its stem with «Consulta».
    named = [o for o in options if own(o) & said]
    if not named:
        # "pa la pega… para el banco": «Trámite bancario», a word of the title by its stem
        named = [o for o in options if any(len(w) >= MIN_STEMMED_LETTERS and w[:TITLE_STEM] in stems for w in own(o))]
    return named[0] if len(named) == 1 else None


TITLE_STEM, MIN_STEMMED_LETTERS = 4, 5  # "banco" and «bancario», "reclamar" and «Reclamo»


# "me llamo Rosa Amelia Figueroa rut 9.876.543-3…", "mis datos: Jorge Cifuentes, rut…": the name follows.
_NAME_CUE = re.compile(r"\b(?:me llamo|mi nombre es|mi nombre|mis datos son|mis datos)\s*:?\s+", re.IGNORECASE)
# "soy Tomas Vergara Silva rut …": after "soy", only a name written with capitals ("soy de peñalolén" is none).
# In lower case, a name only when the RUT follows it ("soy marcela pino araya, rut 14.839.201-3").
_SOY_CUE = re.compile(
    r"\b[Ss]oy\s+(?=[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+\s+[A-ZÁÉÍÓÚÑ])"
    r"|\b(?i:soy)\s+(?=(?:[^\W\d]+\s+){1,5}[^\W\d]+,?\s+(?i:(?:rut|run)\s*:?\s*)?\d{1,2}\.?\d{3}\.?\d{3}-?[\dkK]\b)"
)
# Where an address told with other data ends: "Pasaje Los Copihues 418 Angol mi cel es 9 6234…".
_ADDRESS_END = re.compile(
    r" (?:mi )?(?:cel|celu|celular|fono|telefono|whatsapp|wsp|rut|run|correo|mail|email|numero de contacto)\b.*$",
    re.IGNORECASE,
)


_NO_NAME_START = {"de", "del", "la", "el", "los", "las", "un", "una", "su", "mi"}
_PLACE_WORDS = {"villa", "poblacion", "pasaje", "calle", "avenida", "condominio", "sector", "junta", "comuna", "block"}


def _told_name(text: str) -> Optional[str]:
    """The name after "me llamo" / "mi nombre es" / "mis datos:" / "soy" (capitalised), up to the next datum."""
    cue = _NAME_CUE.search(text) or _SOY_CUE.search(text)
    name = name_before_data(text[cue.end() :]) if cue else None
    words = normalise(name).split() if name else []
    if not words or words[0] in _NO_NAME_START or set(words) & (NOT_IN_A_NAME | _PLACE_WORDS):
        return None  # "soy de la villa los aromos…" says where, not who
    return name


def opening_answers(fields: List[FormField], text: str) -> Dict[str, str]:
    """Field name -> the words of ``text`` that answer it, for the fields an opening message answers surely."""
    clauses = _clauses(text)
    found: Dict[str, str] = {}
    used: set[int] = set()
    # The words of a clause beside the address it gave: "el vecino de Santos Dumont 1456 pone música" names its noise.
    beside_address: Dict[int, str] = {}
    named_option: set[int] = set()  # clauses that gave an option, which a schedule may share
    for form_field in fields:
        if form_field.type == "nombre":
            name = _told_name(text)
            if name:
                found[form_field.name] = name
        elif form_field.type == "direccion":
            alone = len(clauses) < MIN_CLAUSES
            hits = [(i, a) for i, c in enumerate(clauses) if i not in used and (a := _address_in(c, alone))]
            if len(hits) == 1:
                found[form_field.name] = hits[0][1]
                used.add(hits[0][0])
                beside_address[hits[0][0]] = clauses[hits[0][0]].replace(hits[0][1], " ")
        elif form_field.type == "horario" and len(clauses) >= MIN_CLAUSES:
            # A clause that named an option may hold the schedule too ("…hacen fiestas … desde las once").
            schedules = [i for i, c in enumerate(clauses) if (i not in used or i in named_option) and is_schedule(c)]
            if len(schedules) == 1:
                found[form_field.name] = clauses[schedules[0]]
                used.add(schedules[0])
        elif form_field.type == "opcion" and form_field.options:
            # Even of one clause: "quiero poner un reclamo" is a «Reclamo», "esterilizar a mi gato" a «Gato».
            named = [
                (i, _titled(beside_address.get(i, c), form_field.options))
                for i, c in enumerate(clauses)
                if i not in used or i in beside_address
            ]
            chosen = [(i, option) for i, option in named if option]
            if chosen and len({option for _, option in chosen}) == 1:
                found[form_field.name] = str(chosen[0][1])
                used.update(i for i, _ in chosen)
                named_option.update(i for i, _ in chosen)
    return found


# One's own address, told as such: "…y vivo en Los Olivos 1120".
_OWN_ADDRESS_CUE = re.compile(
    r"\b(?:vivo en|vivimos en|mi direcci[oó]n es|mi direcci[oó]n|mi dire es|mi domicilio es)\b", re.IGNORECASE
)


def cued_data(fields: List[FormField], text: str) -> Dict[str, str]:
    """Field name -> the words of ``text`` that answer it, for a name and an address told as such ("me llamo …",
    "vivo en …"), whatever question is asked: they are kept, not lost in another field."""
    told = [c[cue.start() :] for c in _clauses(text) if (cue := _OWN_ADDRESS_CUE.search(c))]
    cued = {"nombre": _told_name(text), "direccion": _address_in(told[0], False) if len(told) == 1 else None}
    return {f.name: str(cued[f.type]) for f in fields if cued.get(f.type)}

"""Whether a message about a procedure asks about it or asks for it.

A question ("¿qué piden para la patente?", "¿se llevan refrigeradores?") is answered,
and a request that can be made in chat is then *offered*; only an explicit request
("quiero pedir…", "vengan a retirar…", "hay una luminaria apagada…") starts it.
The NLU's intent decides only when the words say neither. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re

from bot.dialogue.message import Message
from bot.domain_names import Intent
from bot.text import normalise

ASK = "pregunta"
DO = "solicitud"

_WANT = r"(?:quiero|quisiera|queria|queremos|necesito|necesitamos|necesitaria|me gustaria|deseo|vengo a)"
_ACT = (
    r"(?:pedir|solicitar|hacer (?:un|una|el|la)|dejar (?:un|una|mi|algo)|ingresar|postular|inscribir|inscribirme"
    # "quiero poner un reclamo en la oirs", "queremos presentar una denuncia"
    r"|(?:poner|presentar|levantar|meter) (?:un|una) (?:reclamo|denuncia|queja|sugerencia|solicitud|reporte)"
    r"|reservar|agendar|botar|(?:una )?hora (?:pa|para|con)|ayuda (?:con|para|pa|economica|social|municipal)"
    r"|denunciar|reclamar|reportar|avisar|registrar|que (?:vengan|retiren|poden|saquen|arreglen|manden|vayan"
    r"|pasen|corten|limpien|revisen|fiscalicen|me)"
    # "quiero escribirle a la oirs": a message to an office, written now
    r"|(?:escribir|escribirle|escribirles|mandarle|enviarle) (?:algo |un mensaje )?a (?:la|el|los))"
)
# In one's own name: "quiero pedir…", or a message that opens with the request ("solicito…").
# "lo q necesito es reportar…": the want and the act may be joined by "es".
_WANT_TO_ACT = rf"\b{_WANT} (?:es )?{_ACT}(?:lo|la|los|las)?\b"  # "ya, quiero denunciarlo"
_OPENS_WITH_REQUEST = r"^(?:solicito|pido|reporto|denuncio|reclamo|quiero reclamar|quiero denunciar)\b"
# A letter's opening: "Me dirijo a ustedes para denunciar…", "le escribo para solicitar…".
_WRITES_TO_ACT = (
    rf"\b(?:me dirijo|me comunico|escribo|le escribo|les escribo)\b(?:\s+\w+){{0,4}}?\s+(?:para|pa) {_ACT}\b"
)
_OPENS_WITH_REQUEST_RE = re.compile(_OPENS_WITH_REQUEST)
# Told to the town hall to act, in the imperative: "vengan a podarlo", "retiren el sofa".
_ACT_NOW = r"\b(?:vengan|manden|retiren|saquen|poden|arreglen|reparen|despejen|fumiguen)\b"
_ACT_NOW_RE = re.compile(_ACT_NOW)
_REQUEST = re.compile(
    _WANT_TO_ACT + "|" + _ACT_NOW + r"|\b(?:pidan que|inscribanme|anotenme"
    r"|avisen|avisenle|avisele"
    r"|agendenme|necesito que)\b|" + _OPENS_WITH_REQUEST + "|" + _WRITES_TO_ACT
)
# A message of this many words or fewer, with no other signal, only names what it is about.
MAX_BARE_WORDS = 3
_WANTS = re.compile(rf"\b(?:{_WANT}|pedir|pido|solicito|solicitar)\b")
# A request put as a question ("¿me lo pueden mandar?", "¿me ayudan a sacarlo?"): asked of the town hall for me.
_POLITE_REQUEST = re.compile(
    r"\b(?:me|nos) (?:lo |la |los |las )?(?:(?:pueden|puede|podrian|podria|puedes|podrias) (?:ayudar a )?"
    r"|ayudan a |ayudas a )(?:mandar|enviar|tramitar|agendar|inscribir|anotar|emitir|sacar|pedir|solicitar|hacer)"
    r"(?:lo|la|los|las|me)?\b"
    # Or asked straight ("me lo sacas?", "nos la hacen?"): what the town hall would ask back is no request.
    r"|\b(?:me|nos) (?:lo|la|los|las) (?:sacas|sacan|haces|hacen|tramitas|tramitan|mandas|envias|emiten|agendas)\b"
)
# Asked to come and act ("¿pueden venir a buscarlo?", "¿me lo pueden pasar a retirar?"): a request.
_COME_AND_ACT = re.compile(
    r"\b(?:pueden|puede|podrian|podria|vendrian|vienen|pasan) (?:venir|pasar) a \w+"
    r"|\b(?:vienen|vendrian|pasan|pasarian) a (?:buscar|retirar|sacar|llevar|ver|revisar|podar|arreglar)\w*"
    # "¿pueden mandar a alguien a cambiar las ampolletas?": someone sent to act
    r"|\b(?:pueden|puede|podrian|podria) (?:mandar|enviar) (?:a )?(?:alguien|un funcionario|una cuadrilla|personal"
    r"|un inspector|gente)\b"
)
# What a polite question may ask to be sent that is no request: information.
_INFORMATION = re.compile(r"\b(?:info|informacion|datos|detalles?|requisitos|horarios?|link|enlace|direccion)\b")
# Words that ask (not nouns such as "hora" or "pago", which a request names as well).
_ASKS = re.compile(
    r"\b(?:cuanto|cuanta|cuantos|cuantas|donde|adonde|(?:hasta|desde|para) cuando|(?:a|hasta|desde) que hora"
    r"|que (?:tramite|permiso|papel|documento|certificado|requisito)s? (?:\w+ )?(?:es|son|se necesitan?|necesito"
    r"|piden|se pide|hay que|tengo que|debo|corresponde)"
    r"|que (?:piden|pide|necesito|se necesita|hay que|documentos|papeles|requisitos|tengo que llevar)"
    r"|como (?:se|lo|la|hago|puedo|saco|pido|es|funciona"
    r"|registro|inscribo|postulo|pago|obtengo)|se puede|se pueden|puedo|hay que|tiene costo|es gratis|cobran|requisitos"
    r"|quien(?:es)? (?:puede|pueden|se encarga|corta|retira|hace|ve|atiende)|a quien(?:es)?|sirve"
    # "ase falta permizo pa demoler", "nesesito patente o no": whether it is needed
    r"|hace falta|ase falta|o no$)\b"
)
# Words that only look like asking: a courtesy ("vengan el jueves si se puede"), a "no puedo", or "donde" after a place
# ("el pasaje donde vivo"), which says where, it does not ask it.
_COURTESY = re.compile(
    r"\bsi (?:se puede|es posible|fuera posible|pueden|puede|no es molestia)\b"
    r"|\bno (?:puedo|podemos|se puede)\b"  # "no puedo descansar" tells, it does not ask
    r"|\ba quien corresponda\b"  # "avisen xfa a quien corresponda"
    # "ya no se a quien recurrir": despair after a report, not a question
    r"|\bno se (?:a|con) quien (?:mas )?(?:recurrir|acudir|avisar|reclamar|llamar)\b|\bno se que (?:mas )?hacer\b"
    # "ya no tengo donde ponerlos", "no hay donde dejarlo": a lack told, not a place asked
    r"|\b(?:no|nada) (?:tengo|tenemos|hay|tiene|tienen) (?:donde|adonde|como|con que)\b"
)
_PLACE_THEN_WHERE = re.compile(
    r"\b(pasaje|casa|calle|villa|sector|lugar|esquina|poblacion|block|departamento|depto|edificio|condominio"
    r"|barrio|plaza|parque|parte|patio|terreno|sitio|cuadra|local|avenida|pieza"
    # After a street number: "…en calle Covadonga 745, donde todos los viernes hacen fiestas".
    r"|\d+) donde\b"
)


def _asking_words(norm: str) -> bool:
    """Words that ask, beside courtesies and a "donde" that tells where."""
    return bool(_ASKS.search(_PLACE_THEN_WHERE.sub(r"\1", _COURTESY.sub(" ", norm))))


# A report of something broken or dirty in the street is a request for the municipality to act.
_REPORT_START = re.compile(r"\b(?:hay|tengo|esta|estan|se cayo|se quemo|se rompio|llevan?)\b")
_REPORT_WORDS = re.compile(
    r"\b(?:apagad[oa]s?|quemad[oa]s?|rot[oa]s?|caid[oa]s?|cayendo|tirad[oa]s?|hoyo|hoyos|bache|baches|basural"
    r"|microbasural|fuga|sin luz|a oscuras|oscur[oa])\b"
)


def procedure_move(message: Message) -> str:
    """ASK (answer, then offer the request) or DO (start the request now)."""
    if message.is_button:
        return DO if message.intent == Intent.INICIAR_TRAMITE else ASK
    norm = normalise(message.text)
    request = _REQUEST.search(norm) or _FOR_ME.search(norm)
    rest = norm[: request.start()] + " " + norm[request.end() :] if request else norm
    reports = reports_a_problem(message.text)  # "hay un poste apagado", or just "poste apagado"
    asks = "?" in message.text or "¿" in message.text or norm.startswith("cuando ") or _asking_words(rest)
    if (request or reports) and not asks:
        return DO
    if (
        request
        and (_WANTS_IT_DONE.search(norm) or _OPENS_WITH_REQUEST_RE.search(norm) or _ACT_NOW_RE.search(norm))
        and "?" not in message.text
        and not _ASKS_FOR_FACTS.search(rest)
    ):
        # "hay un arbol seco q se puede caer, quiero q lo vengan a ver", "solicito evaluacion de un arbol q se puede
        # caer", "…una rama que se puede caer encima de alguien, vengan a podarlo": "se puede" asks nothing
        return DO
    if _POLITE_REQUEST.search(norm) or _COME_AND_ACT.search(norm):
        beside = _COME_AND_ACT.sub(" ", _POLITE_REQUEST.sub(" ", norm))
        if not _ASKS.search(beside) and not _INFORMATION.search(beside):
            return DO  # "necesito el certificado de residencia, ¿me lo pueden mandar?"
    if asks:
        return ASK
    if len(norm.split()) <= MAX_BARE_WORDS and not _WANTS.search(norm):
        return ASK  # "escombros", "la poda": a name says what it is about, not that it is wanted now
    return DO if message.intent == Intent.INICIAR_TRAMITE else ASK


# Asked of the town hall for oneself, as a command ("pídame la poda", "inscríbeme"), or of the assistant, or together
# ("mejor pídelo por acá", "pidamos eso primero", "hagámoslo", "entonces sí, inscríbela": the pet, the child…):
# a request verb in the imperative with its pronoun, even inside a description.
_COMMANDED = r"(?:pid(?:e|a|an)|solicit(?:a|e|en)|haz|haga|hagan|anot(?:a|e|en)|inscrib(?:e|a|an)|agend(?:a|e|en)"
_COMMANDED += r"|ingres(?:a|e|en)|tramit(?:a|e|en)|registr(?:a|e|en)|reserv(?:a|e|en))"
_FOR_ME = re.compile(
    rf"\b(?:{_COMMANDED}(?:me|nos|lo|la|los|las|melo|mela|noslo|nosla)"
    r"|(?:pid|solicit|hag|anot|inscrib|agend|ingres|tramit|registr|reserv)[ae]mos(?:lo|la|los|las)?)\b"
)
_FIRST_PERSON = re.compile(f"{_WANT_TO_ACT}|{_OPENS_WITH_REQUEST}")
_CHANGE_OF_MIND = re.compile(
    r"\b(?:mejor|en realidad|en verdad|sabe que|sabes que|prefiero|olvida|olvidalo|olvidate|cambie de idea|mas bien"
    r"|pensandolo bien|no importa|me equivoque|me confundi|quise decir)\b"
)


def asks_to_switch(text: str) -> bool:
    """The words ask for another request in one's own name ("sabe q mejor pídame la poda", "quiero pedir…"),
    not the third-person wish a description may hold ("…los juegos están rotos, queremos q la arreglen")."""
    norm = normalise(text)
    if _FIRST_PERSON.search(norm) or _FOR_ME.search(norm) or _MIND_THEN_ACT.search(norm):
        return True
    return changes_mind(text) and bool(_REQUEST.search(norm))


def changes_mind(text: str) -> bool:
    """The words take back what was being done ("sabes q, mejor…", "en realidad…", "olvídalo")."""
    return bool(_CHANGE_OF_MIND.search(normalise(text)))


def reports_a_problem(text: str) -> bool:
    """The words report something broken or dirty ("hay un poste apagado", "poste apagado")."""
    norm = normalise(text)
    if not _REPORT_WORDS.search(norm):
        return False
    # "hay un poste apagado…", or the thing and its state open the message: "poste apagado afuera del 2233…"
    opening = " ".join(norm.split()[:MAX_BARE_WORDS])
    return bool(_REPORT_START.search(norm) or _REPORT_WORDS.search(opening))


def explicit_request(text: str) -> bool:
    """The words ask for something to be done ("quiero pedir…", "en realidad quiero reportar…", "vengan a…")."""
    norm = normalise(text)
    return bool(_REQUEST.search(norm) or _FOR_ME.search(norm))


def asks_politely_to_do(text: str) -> bool:
    """A polite request that the town hall do it ("¿me lo pueden hacer por aquí?", "¿pueden venir a buscarlo?")."""
    norm = normalise(text)
    return bool(_POLITE_REQUEST.search(norm) or _COME_AND_ACT.search(norm))


def asks_it_done(text: str) -> bool:
    """A command to do it for me, not asked as a question ("mejor pidelo por aca", "entonces si, inscribela")."""
    return bool(_FOR_ME.search(normalise(text))) and "?" not in text and "¿" not in text


# A change of mind followed by a request verb, anywhere in the message: "oye sabes q, mejor reporto primero
# el poste…", "prefiero pedir la poda", "mejor primero hago lo del hoyo".
_MIND_THEN_ACT = re.compile(
    r"\b(?:mejor|prefiero|mas bien|en realidad)(?: primero| ahora| altiro)? (?:solicito|pido|reporto|denuncio"
    r"|reclamo|hago|hagamos|pidamos|veamos|pedir|solicitar|reportar|denunciar|hacer|avisar|aviso|ingreso|ingresar)\b"
)
# "quiero que lo vengan a ver": a wish in one's own name that the town hall acts, stronger than a loose "se puede".
_WANTS_IT_DONE = re.compile(rf"\b{_WANT} que (?:(?:lo|la|los|las|me|nos) )?\w+")
# What only a question asks: a fact of the procedure, not a possibility ("se puede caer").
_ASKS_FOR_FACTS = re.compile(
    r"\b(?:cuanto|cuanta|cuantos|cuantas|donde|adonde|cuando|que (?:piden|pide|necesito|se necesita|documentos"
    r"|papeles|requisitos)|como (?:se|lo|la|hago|puedo|saco|pido)|requisitos|horario)\b"
)

"""Words that signal what a citizen means, whatever the NLU guessed: stop, a person, a question.

Linear-time patterns over the normalised text (bot.text.normalise), tested with
adversarial input in tests/test_linear_patterns.py.
"""

from __future__ import annotations

import re

from bot.matching.aspects import OWN_DETAIL
from bot.text import normalise

# Phrases that stop a request, on their own or inside a short message ("ya no quiero seguir").
_STOP_MESSAGES = {
    "cancelar",
    "cancela",
    "cancelo",
    "cancelalo",
    "cancelemos",
    "anular",
    "anula",
    "anulalo",
    "salir",
    "basta",
    "stop",
    "detener",
    "terminar",
    "olvidalo",
    "olvidate",
    "dejalo",
    "dejemoslo",
    "dejalo asi",
    "mejor dejalo",
    "ya no",
    "no sigamos",
    "no quiero seguir",
    "ya no quiero",
    "cancelar solicitud",
    "cancelar todo",
}
_STOP_WORDS = re.compile(
    r"\b(?:cancel(?:ar|a|o|alo|emos|en|ala|e|elo|ela|amos)|anul(?:ar|a|alo|emos|e|elo|amos)|olvid(?:alo|ate|emoslo)|dejemoslo"
    r"|(?:dejalo|dejelo|dejala|dejela) (?:asi|hasta ahi|hasta aqui)"
    r"|no quiero seguir|ya no quiero (?:seguir|hacer|pedir|la solicitud|el tramite|nada)"
    # "para para, no quiero hacer la solicitud": the request itself declined ("no quiero nada mas" answers a question)
    r"|no quiero (?:hacer|seguir con|pedir|mandar|enviar) (?:la|el|esta|este|esa|ese|una|un|mi) (?:solicitud|tramite"
    r"|formulario|reclamo|pedido|denuncia))\b"
)
_MAX_STOP_WORDS = 8
# In Chile to "cancel" a fee is to pay it: "¿dónde cancelo el permiso?" stops nothing.
_PAYING = re.compile(
    r"\b(?:donde|como|cuando|cuanto|cuanta|puedo|se puede) (?:\w+ )?cancel|\bcancel\w* (?:el|la|los|las|mi|un|una)"
    r" (?:permiso|patente|derecho|derechos|cuota|cuotas|multa|multas|deuda|pago|valor|monto|cuenta)\b"
)
_NOT_STOPPING = re.compile(
    r"\bno +(?:cancel|anul)", re.IGNORECASE
)  # before punctuation is dropped: "mejor no, cancela"
_CLAUSE_END = re.compile(r"[,;.!?:]")
# Asking for a person, in words: a person named next to a verb of contact, or on its own
# ("una persona"); "la persona del lado bota basura" describes a neighbour.
_PERSON_NOUNS = re.compile(
    r"\b(?:persona|humano|humana|funcionari[oa]|ejecutiv[oa]|operador[a]?|alguien|atencion humana)\b"
)
_CONTACT_VERBS = re.compile(
    r"\b(?:hablar|hablo|conversar|comunicar|comunicarme|comunicame|contactar|atienda|atiende|atender|pasame"
    r"|pasar|derivar|derivame|llame|llamen|llamar|responda|escriba)\b"
)
MAX_BARE_PERSON_WORDS = 4
# "una persona", "con alguien porfa": a person asked for in so few words; "quiero felicitar a alguien" is no such.
_BARE_PERSON_WORDS = frozenset(
    "persona humano humana funcionario funcionaria ejecutivo ejecutiva operador operadora alguien atencion"
    " quiero necesito con a un una por favor porfa xfa ya real de verdad la muni oiga hola si mejor".split()
)
# Asking for a person with "want": "QUIERO UN HUMANO", "necesito una persona q me atienda".
# A real person asked for, not asked about ("hay alguien de verdad q me ayude?"; "¿eres una persona real?" is not).
_WANTS_A_REAL_PERSON = re.compile(
    r"\b(?:hay|quiero|quisiera|necesito|hablar con|pasame con|pasenme con|dame|deme)\s+(?:a\s+|con\s+)?"
    r"(?:alguien|una persona|un humano|una humana|un funcionario|una funcionaria)"
    r"\s+(?:de verdad|real|de carne y hueso)\b"
)
_WANTS_A_PERSON = re.compile(
    r"\b(?:quiero|quisiera|necesito|exijo|pasenme|dame|deme|denme) (?:a |con )?(?:un|una) "
    r"(?:persona|humano|humana|funcionari[oa]|ejecutiv[oa]|operador[a]?)\b"
)


def is_stop(text: str) -> bool:
    """An explicit wish to drop what we are doing ("cancelar", "ya no quiero seguir")."""
    norm = normalise(text).strip(" .!")
    if norm in _STOP_MESSAGES:
        return True
    if _PAYING.search(norm) or _NOT_STOPPING.search(text):
        return False
    # The whole message, or one of its first clauses: "sabe q mejor cancelar, voy a sacar fotos primero…",
    # "sabes q no, cancela eso, mejor lo llevo yo al punto limpio".
    leading = [normalise(c) for c in _CLAUSE_END.split(text.strip(), maxsplit=_STOP_CLAUSES)[:_STOP_CLAUSES]]
    if any(len(part.split()) <= _MAX_STOP_WORDS and _STOP_WORDS.search(part) for part in (norm, *leading)):
        return True
    # Or how it opens, unpunctuated: "dejelo asi no mas no quiero hacer la solicitud" ("el vecino cancela la
    # fiesta…" tells of someone else).
    opening = _STOP_WORDS.search(" ".join(norm.split()[:_MAX_STOP_WORDS]))
    return opening is not None and len(norm[: opening.start()].split()) <= _STOP_OPENING_WORDS


_STOP_CLAUSES = 2
_STOP_OPENING_WORDS = 1  # "ya dejelo asi…": a word before the stop phrase at most


# Asking to talk to someone ("puedo hablar con alguien de la muni?", "me comunica con una persona?").
_TALK_TO_A_PERSON = re.compile(
    r"\b(?:hablar|conversar|comunicarme|comunicar|comunica|comunique|contactarme)\s+con\s+(?:alguien|una persona"
    r"|un humano|una humana|un funcionario|una funcionaria|un ejecutivo|una ejecutiva|una senorita|un caballero)\b"
    # "¿me puede llamar alguien de la municipalidad?": called by someone
    r"|\b(?:me|nos)\s+(?:puede|pueden|podria|podrian)\s+llamar\s+(?:alguien|una persona|un funcionario"
    r"|una funcionaria)\b"
    # "¿me puede atender un funcionario de obras?": attended by someone
    r"|\b(?:me|nos)\s+(?:puede|pueden|podria|podrian)\s+atender\s+(?:un|una|alguna|algun)\s+(?:persona|funcionari[oa]"
    r"|ejecutiv[oa]|senorita|caballero)\b"
    # "hay alguna señorita q me pueda atender?", "habrá alguien q me ayude?"
    r"|\b(?:hay|habra|habria|esta|existe)\s+(?:alguien|alguna persona|alguna senorita|algun caballero|algun funcionario"
    r"|alguna funcionaria|algun ejecutivo|alguna ejecutiva)\s+(?:que|quien)\s+(?:me|nos)\s+(?:pueda\s+|podria\s+)?"
    r"(?:atender|atienda|ayudar|ayude|responder|responda)\b"
)


def asks_to_talk_to_a_person(text: str) -> bool:
    """The message asks to talk to someone of the municipality ("puedo hablar con alguien de la muni?")."""
    return bool(_TALK_TO_A_PERSON.search(normalise(text)))


# "mejor quiero hablar con un funcionario, …": a person asked for outright, whatever procedure the rest names.
_TALK_TO_ONE_OUTRIGHT = re.compile(
    r"\b(?:quiero|quisiera|necesito|prefiero|me gustaria) (?:hablar|conversar) con (?:un|una|alguna|algun) "
    r"(?:persona|humano|humana|funcionari[oa]|ejecutiv[oa]|operador[a]?)\b"
)


def asks_for_a_person_outright(text: str) -> bool:
    """The citizen says they want to talk to a person ("mejor quiero hablar con un funcionario…")."""
    return bool(_TALK_TO_ONE_OUTRIGHT.search(normalise(text)))


def wants_a_real_person(text: str) -> bool:
    """A real person asked for ("hay alguien de verdad q me pueda ayudar?"), not asked about ("¿eres real?")."""
    return bool(_WANTS_A_REAL_PERSON.search(normalise(text)))


def names_a_person(text: str) -> bool:
    """The message asks for a person in words ("con una persona", "un funcionario")."""
    norm = normalise(text)
    if not _PERSON_NOUNS.search(norm):
        return False
    if wants_a_real_person(text):
        return True
    bare = len(norm.split()) <= MAX_BARE_PERSON_WORDS and set(norm.split()) <= _BARE_PERSON_WORDS
    return bool(_CONTACT_VERBS.search(norm) or _WANTS_A_PERSON.search(norm)) or bare


_TOWN_HALL = re.compile(r"\b(?:muni|municipalidad|municipio|alcaldia|consistorial)\b")
_OPEN_OR_WHERE = re.compile(
    r"\b(?:abre|abren|abierta|abierto|cierra|cierran|cerrada|atiende|atienden|atencion|horario|horarios|hora"
    r"|queda|ubicada|ubicado|ubicacion|direccion|donde|calle|esta|llego|llegar|telefono|fono|correo|mail|web"
    r"|pagina)\b"
)


_TOWN_HALL_DETAILS = re.compile(
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabado|sabados|domingo|domingos|telefono|fono|numero|correo|mail"
    r"|email|web|pagina|sitio|direccion|horario|hora|abre|cierra|atiende|atienden|donde|queda)\b"
)


def asks_town_hall_detail(text: str) -> bool:
    """A follow-up about the town hall just described ("¿y el lunes?", "¿y el correo?"), not about the citizen's
    own ("¿y cuándo me llega al correo?")."""
    norm = normalise(text)
    return is_follow_up(text) and bool(_TOWN_HALL_DETAILS.search(norm)) and not OWN_DETAIL.search(norm)


def asks_open_or_where(text: str) -> bool:
    """The message asks when something opens or where it is."""
    return bool(_OPEN_OR_WHERE.search(normalise(text)))


_CONTACT = re.compile(
    r"\b(?:pagina web|pagina|sitio web|web|correo|mail|email|telefono|fono|numero de telefono)\b"
    # "¿a q número puedo llamar?", "¿a qué correo escribo pa reclamar?"
    r"|\ba (?:que|cual|cuál) (?:numero|correo|mail|whatsapp)\b"
)


# Asking for a contact detail without a question mark: "y el telefono del juzgado", "pasame el correo".
_CONTACT_REQUEST_START = (
    "y ",
    "e ",
    "cual ",
    "cuales ",
    "dame ",
    "pasame ",
    "me das ",
    "me pasas ",
    "me puedes dar ",
    "necesito el ",
    "necesito la ",
    "tienen ",
    "tiene ",
)
# The citizen's own data ("mi correo es…"), not the town hall's.


# Doing a procedure on line: "pedirlo por la página", "pagar por internet", "sacarlo en la web de la muni".
_DONE_ONLINE = re.compile(
    r"\b(?:pedir|pido|pedirlo|pedirla|hacer|hago|hacerlo|hacerla|pagar|pago|pagarlo|pagarla|sacar|saco|sacarlo"
    r"|sacarla|tramitar|tramitarlo|solicitar|solicitarlo|postular|inscribir|inscribirme|inscribirse|inscribirte"
    r"|registrarse|registrarme|renovar|renovarlo|reservar|agendar) (?:\w+ )?(?:por|en|desde)"
    # "¿hay q inscribirse en alguna página?": how it is done, not the town hall's own site
    r" (?:la |el |alguna |algun |una |un )?(?:pagina|web|internet|sitio|linea)\b"
)


# When "you" (the town hall written to) open: "a q hora cierran el jueves?", "atienden el sabado?".
_WHEN_YOU_OPEN = re.compile(
    r"\b(?:a|hasta|desde) que hora (?:abren|cierran|atienden|trabajan|estan abiertos)\b"
    r"|^(?:y |oiga |hola |buenas )?(?:abren|atienden|cierran|trabajan) (?:el|los|hoy|manana|mañana|en la tarde)\b"
    r"|\bque (?:horario|dias) (?:tienen|atienden)\b"
)


def asks_about_town_hall(text: str) -> bool:
    """A question about the municipality itself: when it opens, where it is ("¿a q hora abre la muni?",
    "¿hasta q hora atienden los lunes?"), or how to reach it or one of its offices ("¿tienen página web?",
    "y el teléfono del juzgado")."""
    norm = normalise(text)
    if _DONE_ONLINE.search(norm):
        return False  # "¿se puede pedir por la página?" asks how the procedure is done, not for the web site
    if (_TOWN_HALL.search(norm) and _OPEN_OR_WHERE.search(norm)) or _WHEN_YOU_OPEN.search(norm):
        return True
    if not _CONTACT.search(norm) or OWN_DETAIL.search(norm):
        return False
    return "?" in text or looks_like_question(text) or norm.startswith(_CONTACT_REQUEST_START)


def names_town_hall(text: str) -> bool:
    """The message names the municipality itself ("la muni", "el municipio")."""
    return bool(_TOWN_HALL.search(normalise(text)))


# The town hall as where something is done ("¿y en la muni dónde es?"), not as what is asked about.
_AT_TOWN_HALL = re.compile(r"\b(?:en|a) (?:la |el )?(?:muni|municipalidad|municipio)\b")
_TOWN_HALL_ITSELF = re.compile(
    r"\b(?:muni|municipalidad|municipio)\b.{0,12}\b(?:queda|esta|abre|abren|cierra|cierran|atiende|atienden)\b"
    r"|\b(?:queda|esta|abre|cierra|atiende|llego|llegar|direccion|horario|telefono|fono|correo) (?:de |a )?"
    r"(?:la |el )?(?:muni|municipalidad|municipio)\b"
)


def town_hall_only_as_place(text: str) -> bool:
    """The municipality is named only as the place something is done: "¿y en la muni dónde es?",
    "¿se puede hacer en la municipalidad?" (about the procedure), not "¿dónde queda la muni?"."""
    norm = normalise(text)
    return bool(_AT_TOWN_HALL.search(norm)) and not _TOWN_HALL_ITSELF.search(norm)


_UPSET = re.compile(
    r"\b(?:no (?:me )?sirve|no sirven|no funciona|no me ayuda|no ayuda|nadie (?:contesta|responde|me responde|atiende)"
    r"|pesim[oa]|malisim[oa]|una porqueria|una mierda|estoy chat[oa]|chato|aburrid[oa]|indignad[oa]"
    # "estoy harto", "harta de esperar"; "se agradece harto", "harto tiempo" say a lot, not fed up
    r"|(?:estoy|estamos|ando|andamos) hart[oa]s?|hart[oa]s? de (?!tiempo\b)"
    r"|una verguenza|que rabia|me tienen|inutil|inutiles|flojos|desastre|sinverguenzas|ladrones|ya pero que hago"
    r"|y ahora que hago|no entiendes|que lata|una lata|burla|el colmo|indignante|un abuso|no puede ser"
    r"|tantas? preguntas?|demasiadas preguntas|ya me canse|estoy cansad[oa]|me aburri|no sirve pa(?:ra)? na(?:da)?"
    r")\b"
)
# Fed up with waiting: upset too, though often asking how a request goes ("todavía nadie viene, ¿qué pasó?").
_FED_UP = re.compile(
    r"\b(?:nadie (?:viene|vino|hace nada|pesca|me pesca|soluciona|resuelve|hace caso|se hace cargo"
    r"|(?:me |nos )?da (?:una )?(?:solucion|respuesta))|no hace nada|(?:ya )?van \d+ veces que"
    r"|nunca (?:vienen|viene|vinieron|responden|contestan|hacen nada|solucionan)|no hacen nada|no pescan"
    r"|hace (?:\w+ )?(?:meses|semanas|anos|mucho tiempo|harto tiempo) que (?:pedi|espero|estoy esperando"
    r"|reclamo|llamo|pido|vengo)"
    r"|llevo (?:\w+ )?(?:meses|semanas|anos|dias|mucho tiempo|harto tiempo) (?:esperando|pidiendo|reclamando"
    r"|llamando|tratando|intentando))\b"
)
MIN_SHOUTED_LETTERS = 10
_NO_THEN_CLAUSE = re.compile(r"\bno\s*[,;:.]+\s*", re.IGNORECASE)


# Anger at being asked, or at the assistant itself: never the description a free-text question asks for.
_AT_THE_ASKING = re.compile(
    r"\b(?:tantas? preguntas?|demasiadas preguntas|cuantas preguntas|mucha pregunta|otra pregunta mas"
    r"|tanto dato|tantos datos|tanto tramite"
    r"|ya me canse|me aburri|me tienes chat[oa]|no entiendes|no me sirves|no me sirve (?:esto|este|nada)"
    r"|no sirve (?:pa|para) (?:na|nada)|hablar con una maquina|este bot|esta cosa)\b"
)


def angry_at_the_asking(text: str) -> bool:
    """Anger at the questions or the assistant ("q lata tanta pregunta"), not at what a description tells."""
    return bool(_AT_THE_ASKING.search(normalise(text)))


_NEGATION = re.compile(r"\b(?:no|nada|nunca|nadie|ni|jamas)\b")
# Loud thanks or praise: "TE PASASTE, GRACIAS!!", "NO GRACIAS!" shout no anger.
_THANKS = re.compile(r"\b(?:gracias|grax|graciass|muchas gracias|genial|bacan|buenisimo|excelente|te pasaste)\b")


# Thanks in a letter's words too: "Le agradezco mucho su atención, que tenga buen día."
_GRATITUDE = re.compile(
    r"\b(?:gracias|grax|agradezco|agradecemos|agradecid[oa]s?|se agradece|muy amable|muy amables)\b"
)


# One's own detail told ("la direccion es pasaje Los Copihues 1447", "ya, mi rut es…", "me llamo Rosa"): an answer.
_TELLS_OWN_DETAIL = re.compile(
    r"^(?:\w+ )?(?:mi|la|el) (?:direccion|dire|domicilio|rut|telefono|fono|celular|cel|correo|mail|email|nombre)"
    r" (?:es|seria|queda en)\b|^(?:\w+ )?me llamo\b"
)


# The data a request needs, given unasked: "me llamo…", "mis datos: …", "rut 17.654.321-3".
_GIVES_OWN_DATA = re.compile(r"\b(?:me llamo|mi nombre es|mis datos|mi rut|rut|run)\b")


def gives_own_data(text: str) -> bool:
    """The message hands over the citizen's name or RUT, as one does to have a request made."""
    return bool(_GIVES_OWN_DATA.search(normalise(text)))


def tells_own_detail(text: str) -> bool:
    """The message opens by telling one of the citizen's own details (address, RUT, phone, e-mail, name)."""
    return bool(_TELLS_OWN_DETAIL.search(normalise(text)))


def gives_thanks(text: str) -> bool:
    """The words thank ("mil gracias", "le agradezco mucho su atención")."""
    return bool(_GRATITUDE.search(normalise(text)))


def sounds_angry(text: str) -> bool:
    """Anger at the service or the assistant ("NO ME SIRVE NADA DE ESTO", "esto es una burla")."""
    letters = [ch for ch in text if ch.isalpha()]
    norm = normalise(text)
    # Capitals with a negation or exclamations are shouting; "MIL GRACIAS" in capitals is only loud thanks.
    shouting = (
        len(letters) >= MIN_SHOUTED_LETTERS
        and all(ch.isupper() for ch in letters)
        and bool("!" in text or _NEGATION.search(norm))
        and not _THANKS.search(norm)
    )
    # "ah no, puede ser IND-K4M9P3?": a "no," that opens a clause is no "no puede ser"
    upset = _UPSET.search(normalise(_NO_THEN_CLAUSE.sub(" ", text)))
    return shouting or bool(upset) or angry_at_the_asking(text)


def sounds_upset(text: str) -> bool:
    """An angry or desperate message ("NO ME SIRVE NADA DE ESTO", "nadie contesta", "llevo 3 meses pidiendo…")."""
    return sounds_angry(text) or bool(_FED_UP.search(normalise(text)))


_STATUS_WORDS = re.compile(
    r"\b(?:estado|solicitud|solicitudes|folio|pedido|va mi|van mis|como va|en que va|quedo|avance|avanza|respuesta"
    r"|respondieron|contestaron|resolvieron|hice|hicimos|pedi|ingrese|reclame|reporte|denuncie|mande|postule"
    r"|aprobaron|aprobado|aprobada|listo|lista|revisaron|paso|pasa|llaman|llamaron|actualizaron|todavia|aun|ya"
    # "mi reclamo", not any "mi" ("y si el arbol esta en mi patio?" asks about the pruning)
    r"|(?:mi|mis|nuestra|nuestro|nuestras|nuestros) (?:reclamos?|denuncias?|reportes?|tramites?|postulacion|caso"
    r"|requerimientos?|peticion|numero))\b"
)


# "como hago pa q borren lo q les di en este chat": one's own data, or this conversation, to be deleted.
_DELETE_MY_DATA = re.compile(
    r"\b(?:borr|elimin|suprim)\w* (?:\w+ ){0,3}?(?:mis datos|mi informacion|mi info|toda mi info\w*|mis mensajes"
    r"|mi conversacion|este chat|esta conversacion|la conversacion|lo que (?:les |le |te )?(?:di|entregue|escribi|mande"
    r"|conte|dije)|todo lo mio|mi historial|mis registros|de (?:la|su|sus) bases?)\b"
)


def asks_to_delete_data(text: str) -> bool:
    """The message asks for the citizen's own data to be deleted ("q borren lo q les di en este chat")."""
    return bool(_DELETE_MY_DATA.search(normalise(text)))


_LIST_WORDS = re.compile(
    r"\b(?:tramites|lista|listado|menu|opciones|servicios|que (?:se puede|puedo|hay|tienen|hacen))\b"
)


def asks_for_list(text: str) -> bool:
    """The message asks what can be done ("¿qué trámites hay?", "ver los trámites de tránsito")."""
    return bool(_LIST_WORDS.search(normalise(text)))


_STATUS_PHRASES = re.compile(
    r"\b(?:estado de (?:mi|mis|la|el|un|una)|en que va|en que van|como va|como van|folio|mi solicitud"
    r"|mis solicitudes|mi reclamo|mi denuncia|mi reporte|mi pedido|lo que pedi)\b"
)


# How a request goes, in so many words: while another request is being made, "mi denuncia" may be this one.
_HOW_IT_GOES = re.compile(
    r"\b(?:estado|en que va|en que van|como va|como van|avance|avanza|lo que pedi|mis solicitudes|otra solicitud"
    r"|ya (?:me )?(?:respondieron|contestaron|resolvieron))\b"
)


def asks_how_it_goes(text: str) -> bool:
    """The message asks how a request goes ("¿cómo va mi solicitud?"), not about one being made."""
    return bool(_HOW_IT_GOES.search(normalise(text)))


def speaks_of_a_request_made(text: str) -> bool:
    """Clearly about a request already made ("el estado de un trámite", "¿en qué va mi solicitud?")."""
    return bool(_STATUS_PHRASES.search(normalise(text)))


# "ya, y cómo pongo un reclamo": the opening "ya" is the citizen's nod, not "¿ya me respondieron?".
_OPENING_NOD = re.compile(r"^(?:ya|ok|oka|okey|bueno|listo|ah|aah|oye)\b(?:[,.!]+\s*| (?=y\b))")


def asks_status(text: str) -> bool:
    """The message speaks of a request already made ("¿cómo va mi solicitud?", "lo que pedí")."""
    return bool(_STATUS_WORDS.search(_OPENING_NOD.sub("", normalise(text))))


MAX_FOLLOW_UP_WORDS = 8


def is_follow_up(text: str) -> bool:
    """A short message continuing the topic ("¿y se puede por internet?", "a q hora?")."""
    norm = normalise(text)
    return norm.startswith(("y ", "e ", "pero ", "entonces ")) or len(norm.split()) <= MAX_FOLLOW_UP_WORDS


MAX_SHORT_FOLLOW_UP_WORDS = 5
_TOPIC_CHANGE = re.compile(
    r"^(?:\w+,? )?(?:otra cosa|otra consulta|otra pregunta|otro tema|otra duda|cambiando de tema|aparte de eso"
    r"|una consulta aparte|tengo otra (?:consulta|pregunta|duda))\b"
)


def changes_topic(text: str) -> bool:
    """The message says it is about something else ("otra cosa, ¿dónde renuevo el carnet?")."""
    return bool(_TOPIC_CHANGE.search(normalise(text)))


def is_short_follow_up(text: str) -> bool:
    """A few words continuing what was just said ("¿y el del cesfam?", "y en tránsito?")."""
    norm = normalise(text)
    return norm.startswith(("y ", "e ")) and len(norm.split()) <= MAX_SHORT_FOLLOW_UP_WORDS


QUESTION_START = (
    "cuanto",
    "cuanta",
    "cuando",
    "donde",
    "que ",
    "q ",
    "como",
    "por que",
    "hasta",
    "cual",
    "se puede",
    "a que hora",
    "a q hora",
    "hay que",
    "tengo que",
    "puedo",
    "quien",
    "y como",
    "y donde",
    "y cuanto",
)


_FOLLOW_UP_START = ("y ", "e ", "pero ", "entonces ")
_PREPOSITION = re.compile(r"^(?:en|de|a|por|para|pa|con|desde|hasta) ")
# Asks wherever it is: "y el viernes hasta q hora" (never "hasta luego" nor "hasta el viernes").
_ASKING_ANYWHERE = re.compile(r"\b(?:a|hasta|desde) que hora\b")


def opens_as_follow_up(text: str) -> bool:
    """The message starts as a continuation: "y …", "pero …", "entonces …"."""
    return normalise(text).startswith(_FOLLOW_UP_START)


_GREETING_START = re.compile(
    r"^(?:(?:buenos dias|buenas tardes|buenas noches|buen dia|hola|ola|holi|wenas|wena|buenas|buena|alo)\b[\s,!.]*)+"
)


# "que" and a verb in the subjunctive open a wish ("que arreglen la vereda"), not a question ("que piden").
_WISH = re.compile(
    r"^(?:y )?que (?:(?:lo|la|los|las|me|nos) )?(?:pongan|vengan|retiren|poden|saquen|arreglen|manden|vayan|pasen"
    r"|corten|limpien|revisen|fiscalicen|hagan|instalen|coloquen|reparen|cambien|multen|prohiban|mejoren"
    r"|construyan|habiliten|repongan|recojan|boten|pinten|iluminen|fumiguen|desratizen|desraticen|controlen"
    r"|saquen|aumenten|agreguen|renueven|pavimenten|rellenen|tapen|quiten|retiren|atiendan|respondan|contesten)\b"
)


# "como le comenté", "como te dije", "como ya conte": as said before, then the answer.
_AS_SAID = re.compile(
    r"^(?:y )?(?:tal )?como (?:ya )?(?:le|te|les|se lo|se los|les he|le he|te he|lo|la)? ?"
    r"(?:comente|comentaba|dije|decia|conte|contaba|mencione|explique|escribi|indique|puse|he dicho|dicho)\b"
)


# Asking to hear the last question again: "q me preguntaste? no lo lei bien", "no cache", "me lo repites?".
_REPEAT = re.compile(
    r"\b(?:que|cual) (?:me )?(?:preguntaste|pregunto|preguntas|pregunta|pediste|pidio|pides|dijiste|dijo)\b"
    r"|\bcual (?:era|es) la pregunta\b"
    r"|^(?:perdon |disculpa |oye |oiga |eh |ah )?(?:no (?:te |le )?(?:entendi|entiendo|cache|cacho|lei bien"
    r"|alcance a leer|lo lei|la lei|vi)|(?:me )?(?:lo |la )?(?:repites|repite|repetis|puedes repetir|podria repetir"
    r"|podrias repetir)|como dijiste|que)(?: bien| la pregunta| eso| lo que me preguntaste)?$"
)
MAX_REPEAT_WORDS = 8


def asks_to_repeat(text: str) -> bool:
    """The citizen asks for the question again, having missed it ("q me preguntaste?", "no cache")."""
    norm = normalise(text)
    if len(norm.split()) > MAX_REPEAT_WORDS:
        return False
    return any(_REPEAT.search(normalise(part)) for part in re.split(r"[?¿!.,;]+", text) if normalise(part))


# "hola, q cosas se pueden hacer por aca?", "en q me puedes ayudar?": what the assistant does.
_WHAT_CAN_BE_DONE_HERE = re.compile(
    r"^(?:(?:hola|buenas|oye|oiga|y) )*(?:que|en que) (?:cosas )?(?:se (?:puede|pueden)|puedo"
    r"|me (?:puedes|puede)|puedes|puede|pueden)(?: \w+)? (?:hacer|ayudar|consultar|preguntar|pedir)"
    r"(?: (?:por aca|por aqui|aca|aqui|contigo|usted|tu|ud"
    r"|con usted|en este chat|por este medio|por esta via|por whatsapp|por telegram))?$"
)


def asks_what_can_be_done_here(text: str) -> bool:
    """The citizen asks what can be done in this chat ("q cosas se pueden hacer por aca?")."""
    return bool(_WHAT_CAN_BE_DONE_HERE.match(normalise(text)))


# A goodbye at the end: "no eso era, buenas noches", "no nada mas, chao".
_GOODBYE_END = re.compile(
    r"\b(?:chao|chau|adios|hasta luego|hasta pronto|buenas noches|nos vemos|que este bien"
    r"|que estes bien|que tenga buen dia|cuidese|bendiciones)$"
)


def ends_with_goodbye(text: str) -> bool:
    """The message closes with a goodbye ("no eso era, buenas noches")."""
    return bool(_GOODBYE_END.search(normalise(text)))


def looks_like_question(text: str) -> bool:
    """Whether a message asks something ("¿cuánto se demoran?", "y el viernes hasta q hora", "hola como saco
    un permiso") rather than answers."""
    norm = _GREETING_START.sub("", normalise(text))
    stripped = text.strip()
    if _WISH.match(norm) and not stripped.endswith("?"):
        return False  # "q pongan mas basureros en la plaza": a wish, in the subjunctive, not "¿qué…?"
    if _AS_SAID.match(norm) and "?" not in stripped:
        return False  # "como le comenté, las ramas tocan los cables…": "as I said", not "how"
    if stripped.endswith("?") or stripped.startswith("¿") or norm.startswith(QUESTION_START):
        return True
    rest = next((norm[len(start) :] for start in _FOLLOW_UP_START if norm.startswith(start)), None)
    if rest is not None and _PREPOSITION.sub("", rest, count=1).startswith(QUESTION_START):
        return True  # "y en cuantas cuotas", "y de q se trata"
    return bool(_ASKING_ANYWHERE.search(norm))


# Saying yes to what was just offered, as Chileans write it: "ya, pídelo entonces", "bueno hazlo", "dale po".
_ACCEPT_CORE = {
    "si",
    "sip",
    "sipo",
    "ya",
    "yapo",
    "dale",
    "ok",
    "okey",
    "oka",
    "bueno",
    "weno",
    "listo",
    "claro",
    "perfecto",
    "hazlo",
    "hagalo",
    "hacelo",
    "hagamoslo",
    "hagamosla",
    "hagamos",
    "pidelo",
    "pidela",
    "pidalo",
    "pidala",
    "pidamoslo",
    "pidamosla",
    "pide",
    "pidan",
    "solicitalo",
    "solicitala",
    "ingresalo",
    "ingresala",
    "envialo",
    "enviala",
    "mandalo",
    "mandala",
    "vamos",
    "vamo",
    "sigamos",
    "demas",
    "obvio",
    "confirmo",
    "altiro",
    "hacerla",
    "hacerlo",
    "pedirla",
    "pedirlo",
    "solicitarla",
    "solicitarlo",
    "hagala",
    "pidemelo",
    "pidemela",
    "ingresela",
    "ingreselo",
    "hagamela",
    "hagamelo",
    "pedir",
    "pido",
    "solicitar",
    "solicito",
    "hacer",
}
_ACCEPT_FILLER = {
    "esta",  # "si esta bien"
    "bien",
    "po",
    "pos",
    "pues",
    "entonces",
    "eso",
    "esa",
    "ese",
    "nomas",
    "de",
    "una",
    "al",
    "tiro",
    "por",
    "favor",
    "altiro",
    "ahora",
    "la",
    "el",
    "lo",
    "solicitud",
    "ahi",
    "aca",
    "aqui",
    "mejor",
    "asi",
    "quiero",
    "me",
    "porfa",
}
# Courtesy around a plain yes ("Sí, está todo correcto. Muchas gracias.", "si, muy amable"); "bueno gracias"
# closes a conversation, it accepts nothing.
_COURTESY_WORDS = {"todo", "correcto", "muchas", "gracias", "muy", "amable"}
_PLAIN_YES = {"si", "sip", "sipo", "claro", "dale", "ok", "okey", "perfecto", "confirmo"}
MAX_ACCEPT_WORDS = 6


def accepts(text: str) -> bool:
    """A short yes to an offer ("ya, pidelo entonces", "ok pide eso", "hagamosla"): only words of assent."""
    words = re.sub(r"\bno mas\b", "nomas", normalise(text)).split()  # "pídalo no más" is no "no"
    if not words or len(words) > MAX_ACCEPT_WORDS:
        return False
    courteous = any(w in _COURTESY_WORDS for w in words)
    if courteous and not any(w in _PLAIN_YES for w in words):
        return False
    allowed = _ACCEPT_FILLER | _COURTESY_WORDS if courteous else _ACCEPT_FILLER
    return all(w in _ACCEPT_CORE or w in allowed for w in words) and any(w in _ACCEPT_CORE for w in words)


_GO_ON = re.compile(r"\b(?:sigamos|seguir|sigo|siga|continuar|continuemos|continua|continuo|con esta|con esa)\b")


def wants_to_go_on(text: str) -> bool:
    """The citizen wants to keep going with the request in progress ("no, sigamos con esta", "continuar")."""
    return bool(_GO_ON.search(normalise(text)))

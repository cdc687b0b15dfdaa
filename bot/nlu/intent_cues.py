"""Words that settle what the classifier is unsure of. Not trainable.

- Asking about a procedure or asking for it: the classifier confuses ``consultar_tramite``
  and ``iniciar_tramite`` on messages such as "¿cómo registro a mi gato?" or "vengan a
  buscar un refri". When it picks one of the two, the words decide
  (bot/dialogue/procedure_moves.py: question words and "?" ask; "quiero pedir…",
  "vengan a…", a broken street light… request) and the two intents swap confidences.
- A procedure named in a message read as the list of procedures or as a cancel, without the
  words of either ("¿entregan composteras?", "q necesito pa vender leña"), is about that procedure.
- "consulta por la licencia" is a question about the licence, not about a request's status,
  unless it speaks of a request (folio, "mi solicitud", "cómo va").
- A question about the town hall itself ("¿a q hora abre la muni el sábado?") or a contact
  detail of one of its offices ("y el teléfono del juzgado") is ``consultar_tramite`` (answered
  with that office), whatever else was guessed.
- Asking for one's own data to be deleted ("como hago pa q borren lo q les di") is ``borrar_datos``.
- Only words of assent ("ya, pídelo entonces", "bueno hazlo", "dale po") are ``afirmar``: the
  yes to the offer just made.
"""

from __future__ import annotations

import re
from typing import AbstractSet, Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message as RasaMessage

from bot.dialogue.cues import (
    MAX_FOLLOW_UP_WORDS,
    accepts,
    angry_at_the_asking,
    asks_about_town_hall,
    asks_for_a_person_outright,
    asks_for_list,
    asks_status,
    asks_to_delete_data,
    asks_to_talk_to_a_person,
    asks_town_hall_detail,
    asks_what_can_be_done_here,
    ends_with_goodbye,
    gives_own_data,
    gives_thanks,
    is_stop,
    looks_like_question,
    names_a_person,
    opens_as_follow_up,
    sounds_angry,
    sounds_upset,
    speaks_of_a_request_made,
    tells_own_detail,
    wants_a_real_person,
)
from bot.dialogue.message import Message
from bot.dialogue.procedure_moves import (
    DO,
    MAX_BARE_WORDS,
    asks_it_done,
    asks_politely_to_do,
    explicit_request,
    procedure_move,
    reports_a_problem,
)
from bot.matching.aspects import asked_aspects
from bot.matching.generic import names_a_kind
from bot.matching.question_words import asks_what_if
from bot.text import normalise

ASKING, DOING, STATUS = "consultar_tramite", "iniciar_tramite", "consultar_estado"
AGREEING, THANKING = "afirmar", "agradecer"
LISTING, STOPPING, OUT_OF_SCOPE = "listar_tramites", "cancelar", "fuera_de_alcance"
PERSON = "hablar_con_funcionario"
DELETING = "borrar_datos"
SMALL_TALK = {"saludar", "despedirse", "agradecer", "afirmar", "negar", "consultar_bot"}
GREETINGS = {"saludar", "despedirse", "agradecer"}
# Guesses a town-hall question is often given ("¿a q hora cierra la muni?" read as the list of procedures).
TOWN_HALL_GUESSES = {"listar_tramites", "fuera_de_alcance", "consultar_bot", "saludar", "nlu_fallback", "informar"}
# A relabelled message is not sent to the fallback for the classifier's low confidence.
CUED_CONFIDENCE = 0.5
CUED_MARGIN = 0.1
# Below this the classifier's guess is a coin toss with the runner-up ("y en cuantas cuotas": off-topic 0.54).
UNSURE_CONFIDENCE = 0.6
# A message this short that asks an aspect and names nothing ("cuesta algo?") is a follow-up question.
MAX_ASPECT_ONLY_WORDS = 4


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentCues(GraphComponent):
    """Relabels a message when its words say another intent than the classifier's guess."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IntentCues":
        """No state: the cues are in bot/dialogue/."""
        return cls()

    def process(self, messages: List[RasaMessage]) -> List[RasaMessage]:
        """Relabel each message whose words say another intent than the one guessed."""
        for message in messages:
            intent = message.get(INTENT) or {}
            text = message.get(TEXT) or ""
            if not intent.get("name") or text.startswith("/"):
                continue
            named = {e.get("entity") for e in message.get(ENTITIES) or []}
            if names_a_kind(text):  # "necesito un permiso": a procedure, of a kind the dialogue asks about
                named.add("tramite")
            unsure = (intent.get("confidence") or 0.0) < UNSURE_CONFIDENCE
            wanted = _cued_intent(text, intent["name"], named, unsure)
            # Words that say the intent make it sure, even when the classifier guessed the same but hesitated
            # ("ya, quiero pedirlo": afirmar 0.36 against cancelar 0.33 would fall back).
            settled = (
                accepts(text)
                and wanted in (ASKING, DOING, AGREEING)
                or (wanted in (ASKING, DOING) and "tramite" in named)
                or (wanted == ASKING and _asks_a_follow_up(text))  # "y q cosas no se llevan?": no fallback
                or (wanted == STATUS and "folio" in named)  # "PEN-59H356 como va?": 0.37 beside informar 0.37
            )
            if wanted == intent["name"] and not settled:
                continue
            ranking = _swapped(message.get(INTENT_RANKING_KEY) or [], intent["name"], wanted)
            others = [r.get("confidence") or 0.0 for r in ranking if r.get("name") != wanted]
            # Sure enough not to fall back for being low or close to the runner-up.
            confidence = min(
                1.0, max(intent.get("confidence") or 0.0, CUED_CONFIDENCE, max(others, default=0.0) + CUED_MARGIN)
            )
            message.set(INTENT, {**intent, "name": wanted, "confidence": confidence}, add_to_output=True)
            ranking = [{**r, "confidence": confidence} if r.get("name") == wanted else r for r in ranking]
            message.set(
                INTENT_RANKING_KEY, sorted(ranking, key=lambda r: -(r.get("confidence") or 0.0)), add_to_output=True
            )
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        """Nothing to add to training data."""
        return training_data


def _cued_intent(text: str, guessed: str, entities: AbstractSet[str] = frozenset(), unsure: bool = False) -> str:
    """The intent the words of ``text`` say, given the classifier's guess and the entities found.

    ``unsure``: the classifier's confidence in its guess is low (below ``UNSURE_CONFIDENCE``)."""
    if accepts(text) and "tramite" not in entities and guessed != DOING:
        return AGREEING  # "ya, pidelo entonces" after "¿Quieres hacer la solicitud?" is a yes, not a miss
    if (
        (guessed in (OUT_OF_SCOPE, "nlu_fallback", "negar") and names_a_person(text))
        or wants_a_real_person(text)
        or (guessed != STATUS and asks_for_a_person_outright(text))
    ):
        # "no quiero hablar con una maquina, quiero una persona", "hay alguien de verdad q me ayude?", "mejor quiero
        # hablar con un funcionario, mi calle no aparece como zona regulada…" (whatever procedure it names)
        return PERSON
    if guessed == PERSON and not names_a_person(text) and asks_politely_to_do(text):
        return DOING  # "no me funciona la pagina, me lo pueden hacer por aqui?": the request, not a handoff
    if guessed in GREETINGS and unsure and gives_thanks(text) and not looks_like_question(text):
        return THANKING  # "muchas gracias mijito, que dios lo bendiga": thanks, not a goodbye tied with them
    if guessed == "negar" and ends_with_goodbye(text) and not looks_like_question(text):
        return "despedirse"  # "no eso era, buenas noches": nothing more, and goodbye
    if guessed in (ASKING, DOING, LISTING) and "tramite" not in entities and asks_what_can_be_done_here(text):
        return "consultar_bot"  # "hola, q cosas se pueden hacer por aca?": what the assistant does
    if (
        (guessed in SMALL_TALK | {ASKING} or (guessed == STATUS and "folio" not in entities))
        and "tramite" not in entities
        and asks_to_talk_to_a_person(text)
    ):
        return PERSON  # "gracias, y puedo hablar con alguien de la muni pa confirmar la hora?"
    if guessed in {ASKING, DOING, OUT_OF_SCOPE, STOPPING, "nlu_fallback"} and asks_to_delete_data(text):
        return DELETING  # "como hago pa q borren lo q les di en este chat": deletion, however it is asked
    if guessed in (ASKING, DOING) and is_stop(text) and not looks_like_question(text):
        return STOPPING  # "para para, no quiero hacer la solicitud": declined, whatever procedure it names
    if "comuna" in entities and guessed in {"saludar", OUT_OF_SCOPE, "nlu_fallback"} and _only_a_name(text):
        return "informar"  # "peñalolen" alone answers "¿De qué comuna eres?", it greets nobody
    if (
        "comuna" in entities
        and "tramite" not in entities
        and guessed in (DOING, STATUS)
        and not looks_like_question(text)
        and not explicit_request(text)
    ):
        return "informar"  # "ah no espera, en verdad ahora vivo en providencia, me cambie hace poco": the commune
    if (
        guessed in (ASKING, DOING, OUT_OF_SCOPE, "nlu_fallback")
        and not entities & {"tramite", "folio"}
        and tells_own_detail(text)
        and not looks_like_question(text)
        and not explicit_request(text)
    ):
        return "informar"  # "la direccion es pasaje Los Copihues 1447, poblacion San Luis": an answer, no question
    if angry_at_the_asking(text) and guessed != STATUS and "folio" not in entities:
        # "q lata tanta pregunta, pa q quieren tanto dato": no question about a procedure
        return PERSON if names_a_person(text) else OUT_OF_SCOPE
    if (sounds_upset(text) and guessed in SMALL_TALK) or (
        sounds_angry(text) and guessed == STATUS and "folio" not in entities
    ):
        # "NO ME SIRVE NADA DE ESTO" is no "no": its reply offers a person or a complaint; "no entiendes nada,
        # pasame con alguien" asks for the person.
        return PERSON if names_a_person(text) else OUT_OF_SCOPE
    if guessed in ("negar", AGREEING) and "?" in text and opens_as_follow_up(text) and len(text.split()) > 2:
        return ASKING  # "¿y si no puedo pagar?", "y si se me pierde?": a question about it, not a "no" or a "yes"
    if (
        guessed in (OUT_OF_SCOPE, "nlu_fallback")
        and len(text.split()) <= MAX_ASPECT_ONLY_WORDS
        and asked_aspects(text)
        and not sounds_upset(text)
    ):
        return ASKING  # "cuesta algo?", "cuanto cuesta": about the procedure in focus, no off-topic question
    if (
        (guessed == "nlu_fallback" or (guessed == OUT_OF_SCOPE and unsure))
        and _asks_a_follow_up(text)
        and not sounds_upset(text)
        and not names_a_person(text)
    ):
        # "y en cuantas cuotas", "y q cosas no se llevan?": about the procedure in focus ("y quien gano el
        # partido?" is surely off-topic)
        return ASKING
    if (guessed in GREETINGS or (guessed in (AGREEING, "negar") and unsure)) and (
        looks_like_question(text) and (asked_aspects(text) or asks_town_hall_detail(text))
    ):
        return ASKING  # "¿y el viernes hasta q hora?" is a follow-up, not a goodbye; "y correo?" no "yes"
    if guessed in TOWN_HALL_GUESSES and asks_about_town_hall(text):
        return ASKING
    if (
        (unsure or len(text.split()) <= MAX_BARE_WORDS)  # "se agradece harto": thanks, however sure the guess
        and guessed in (ASKING, DOING, OUT_OF_SCOPE, "nlu_fallback")
        and "tramite" not in entities
        and gives_thanks(text)
        and not looks_like_question(text)
        and not explicit_request(text)
    ):
        return THANKING  # "Le agradezco mucho su atención, que tenga buen día.": no question about a procedure
    if (guessed in (ASKING, DOING) or (guessed == "informar" and "rut" in entities)) and speaks_of_a_request_made(text):
        return STATUS  # "quiero saber el estado de un trámite", "en q va mi tramite, mi rut es 20.113.457-9"
    if (
        guessed in SMALL_TALK | {ASKING, DOING, OUT_OF_SCOPE, "informar"}
        and "tramite" in entities
        and "folio" not in entities
        and ("rut" in entities or gives_own_data(text))
        and not looks_like_question(text)
        and not speaks_of_a_request_made(text)
    ):
        # "necesito sacar el certificado de residencia… Me llamo Camila…, rut 17.654.321-3, vivo en…": nobody gives
        # their RUT to ask what a procedure needs
        return DOING
    if (
        guessed == "informar"
        and "tramite" in entities
        and not looks_like_question(text)
        and _tells_what_and_where(text)
    ):
        return DOING  # "ramas en los cables frente al 567 de ercilla": where to come and see it, no datum alone
    if (
        guessed in SMALL_TALK | {OUT_OF_SCOPE, "informar"}
        and "tramite" in entities
        and (looks_like_question(text) or explicit_request(text) or reports_a_problem(text))
    ):
        # "buenas, vivo en pealolen. ¿cómo pido una compostera?", "hay un foco apagado en el pasaje … 2140" (no
        # address told alone): then question or request
        guessed = ASKING
    if (
        "tramite" in entities
        and len(text.split()) <= MAX_BARE_WORDS
        and guessed in (SMALL_TALK - {AGREEING, "negar"}) | {OUT_OF_SCOPE, "informar", "nlu_fallback"}
        and not is_stop(text)
    ):
        guessed = ASKING  # "la poda", "escombros": a procedure's name alone; then question or request
    if guessed == LISTING and asked_aspects(text) and not asks_for_list(text):
        return ASKING  # "q papeles hay q tener" right after an answer: the procedure in focus, not the list
    if (
        guessed == PERSON
        and unsure
        and _NO_FIRST.match(normalise(text))
        and not (names_a_person(text) or asks_to_talk_to_a_person(text) or wants_a_real_person(text))
    ):
        return "negar"  # "no, ahora no, primero voy a ver si alguien lo quiere": no to the offer, nobody asked for
    if guessed == PERSON and asks_town_hall_detail(text) and not names_a_person(text):
        return ASKING  # "tienen algun fono pa llamar?": the phone number, not a handoff
    if guessed == LISTING and "tramite" in entities and not asks_for_list(text):
        return ASKING  # "¿entregan composteras?": about that procedure, not the list of all
    if (
        guessed in (STOPPING, "nlu_fallback", OUT_OF_SCOPE, "informar")
        and not is_stop(text)
        and (asks_it_done(text) or (guessed == STOPPING and explicit_request(text)))
    ):
        return DOING  # "buena, pero mejor pidelo por aca", "entonces si, inscribela": the request, asked for now
    if guessed == STOPPING and not is_stop(text) and ("tramite" in entities or looks_like_question(text)):
        guessed = ASKING  # "q necesito pa vender leña" is no cancel: then question or request, by its words
    if "folio" in entities and (
        guessed in SMALL_TALK | {OUT_OF_SCOPE, "informar", "nlu_fallback"}
        or (guessed in (ASKING, DOING) and "tramite" not in entities)
    ):
        # "ah capaz q lo anote mal, es ang 7kq2n9", "uy no, es ANG-Q4M8T3": a folio, so the request it names
        return STATUS
    if (
        guessed == STATUS
        and "folio" not in entities
        and (explicit_request(text) or reports_a_problem(text))
        and not speaks_of_a_request_made(text)
    ):
        # "ya, q vengan a buscarlos entonces" after the pickup's answer asks for one, not about one; "poste apagado
        # afuera del 2233" reports one
        return DOING
    if (
        guessed == STATUS
        and "folio" not in entities
        and sounds_upset(text)
        and not speaks_of_a_request_made(text)
        and not _MADE_A_REQUEST.search(normalise(text))
    ):
        # "ya van 3 veces q les escribo y nadie da solucion, los perros de la plaza…": anger, not a request's status
        return PERSON if names_a_person(text) else OUT_OF_SCOPE
    if guessed == STATUS and "folio" not in entities and asks_what_if(text):
        return ASKING  # "y si no me responden en 10 dias q hago?": what then, not how a request goes
    if (
        guessed == STATUS
        and "folio" not in entities
        and _asks_a_follow_up(text)
        and asked_aspects(text) == ["plazo"]
        and not speaks_of_a_request_made(text)
    ):
        return ASKING  # "y cuando vienen?" right after the folio: the response time of that procedure
    if guessed == STATUS and "tramite" in entities and "folio" not in entities and not asks_status(text):
        return ASKING  # "consulta por la licencia": a question about the licence, not about a request
    if (
        "tramite" in entities
        and guessed in ("saludar", AGREEING)
        and len(text.split()) > MAX_BARE_WORDS
        and not is_stop(text)
        and not gives_thanks(text)
    ):
        guessed = ASKING  # "hola buenas, necesito sacar un certificado", "weno necesito un permiso": then by its words
    if guessed in (ASKING, DOING):
        return DOING if procedure_move(Message(text=text, intent=guessed)) == DO else ASKING
    return guessed


# A house the problem is at: "frente al 567", "afuera del 2233", "en pasaje los aromos 1234".
_AT_A_HOUSE = re.compile(
    r"\b(?:frente al|al frente del|al lado del|afuera del|fuera del|cerca del|atras del) \d{1,5}\b"
    r"|\b(?:calle|pasaje|pje|psje|avenida|av) (?:\w+ ){1,3}\d{1,5}\b"
)
# A request the citizen made ("hace 2 semanas pedí el retiro", "mi reclamo"): a fed-up message about it asks how
# it goes; one about nothing made ("ya van 3 veces q les escribo y nadie da solución") is anger to attend to.
_MADE_A_REQUEST = re.compile(
    r"\b(?:pedi|pedimos|solicite|solicitamos|reclame|reclamamos|reporte|reportamos|denuncie|denunciamos|ingrese"
    r"|ingresamos|postule|postulamos|hice|hicimos)\b|\b(?:mi|mis|nuestra|nuestro|nuestras|nuestros|el|la) (?:solicitud"
    r"|reclamo|denuncia|reporte|tramite|postulacion|pedido)(?:es|s)?\b"
)
MIN_WORDS_BESIDE_THE_HOUSE = 2


def _tells_what_and_where(text: str) -> bool:
    """A problem told with the house it is at ("ramas en los cables frente al 567"), not an address alone."""
    norm = normalise(text)
    if not _AT_A_HOUSE.search(norm):
        return False
    beside = [w for w in _AT_A_HOUSE.sub(" ", norm).split() if len(w) > 3]
    return len(beside) >= MIN_WORDS_BESIDE_THE_HOUSE


# A message that opens with "no" ("no, ahora no…", "nop, gracias").
_NO_FIRST = re.compile(r"^(?:no|nop|nope|noo+|nel|na)\b")

# Words of a greeting, which a commune's name may come with ("hola, peñalolen").
_GREETING_WORDS = re.compile(r"\b(?:hola|holi|holas|buenas|buenos|buen dia|wena|wenas|alo|saludos)\b")
MAX_NAME_WORDS = 3  # "pedro aguirre cerda": a commune named alone


def _asks_a_follow_up(text: str) -> bool:
    """A short question that continues what was said ("y en cuantas cuotas", "y q cosas no se llevan?")."""
    return opens_as_follow_up(text) and looks_like_question(text) and len(text.split()) <= MAX_FOLLOW_UP_WORDS


def _only_a_name(text: str) -> bool:
    """A few words and no greeting: a name said alone."""
    norm = normalise(text)
    return 0 < len(norm.split()) <= MAX_NAME_WORDS and not _GREETING_WORDS.search(norm)


def _swapped(ranking: List[Dict[str, Any]], old: str, new: str) -> List[Dict[str, Any]]:
    """The ranking with the names ``old`` and ``new`` exchanged (each takes the other's confidence)."""
    swap = {old: new, new: old}
    return [{**row, "name": swap.get(row["name"], row["name"])} for row in ranking]

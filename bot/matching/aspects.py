"""What a citizen asks about a procedure: cost, requirements, place, hours, deadline, online."""

from __future__ import annotations

import re
from typing import List

from bot.text import normalise

# Through this chat: on line for a procedure ("¿se puede pedir por acá?"), not for a list of them.
_IN_THIS_CHAT = r"\b(por aca|por aqui)\b"
# What something must be like: "¿cómo tiene q ser el lugar donde guardo la leña?" asks for requirements, and
# the place it names is the citizen's, not the office's.
_CONDITIONS = (
    r"\bcomo (?:tiene|tienen|tendria|debe|deben|deberia|hay) (?:que |de )?(?:ser|estar|quedar)\b"
    r"|\b(?:que|cuales) (?:condiciones|caracteristicas|exigencias)\b"
)
# Aspect -> regular expressions over the normalised message. Order is the order of answers.
ASPECT_PATTERNS = {
    "costo": [
        r"\bcuanto (cuesta|sale|vale|cobran|es|hay que pagar|pago|seria|saldria|costaria)",
        # "sin pagar parquimetro" tells what the procedure spares, it asks no price
        r"\b(valor|precio|costo|cobro|cobran|cobra|tarifa|arancel|gratis|gratuito|se paga|(?<!\bsin )pagar|pago|plata"
        r"|lucas|utm|cuesta|cuestan|costara)\b",
        # "cuanto se demora en salir?" asks how long: no price
        r"\bcuanto (?:(?!(?:tiempo|demora|demoran|tarda|tardan)\b)\w+ ){0,4}"
        r"(?:sale|saldria|salir|cuesta|costar|cobran|cobrar|pagar|pago)\b",
    ],
    "requisitos": [
        r"\b(requisito|requisitos|documento|documentos|papel|papeles|antecedentes|necesito|necesita|necesitan)\b",
        r"\bque (piden|pide|se pide|hay que llevar|debo llevar|tengo que llevar|tiene que llevar|tienen que llevar"
        r"|llevo|se necesita)\b",
        r"\bque (hay que|tengo que|tenemos que|tiene que|tienen que|debo|debemos|debe) (pedir|presentar|tener|reunir"
        r"|juntar)\b",
        _CONDITIONS,
    ],
    "lugar": [
        r"\b(donde|adonde|direccion|oficina|lugar|ubicacion|ubicada|ubicado|queda|dpto|departamento)\b",
    ],
    "horario": [
        r"\b(horario|horarios|hora|horas|atienden|atencion|abren|cierran|abierto|sabado|domingo)\b",
    ],
    "plazo": [
        r"\b(demora|demoran|demoran|tarda|tardan|plazo|cuanto tiempo|cuantos dias|hasta cuando|vence|vencimiento"
        r"|fecha)\b",
        r"\bcuando (esta|estaria|sale|me lo|me la|me llega|llega|llegara|lo entregan|la entregan|pasan|vienen|viene"
        r"|llegan|van a venir"
        r"|van a pasar|lo retiran|los retiran|lo vienen|la vienen)\b",
        r"\b(al tiro|altiro|inmediato|inmediata|inmediatamente|en el acto|el mismo dia|en el dia)\b",
    ],
    "en_linea": [
        r"\b(online|on line|en linea|internet|web|pagina|link|enlace|sitio|virtual|remoto|desde la casa"
        r"|desde mi casa|sin ir)\b",
        _IN_THIS_CHAT,
    ],
    # How to reach the office that does it: "¿a q correo escribo pa reclamar?", "y el telefono de la oirs?".
    "contacto": [
        r"\b(correo|mail|email|telefono|fono|whatsapp|contacto)\b",
        r"\ba (?:que|cual) (?:numero|correo|mail)\b",
    ],
    "pasos": [
        r"\bcomo (se|lo|la|hago|puedo|saco|pido|solicito|postulo|inscribo|tramito|es el)\b",
        r"\bcomo (me|nos) (inscribo|inscribimos|anoto|anotamos|registro|postulo|postulamos)\b",
        r"\b(pasos|etapas|proceso|procedimiento)\b",
        r"\bque (hay que|tengo que|tenemos que|debo|debemos|tendria que) hacer\b",
    ],
}
_ASKS_CONDITIONS = re.compile(_CONDITIONS)
# The citizen's own contact detail ("mi telefono es…", "no tengo correo") asks for none ("¿tiene telefono la
# oirs?" does).
# Nor does a delivery to the citizen's e-mail: "¿cuándo me llega al correo?", "¿me lo mandan por mail?".
OWN_DETAIL = re.compile(
    r"\b(?:mi|mis|tengo) (?:telefono|fono|celular|numero|correo|mail|email|direccion)\b"
    r"|\b(?:llega|llegue|llegara|llegan|mandan|manda|envian|envia|mandaran|enviaran|recibo|recibire)\b(?: \w+){0,3}"
    r" (?:al|por|a mi|en mi|por el) (?:correo|mail|email)\b"
)
# "¿se puede pagar por internet?" asks how to pay, not how much: no word of an amount.
_AMOUNT = re.compile(
    r"\b(?:cuanto|cuanta|valor|precio|costo|cuesta|cuestan|sale|vale|tarifa|arancel|gratis|gratuito|utm|lucas"
    r"|plata|cobran|cobra|cobro)\b"
)
_COMPILED = {aspect: [re.compile(p) for p in patterns] for aspect, patterns in ASPECT_PATTERNS.items()}


def asked_aspects(text: str) -> List[str]:
    """The aspects the message asks about, in a stable order (may be empty)."""
    norm = normalise(text)
    asked = [aspect for aspect, patterns in _COMPILED.items() if any(p.search(norm) for p in patterns)]
    if "lugar" in asked and _ASKS_CONDITIONS.search(norm):
        asked.remove("lugar")
    if "contacto" in asked and OWN_DETAIL.search(norm):
        asked.remove("contacto")
    if "costo" in asked and "en_linea" in asked and not _AMOUNT.search(norm):
        asked.remove("costo")
    return asked


_ONLINE = re.compile(ASPECT_PATTERNS["en_linea"][0])


def asks_online_only(text: str) -> bool:
    """A list of procedures asked of the ones done on line ("¿qué trámites hay en línea?").

    "¿qué trámites se pueden hacer por acá?" asks what this chat can do: all of them.
    """
    return bool(_ONLINE.search(normalise(text)))

"""The names of domain.yml that Python code uses: slots, intents and forms (one spelling each).

``tests/test_domain_names.py`` checks them against domain.yml both ways, so a slot renamed in
one place and not the other fails the tests instead of a conversation.
"""

from __future__ import annotations


class Slot:
    """Slots of domain.yml (and the two Rasa keeps itself)."""

    RUT = "rut"
    EMAIL = "email"
    TELEFONO = "telefono"
    SOLICITUD = "solicitud"  # the form in progress (bot/forms/state.py FormState as a dict)
    SOLICITUD_POR_ENVIAR = "solicitud_por_enviar"
    FORMULARIO_LISTO = "formulario_listo"
    CON_FUNCIONARIO = "con_funcionario"  # staff attend the conversation: the assistant stays silent
    CONFIRMAR_BORRADO = "confirmar_borrado"
    FOLIO = "folio"
    CONSULTA_LISTA = "consulta_lista"
    FOLIO_CONSULTA = "folio_consulta"
    RUT_CONSULTA = "rut_consulta"
    RESPUESTA_FORMULARIO = "respuesta_formulario"
    TRAMITE = "tramite"  # procedure in focus
    TRAMITE_SIGUIENTE = "tramite_siguiente"  # second request offered after a folio
    TEMA = "tema"  # office in focus
    MUNICIPIO = "municipio"
    AVISO_PRIVACIDAD = "aviso_privacidad"
    PENDIENTE = "pendiente"  # a question waiting for the citizen's choice
    TRAMITE_SUGERIDO = "tramite_sugerido"
    # Kept by Rasa itself.
    REQUESTED_SLOT = "requested_slot"
    SESSION_STARTED_METADATA = "session_started_metadata"


RASA_SLOTS = {Slot.REQUESTED_SLOT, Slot.SESSION_STARTED_METADATA}


class Intent:
    """Intents of domain.yml."""

    SALUDAR = "saludar"
    DESPEDIRSE = "despedirse"
    AGRADECER = "agradecer"
    AFIRMAR = "afirmar"
    NEGAR = "negar"
    CONSULTAR_BOT = "consultar_bot"
    LISTAR_TRAMITES = "listar_tramites"
    CONSULTAR_TRAMITE = "consultar_tramite"
    INICIAR_TRAMITE = "iniciar_tramite"
    CONSULTAR_ESTADO = "consultar_estado"
    HABLAR_CON_FUNCIONARIO = "hablar_con_funcionario"
    CANCELAR = "cancelar"
    INFORMAR = "informar"
    FUERA_DE_ALCANCE = "fuera_de_alcance"
    BORRAR_DATOS = "borrar_datos"
    # Rasa's own, when no intent is confident enough (config.yml FallbackClassifier).
    NLU_FALLBACK = "nlu_fallback"


# Intents that mean the assistant could not help with the message (Rasa's fallback, below the
# FallbackClassifier's threshold of config.yml, and out of scope): the actions offer a person after
# two in a row, and the console's metrics count them as not understood.
UNHELPED_INTENTS = frozenset({Intent.NLU_FALLBACK, Intent.FUERA_DE_ALCANCE})


class Form:
    """Forms of domain.yml."""

    SOLICITUD = "formulario_solicitud"
    CONSULTA = "formulario_consulta"


def names(holder: type) -> set[str]:
    """Every name a class above declares."""
    return {value for key, value in vars(holder).items() if key.isupper() and isinstance(value, str)}

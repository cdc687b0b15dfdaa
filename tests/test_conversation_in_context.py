"""A citizen's message understood in the light of what was just said, through the real channels.

Each test is one conversation as a citizen would have it on WhatsApp (signed Twilio
webhooks, sender ids with the "+") or Telegram (Bot API updates), against the assistant
started as ``make run`` starts it, with the channels' HTTP APIs replaced by stand-ins.
What is checked is what the citizen reads.
"""

import re
import time

import pytest

from bot.answers.status import NOT_FOUND
from tests.channel_clients import ANGOL_WA, PROVIDENCIA_WA, citizen, new_chat, tg_message, tg_post, whatsapp

FOLIO = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{6}\b")


class WhatsAppChat:
    """One citizen writing to a municipality's WhatsApp number; ``say`` returns the turn's replies."""

    def __init__(self, assistant, twilio, to=None):
        self.assistant, self.twilio, self.sender, self.to, self.seen = assistant, twilio, citizen(), to, 0

    def say(self, text: str) -> str:
        extra = {"to": self.to} if self.to else {}
        assert whatsapp(self.assistant, self.sender, text, **extra)[0] == 200
        self.twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{self.sender}" and "sid" in r, self.seen + 1, 60)
        time.sleep(1.5)  # the rest of the turn's replies
        replies = self.twilio.bodies_to(self.sender)[self.seen :]
        self.seen += len(replies)
        return "\n".join(replies)


@pytest.fixture
def chat(assistant, standins):
    return WhatsAppChat(assistant, standins[0])


def test_an_option_typed_in_chat_words_is_taken_and_a_name_never_cancels(chat):
    chat.say("quiero denunciar ruidos molestos")
    asked = chat.say("pasaje los olmos 455")
    assert "tipo de ruido" in asked.lower()
    after = chat.say("es puro carrete")  # «Fiesta o música», in Chilean
    assert "horario" in after.lower() and "Primero terminemos" not in after
    summary = chat.say("viernes y sabado en la noche")
    assert "Tipo ruido: Fiesta o música" in summary and "Revisa tu solicitud" in summary


def test_a_question_about_a_procedure_is_answered_and_the_request_only_offered(chat):
    answer = chat.say("cuanto cuesta el retiro de cachureos")
    assert "$8.000" in answer and "¿Quieres hacer la solicitud ahora" in answer
    assert "¿Cuál es tu nombre" not in answer
    follow_up = chat.say("y cuanto se demoran?")
    assert "5 días hábiles" in follow_up and "¿Cuál es tu nombre" not in follow_up
    started = chat.say("si")
    assert "Te ayudo a pedir «Retiro de residuos voluminosos" in started and "¿Cuál es tu nombre" in started


def test_what_was_asked_about_a_vague_procedure_is_answered_for_the_one_chosen(chat):
    options = chat.say("q necesito pa la licencia")
    assert "Renovación o control de licencia de conducir" in options and "Duplicado" in options
    number = next(line.split(".")[0] for line in options.splitlines() if "Renovación" in line)
    answer = chat.say(number)
    assert "Requisitos" in answer and "que vas a renovar" in answer  # the requirements, not a summary


def test_the_commune_and_the_question_of_a_first_message_are_both_used(assistant, standins):
    chat = WhatsAppChat(assistant, standins[0])  # Peñalolén's number, a citizen of Angol
    answer = chat.say("hola buenas, soy de angol y queria saber cuanto cuesta el permiso de circulacion")
    assert "Permiso de circulación en Angol" in answer and "¿De qué comuna eres?" not in answer


def test_questions_about_the_town_hall_and_their_follow_up(chat):
    answer = chat.say("a q hora abre la muni el sabado?")
    assert "El sábado no atiende" in answer and "Grecia 8735" in answer
    follow_up = chat.say("y el lunes?")
    assert "El lunes atiende de 08:30 a 17:30" in follow_up


def test_a_procedure_named_only_by_its_kind_asks_which(chat):
    answer = chat.say("necesito un certificado")
    assert "Certificado de residencia" in answer and "Certificado de número domiciliario" in answer
    assert "1." in answer and "¿Cuál es tu nombre" not in answer


def test_the_choice_of_procedure_answered_in_words_on_both_channels(assistant, standins):
    chat = WhatsAppChat(assistant, standins[0], to=ANGOL_WA)
    assert "Renovación o control de licencia" in chat.say("consulta por la licencia")
    answer = chat.say("se me vencio")  # no procedure on its own: the answer to the pending choice
    assert "Renovación o control de licencia de conducir en Angol" in answer
    _, telegram = standins
    chat_id = new_chat()
    for text, expected in (
        ("necesito un certificado", "Certificado de número"),
        ("el del numero de la casa", "Certificado de número domiciliario en Peñalolén"),
    ):
        before = len(telegram.sent(chat_id))
        assert tg_post(assistant, tg_message(chat_id, text)) == 200
        telegram.wait_for(
            lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat_id), before + 1, 60
        )
        time.sleep(1.5)
        seen = [
            m["text"]
            + " ".join(b["text"] for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row)
            for m in telegram.sent(chat_id)[before:]
        ]
        assert any(expected in text for text in seen), seen


def test_a_clear_cancel_drops_the_form_and_nothing_is_sent(chat):
    chat.say("quiero pedir el retiro de un sillon")
    chat.say("Daniela Ortiz")
    stopped = chat.say("ya no quiero seguir")
    assert "cancelé la solicitud" in stopped and not FOLIO.search(stopped)


def test_another_procedure_mid_form_is_offered_as_a_switch_keeping_the_name(chat):
    chat.say("quiero pedir el retiro de un sillon")
    chat.say("Daniela Ortiz")
    offer = chat.say("sabes que mejor no, en realidad quiero reportar una luminaria apagada")
    assert "¿Quieres dejarla" in offer and "luminaria" in offer.lower()
    switched = chat.say("si")
    assert "Dejé la solicitud de Retiro de residuos voluminosos" in switched
    assert "Te ayudo a pedir «Reporte de luminaria" in switched and "¿Cuál es tu nombre" not in switched


def test_a_folio_with_spaces_and_the_rut_in_one_message_is_looked_up_once(chat):
    answer = chat.say("en q va mi solicitud, folio pen zzz998 rut 7.654.321-6")
    assert NOT_FOUND in answer and "¿Con qué RUT" not in answer


def test_an_angry_message_gets_a_person_or_a_formal_complaint(chat):
    answer = chat.say("NO ME SIRVE NADA DE ESTO")
    assert "persona" in answer and "OIRS" in answer


def test_two_procedures_in_one_question_are_both_answered(assistant, standins):
    chat = WhatsAppChat(assistant, standins[0], to=ANGOL_WA)
    answer = chat.say("cuanto sale el permiso de circulacion y la licencia de conducir?")
    assert "Permiso de circulación en Angol" in answer and "Licencia de conducir" in answer


def test_two_questions_in_their_own_clauses_then_a_follow_up_about_one_of_them(assistant, standins):
    _, telegram = standins
    chat_id = new_chat()

    def say(text: str) -> str:
        before = len(telegram.sent(chat_id))
        assert tg_post(assistant, tg_message(chat_id, text)) == 200
        telegram.wait_for(
            lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat_id), before + 1, 60
        )
        time.sleep(1.5)
        return "\n".join(m["text"] for m in telegram.sent(chat_id)[before:])

    both = say("cuanto es el aseo al año y cuanto sale la patente comercial pa un almacen?")
    assert "Derechos de aseo" in both and "Patente comercial en Peñalolén" in both and both.count("Costo:") == 2
    # Typed while "¿De cuál quieres saber más?" waits: that one, and what was asked of it.
    follow_up = say("y la patente cuanto se demora?")
    assert "Patente comercial en Peñalolén" in follow_up and "Plazo:" in follow_up


def test_asked_whether_it_can_be_done_on_the_web_then_asked_to_do_it_here(chat):
    chat.say("cuanto cobran por venir a buscar un colchon viejo?")
    online = chat.say("se puede pedir por la pagina?")
    assert "Retiro de residuos voluminosos" in online and "Edificio Consistorial" not in online
    started = chat.say("ya, mejor pidelo por aca entonces")
    assert "¿Cuál es tu nombre" in started


def test_telegram_start_command_is_a_greeting_not_intent_syntax(assistant, standins):
    _, telegram = standins
    chat_id = new_chat()
    assert tg_post(assistant, tg_message(chat_id, "/start")) == 200
    telegram.wait_for(lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat_id), 1, 60)
    time.sleep(1.5)
    said = "\n".join(m["text"] for m in telegram.sent(chat_id))
    assert "asistente virtual" in said and "{" not in said and "no te entendí" not in said.lower()


def test_a_misspelt_option_is_taken_and_the_form_goes_on_to_its_folio(chat):
    chat.say("quiero pedir la poda de un arbol")
    for answer in ("Ana Soto", "12.345.678-5", "los aromos 1234", "987654321"):
        chat.say(answer)
    asked = chat.say("en la beredaa")
    assert "¿Por qué hay que podar" in asked and "Elige una de las opciones" not in asked
    summary = chat.say("las ramas tocan los cables")
    assert "Vereda / bandejón" in summary and "Revisa tu solicitud" in summary
    assert FOLIO.search(chat.say("si"))


def test_an_offered_request_accepted_in_words_starts(chat):
    assert "¿Quieres hacer la solicitud ahora" in chat.say("cuanto cuesta el retiro de cachureos")
    started = chat.say("ya po, hagalo nomas")
    assert "Te ayudo a pedir «Retiro de residuos voluminosos" in started and "no te entendí" not in started


def test_a_day_after_the_town_hall_hours_and_contact_details_of_the_office_named(chat):
    assert "El lunes atiende" in chat.say("a q hora abre la muni el lunes")
    friday = chat.say("y el viernes hasta q hora")
    assert "El viernes atiende de 08:30 a 16:30" in friday and "Chao" not in friday
    assert "CESFAM Carol Urzúa" in chat.say("donde queda el cesfam")
    town_hall = chat.say("y el correo de la muni?")
    assert "Edificio Consistorial" in town_hall and "oirs@penalolen.cl" in town_hall and "CESFAM" not in town_hall
    chat.say("cuanto es una multa del juzgado")
    juzgado = chat.say("y el telefono del juzgado")
    assert "+56224868700" in juzgado and "Eso no lo sé" not in juzgado


def test_an_outburst_mid_form_gets_a_way_out_and_the_complaint_can_follow(chat):
    chat.say("quiero pedir la poda de un arbol")
    chat.say("Ana Soto")
    offer = chat.say("q lata tanta pregunta, esto es una burla, llevo meses esperando y nadie viene")
    assert "Lamento" in offer and "OIRS" in offer and "persona" in offer
    assert "Cuando terminemos esta solicitud" not in offer and "¿Cuál es tu RUT?" not in offer
    going_on = chat.say("3")  # «No, seguir con esta»
    assert "¿Cuál es tu RUT?" in going_on


def test_two_requests_in_one_message_the_second_offered_after_the_folio(chat):
    first = chat.say("hay un bache gigante en mi calle y ademas la luminaria del pasaje esta apagada hace una semana")
    assert "Veo dos solicitudes" in first and "luminaria" in first.lower()
    for answer in ("los aromos 1234", "un hoyo de un metro en la calle", "omitir", "no tengo"):
        chat.say(answer)
    done = chat.say("si")
    assert FOLIO.search(done) and "Reporte de luminaria" in done
    assert "Te ayudo a pedir «Reporte de luminaria" in chat.say("si")


def test_procedures_named_with_typos_an_elided_kind_or_one_word(chat):
    answer = chat.say("cuanto sale el permiso de sirkulacion")
    assert "Permiso de circulación en Peñalolén" in answer and "¿Sobre cuál" not in answer
    both = chat.say("cuanto cuesta el certificado de residencia y el de numero?")
    assert "Certificado de residencia en Peñalolén" in both and "Certificado de número domiciliario en" in both
    aseo = chat.say("buenas, cuanto es el aseo al año?")
    assert "Derechos de aseo domiciliario en Peñalolén" in aseo and "¿Te refieres" not in aseo


def test_a_vague_question_answered_by_describing_the_case_keeps_what_was_asked(chat):
    """ "¿Qué piden para un permiso?" -> which one; "pa un bingo…, pa juntar plata" chooses it, still about
    the requirements."""
    which = chat.say("hola soy de penalolen, q piden pa un permiso?")
    assert "¿Sobre cuál" in which and "Permiso para eventos" in which
    answer = chat.say("pa un bingo en la plaza, es pa juntar plata pa una vecina enferma")
    assert "Permiso para eventos" in answer
    assert "Requisitos" in answer and "20 días" in answer


def test_after_two_certificates_the_one_named_without_its_kind_is_the_one_answered(assistant, standins):
    chat = WhatsAppChat(assistant, standins[0], to=PROVIDENCIA_WA)
    both = chat.say("cuanto sale el certificado de numero y el de residencia?")
    assert "Certificado de número" in both and "Certificado de residencia" in both
    online = chat.say("el de numero se puede sacar por internet?")
    assert "providencia.cl/provi/tramites/certificado-de-numero" in online


def test_a_detail_told_on_the_summary_is_kept_if_the_citizen_wants_it(assistant, standins):
    chat = WhatsAppChat(assistant, standins[0], to=PROVIDENCIA_WA)
    chat.say("hay un arbol seco en la vereda de mi casa q se puede caer, quiero q lo vengan a ver")
    chat.say("Valentina Ortiz Bravo, rut 12.908.734-K")
    chat.say("Av. Los Leones 1820")
    asked = chat.say("9 6655 4433")  # the tree's place was in the first message: «Vereda / bandejón»
    assert "¿Por qué hay que podar o revisar el árbol?" in asked
    summary = chat.say("en el bandejon")
    assert "Revisa tu solicitud" in summary
    offered = chat.say("esta seco entero y se le caen ramas encima de los autos estacionados")
    assert "¿Agrego esto a «Motivo»?" in offered and "1. Sí, agregar" in offered and not FOLIO.search(offered)
    summary = chat.say("1")
    assert "lo agregué a «Motivo»" in summary and "se le caen ramas encima de los autos" in summary
    assert "Revisa tu solicitud" in summary and not FOLIO.search(summary)
    assert FOLIO.search(chat.say("si, enviala"))


def test_data_told_while_a_choice_is_asked_are_kept_and_a_correction_in_words_is_made(chat):
    asked = chat.say("hola, quiero ingresar algo a la OIRS")
    assert "¿Qué quieres ingresar?" in asked and "1. Reclamo" in asked
    noted = chat.say("Juan Carlos Pizarro Lagos, 14.789.632-8")
    assert "anoté: nombre y RUT" in noted and "¿Qué quieres ingresar?" in noted
    told = "el camion no pasa por calle gamero desde hace 2 semanas y la basura se acumula en la vereda"
    noted = chat.say(told)
    assert "anoté: descripción" in noted and "Pasaporte" not in noted and "¿Qué quieres ingresar?" in noted
    assert "correo" in chat.say("1")
    summary = chat.say("jc.pizarro@gmail.com")
    assert "Revisa tu solicitud" in summary and "Juan Carlos Pizarro Lagos" in summary and "calle gamero" in summary
    corrected = chat.say("no espera, mejor es una sugerencia")
    assert "corregí: tipo" in corrected and "Tipo: Sugerencia" in corrected and not FOLIO.search(corrected)
    assert FOLIO.search(chat.say("si"))


def test_the_kind_of_complaint_named_in_the_first_message_is_not_asked(chat):
    asked = chat.say("QUIERO PONER UN RECLAMO POR QUE EL CAMION DE LA BASURA NO PASA HACE 2 SEMANAS POR MI CALLE")
    assert "¿Qué quieres ingresar?" not in asked and "nombre" in asked


def test_answers_to_other_questions_told_while_the_phone_is_asked_are_kept(assistant, standins):
    chat = WhatsAppChat(assistant, standins[0], to=PROVIDENCIA_WA)
    chat.say("Buenas tardes, quisiera solicitar una audiencia con la alcaldesa.")
    asked = chat.say("Andrés Poblete Saavedra, RUT 16.790.123-9")
    assert "teléfono" in asked
    assert "anoté: correo" in chat.say("apoblete@gmail.com")
    noted = chat.say("El problema de seguridad en la plaza del barrio, en la noche se juntan a tomar y hay peleas.")
    assert "no parece válido" not in noted and "teléfono" in noted
    noted = chat.say("el próximo martes en la mañana")
    assert "no parece válido" not in noted and "teléfono" in noted
    summary = chat.say("912345678")  # any mobile number: the library's table of ranges lags
    assert "Revisa tu solicitud" in summary and "seguridad en la plaza" in summary and "apoblete@gmail.com" in summary
    assert "+56912345678" in summary and FOLIO.search(chat.say("Sí, confirmo"))


def test_what_a_complaint_told_at_first_is_offered_back_not_asked_blind(chat):
    said = "quiero reclamar porque en la oficina de rentas me atendieron pesimo el lunes"
    assert "¿Cuál es tu nombre y apellido?" in chat.say(said)  # «Reclamo» taken from "reclamar"
    chat.say("Marta Soto Rivas")
    chat.say("12.345.678-5")
    asked = chat.say("marta.soto@gmail.com")
    assert "Cuéntanos qué pasó" in asked and f"Me contaste: «{said}»" in asked
    summary = chat.say("si")
    assert "Revisa tu solicitud" in summary and "Tipo: Reclamo" in summary and f"Descripción: {said}" in summary


def test_an_earlier_answer_corrected_mid_form_and_a_question_missed_are_handled(chat):
    asked = chat.say("quiero pedir el retiro de voluminosos")
    assert "¿Cuál es tu nombre" in asked
    again = chat.say("q me pediste? no cache")
    assert "te repito" in again and "¿Cuál es tu nombre" in again and "Costo" not in again
    assert "RUT" in chat.say("ah, Jorge Alvarado Reyes")
    assert "dirección" in chat.say("10.043.823-2")
    assert "teléfono" in chat.say("Antupiren 9100")
    fixed = chat.say("perdon me equivoque en la direccion, es Antupiren 9010 no 9100")
    assert "corregí: dirección" in fixed and "teléfono" in fixed and "no parece válido" not in fixed
    assert "objetos" in chat.say("9 4127 6653")
    kept = chat.say("el fono ya se lo di: 9 4127 6653")
    assert "ya lo tengo" in kept and "objetos" in kept and "anoté" not in kept
    assert "correo" in chat.say("una cama de dos plazas y un velador")
    summary = chat.say("no se cual es mi correo, mi hija me lo hizo y no me acuerdo")
    assert "Revisa tu solicitud" in summary and "Antupiren 9010" in summary and "9100" not in summary
    assert "Jorge Alvarado Reyes" in summary and "velador" in summary and not FOLIO.search(summary)


def test_a_yes_in_words_to_an_offer_is_nobodys_name_nor_the_case(chat):
    assert "¿Quieres hacer la solicitud ahora" in chat.say("cuanto cobran por retirar cachureos?")
    started = chat.say("ya, pidanlo entonces")
    assert "¿Cuál es tu nombre" in started and "Ya tengo parte" not in started
    assert "RUT" in chat.say("Luis Alberto Fuentes Muñoz")
    chat.say("11.483.267-7")
    chat.say("Colipi 845")
    asked = chat.say("9 4561 2378")
    assert "objetos" in asked and "Me contaste" not in asked


def test_a_person_asked_for_or_anger_while_a_lookup_asks_the_folio_ends_the_lookup(chat):
    assert "folio" in chat.say("en que va mi solicitud?")
    handed = chat.say("si, con una persona")
    assert "persona" in handed and "no parece un folio" not in handed and "folio" not in handed.lower()
    other = WhatsAppChat(chat.assistant, chat.twilio)
    assert "folio" in other.say("como va mi tramite?")
    way_out = other.say("no quiero otro formulario, ustedes nunca responden nada")
    assert "Hablar con una persona" in way_out and "folio" not in way_out.lower()


def test_a_vague_call_for_help_gets_the_areas_not_a_procedure(chat):
    areas = chat.say("hola necesito ayuda con algo de la muni")
    assert "Elige un área" in areas and "Ayuda social municipal en" not in areas

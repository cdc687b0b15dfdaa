"""The multi-turn scenario runner's checks and how it reads options from each channel."""

from bot.app.devtools.scenarios import Reply, _chosen, _telegram_reply, _whatsapp_reply, check


def test_facts_are_matched_without_accents_or_case():
    reply = Reply(["Permiso de circulación en Angol\nCosto: $4.500", "¿Quieres hacer la solicitud?"])
    assert (
        check(
            {
                "contiene": ["PERMISO DE CIRCULACION", "4.500"],
                "alguno": ["UTM", "costo"],
                "no_contiene": ["¿Cuál es tu nombre"],
            },
            reply,
        )
        == []
    )
    problems = check({"contiene": ["patente"], "alguno": ["UTM"], "no_contiene": ["angol"], "folio": True}, reply)
    assert len(problems) == 4


def test_punctuation_facts_are_looked_for_as_written_and_button_titles_count_as_seen():
    reply = Reply(["¡Hola! ¿En qué te ayudo?"], [{"title": "Certificado de residencia", "answer": "1"}])
    assert check({"no_contiene": ["{"], "contiene": ["residencia"]}, reply) == []
    assert check({"no_contiene": ["¡"]}, reply) == ["sobra «¡»"]


def test_folio_and_options():
    reply = Reply(["Listo, tu folio es PEN-7KX4M2."], [{"title": "Sí, enviar", "answer": "1"}])
    assert check({"folio": True, "opciones": ["si"]}, reply) == []
    assert check({"folio": False, "opciones": ["Corregir"]}, reply) == [
        "no debía dar folio",
        "falta la opción «Corregir»",
    ]


def test_whatsapp_options_are_the_numbered_list_and_telegram_the_keyboard():
    wa = _whatsapp_reply(
        [
            {"Body": "Hola"},
            {"Body": "¿Cuál?\n\n1. Certificado de residencia\n2. Certificado de número\nResponde 1 o 2."},
        ]
    )
    assert [o["answer"] for o in wa.options] == ["1", "2"] and _chosen(wa, "certificado de numero")["answer"] == "2"
    tg = _telegram_reply(
        [
            {
                "text": "¿Cuál?",
                "reply_markup": {
                    "inline_keyboard": [
                        [{"text": "Sí", "callback_data": "b1"}],
                        [{"text": "No", "callback_data": "b2"}],
                    ]
                },
            }
        ]
    )
    assert _chosen(tg, "si")["answer"] == "b1" and _chosen(tg, "Tal vez") is None
    # A number is the option's place, on either channel: "2" presses the second button.
    assert _chosen(tg, "2")["answer"] == "b2" and _chosen(wa, "1")["answer"] == "1" and _chosen(tg, "3") is None


def test_the_folio_given_earlier_is_written_where_the_citizen_says_it():
    from bot.app.devtools.scenarios import with_folio

    assert with_folio("como va el {folio}?", "PEN-4XK7M2") == "como va el PEN-4XK7M2?"
    assert with_folio("folio {folio_suelto} porfa", "PEN-4XK7M2") == "folio pen 4xk7m2 porfa"
    assert with_folio("como va el {folio}?", "") == "como va el {folio}?"  # none given yet: said as written
    assert with_folio(None, "PEN-4XK7M2") is None  # a button press


def test_the_held_out_score_reads_the_procedure_as_the_dialogue_does():
    """The main procedure is the first ``tramite`` without a role, as ``Message.from_parse`` takes it, though a
    loose alias named after it scores higher."""
    from bot.evaluation import score

    parse = {
        "intent": {"name": "iniciar_tramite"},
        "entities": [
            {"entity": "tramite", "value": "esterilizacion-mascotas", "confidence_entity": 0.99},
            {"entity": "tramite", "value": "registro-mascotas", "confidence_entity": 1.0},
        ],
    }
    example = {"text": "quiero inscribir a mi perrita pa la esterilizacion", "intent": "iniciar_tramite"}
    assert score([{**example, "tramite": "esterilizacion-mascotas"}], [parse])["procedure_accuracy"] == 1.0
    assert score([{**example, "tramite": "registro-mascotas"}], [parse])["procedure_accuracy"] == 0.0

"""How well procedures are recognised in messages never seen in training (cross-validation).

The training examples carry a ``tramite`` in their metadata; each fold trains the
resolver (aliases + classifier) on the other folds and is scored on this one. This
guards against changes to aliases, thresholds or the classifier that hurt recognition.
"""

import random

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.config import PROJECT_ROOT
from bot.matching.classifier import NONE
from bot.nlu.extractor import ProcedureResolver, example_procedure

PROCEDURE_INTENTS = {"consultar_tramite", "iniciar_tramite", "consultar_estado"}
FOLDS = 5


@pytest.fixture(scope="module")
def cross_validation(catalogue):
    data = load_data(str(PROJECT_ROOT / "nlu_data" / "nlu"))
    examples = [(m.get("text"), example_procedure(m), m.get("intent")) for m in data.intent_examples]
    random.Random(13).shuffle(examples)
    phrases = catalogue.names_and_aliases()
    sentences = catalogue.procedure_sentences()
    hits = total = false_positives = negatives = 0
    for fold in range(FOLDS):
        train = [e for i, e in enumerate(examples) if i % FOLDS != fold]
        test = [e for i, e in enumerate(examples) if i % FOLDS == fold]
        resolver = ProcedureResolver(phrases, [t for t, _, _ in train], [s or NONE for _, s, _ in train], sentences)
        for text, slug, intent in test:
            found = resolver.resolve(text, about_a_procedure=intent in PROCEDURE_INTENTS - {"consultar_estado"})
            predicted = found[0][0] if found else None
            if intent in PROCEDURE_INTENTS:
                total += 1
                hits += predicted == slug
            else:
                negatives += 1
                false_positives += predicted is not None and intent not in {"informar"}
    return hits / total, false_positives / negatives


def test_procedures_recognised_in_unseen_messages(cross_validation):
    accuracy, _ = cross_validation
    assert accuracy >= 0.90


def test_few_procedures_invented_in_other_messages(cross_validation):
    _, false_positive_rate = cross_validation
    assert false_positive_rate <= 0.03


@pytest.fixture(scope="module")
def resolver(catalogue):
    data = load_data(str(PROJECT_ROOT / "nlu_data" / "nlu"))
    examples = [(m.get("text"), example_procedure(m) or NONE) for m in data.intent_examples]
    return ProcedureResolver(
        catalogue.names_and_aliases(),
        [t for t, _ in examples],
        [s for _, s in examples],
        catalogue.procedure_sentences(),
    )


def test_a_second_request_told_in_its_own_clause_is_found(resolver):
    text = "hay un hoyo enorme en mi pasaje y tb el poste de la esquina esta apagado hace dias"
    main = [slug for slug, *_ in resolver.resolve(text)]
    assert main[0] == "reporte-bache"
    assert [slug for slug, *_ in resolver.later(text, main)] == ["reporte-luminaria"]
    other = "se cortó la luz del pasaje. además botan basura en el sitio eriazo de la esquina"
    main = [slug for slug, *_ in resolver.resolve(other)]
    assert {main[0], *(slug for slug, *_ in resolver.later(other, main))} == {
        "reporte-luminaria",
        "denuncia-microbasural",
    }


@pytest.mark.parametrize(
    "text",
    [
        "quiero pedir retiro de voluminosos y tengo un sillon y un colchon",  # one request, its details
        "el poste esta apagado y la calle esta oscura",
        "hola buenas, soy de angol y queria saber cuanto cuesta el permiso de circulacion",
    ],
)
def test_clauses_of_one_request_add_no_other(resolver, text):
    assert resolver.later(text, [slug for slug, *_ in resolver.resolve(text)]) == []


def test_a_procedure_described_in_its_own_catalogue_words_is_recognised():
    phrases = {"poda-arboles": ["poda de arboles"], "retiro-voluminosos": ["retiro de voluminosos"]}
    chat = ["hola", "buenas tardes", "gracias", "quiero hablar con alguien", "chao"]
    described = {"poda-arboles": ["Corte de ramas que tocan los cables del tendido eléctrico."]}
    message = "unas ramas tocan los cables del tendido"
    without = ProcedureResolver(phrases, chat, [NONE] * len(chat)).resolve(message)
    with_sentences = ProcedureResolver(phrases, chat, [NONE] * len(chat), described).resolve(message)
    assert [slug for slug, *_ in with_sentences][:1] == ["poda-arboles"]
    assert [slug for slug, *_ in without][:1] != ["poda-arboles"]


def test_a_message_about_a_procedure_names_the_likeliest_one_when_clear(resolver):
    # Read as about a procedure by its intent, the likeliest procedure is taken though "none" looked likelier.
    for said, slug in [
        # Phrasings with no word of the catalogue's: an alias added for one makes it a poor example here.
        ("el abuelo necesita pañales y no tenemos plata", "ayuda-social"),
        ("de noche la plazuela queda a oscuras", "reporte-luminaria"),
    ]:
        assert resolver.resolve(said) == [], said  # "no procedure" looks likelier on its own
        assert [s for s, *_ in resolver.resolve(said, about_a_procedure=True)][:1] == [slug], said
    # A vague message names nothing, whatever its intent.
    assert resolver.resolve("necesito ayuda con una cosa", about_a_procedure=True) == []
    assert resolver.resolve("quiero hacer un tramite", about_a_procedure=True) == []


def test_the_classifier_wins_over_a_loose_alias_it_finds_unlikely(resolver):
    # "multa" is an alias of the fines, but the message is about paying the circulation permit in time.
    said = "hasta q fecha hay plazo pa pagar el permiso pa q circule el auto sin q me cobren multa"
    assert [s for s, *_ in resolver.resolve(said)][:1] == ["permiso-circulacion"]
    # A message that is about the fines keeps the alias.
    assert [s for s, *_ in resolver.resolve("me llego una multa, donde la pago")][:1] == ["multas-jpl"]


def test_a_generic_alias_names_the_family_and_the_rest_of_the_message_the_member(resolver):
    # "carnet de manejar" is an alias of the first licence, but losing it makes it the duplicate.
    said = "se me perdio el carnet de manejar en la micro, como saco otro y cuanto vale"
    found = resolver.resolve(said, about_a_procedure=True)
    assert [s for s, *_ in found][:1] == ["duplicado-licencia"]
    # Its clause is no second request for the first licence.
    assert resolver.later(said, [s for s, *_ in found]) == []
    # Said alone, the alias names its own procedure.
    assert [s for s, *_ in resolver.resolve("cuanto cuesta sacar el carnet de manejar")][:1] == ["licencia-conducir"]


def test_a_change_of_mind_before_a_comma_does_not_hide_the_procedure_after_it(resolver):
    # The refusal first makes the whole message look like no procedure; its last clause is surely one.
    said = "ah no, mejor no, yo lo q queria era sacar el papel q dice donde vivo"
    found = resolver.resolve(said)
    assert [s for s, *_ in found] == ["certificado-residencia"]
    assert said[found[0][2] : found[0][3]].startswith("yo lo q queria")
    # A refusal alone, in clauses, names nothing.
    assert resolver.resolve("no, mejor no, gracias igual, eso seria todo") == []


def test_a_procedure_already_had_is_not_what_a_story_asks_about(resolver):
    said = (
        "terminamos de construir la casa, tenemos el permiso de edificacion aprobado y todo, pero ahora pa "
        "venderla nos piden la recepcion final, q documentos hay q presentar y cuanto cobran??"
    )
    assert [s for s, *_ in resolver.resolve(said, about_a_procedure=True)] == ["recepcion-final"]
    # Nor one it says is not meant.
    said = "no perdon me equivoque, no es un bache, lo q quiero denunciar es un microbasural q hay ahi"
    found = [s for s, *_ in resolver.resolve(said, about_a_procedure=True, requested=True)]
    assert found == ["denuncia-microbasural"] and resolver.later(said, found) == []


def test_a_word_of_one_procedure_names_it_in_a_long_report(resolver):
    # No alias is whole ("foco … apagado"), and the story drowns the classifier: "foco" is the lamps' own word.
    said = (
        "hola buenas tardes, fijese q hace como una semana q el foco de la esquina de ercilla con lautaro esta "
        "apagado y en la noche no se ve nada, los cabros chicos pasan por ahi pa ir al colegio y da miedo"
    )
    assert [s for s, *_ in resolver.resolve(said, about_a_procedure=True, requested=True)][:1] == ["reporte-luminaria"]
    # A question's loose word names nothing: "suelo" is the land-use certificate's, not this cable's.
    asked = "y si hay un cable cortao en el suelo q hago"
    assert "certificado-informaciones-previas" not in [s for s, *_ in resolver.resolve(asked, about_a_procedure=True)]

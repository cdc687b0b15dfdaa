"""Matching procedures and communes as citizens name them, typos included."""

import pytest

from bot.matching.aspects import asked_aspects
from bot.matching.communes import CommuneMatcher
from bot.matching.procedures import ProcedureMatcher


@pytest.fixture(scope="module")
def procedures(catalogue):
    return ProcedureMatcher(catalogue.names_and_aliases())


@pytest.fixture(scope="module")
def communes(catalogue):
    return CommuneMatcher(catalogue.communes)


@pytest.mark.parametrize(
    "text, slug",
    [
        ("cuanto cuesta el permiso de circulacion", "permiso-circulacion"),
        ("permiso de sircualcion", "permiso-circulacion"),
        ("el permiso del auto", "permiso-circulacion"),
        ("pagar la patente del auto", "permiso-circulacion"),
        ("quiero pedir el retiro de cachureos", "retiro-voluminosos"),
        ("hay una luminaria apagada en mi pasaje", "reporte-luminaria"),
        ("se me vencio la licencia", "renovacion-licencia"),
        ("perdi la licencia", "duplicado-licencia"),
        ("renovar la licencia de conducir", "renovacion-licencia"),
        ("hay guarenes en el patio", "desratizacion"),
        ("patente de botilleria", "patente-alcoholes"),
        ("certificado de residensia", "certificado-residencia"),
        ("quiero sacar pasaporte", "pasaporte"),
    ],
)
def test_procedure_aliases_and_typos(procedures, text, slug):
    best = procedures.best(text)
    assert best is not None and best.key == slug


@pytest.mark.parametrize("text", ["hola", "gracias", "cual es la capital de francia", "y cuanto cuesta?"])
def test_no_procedure_in_unrelated_messages(procedures, text):
    assert procedures.best(text) is None


@pytest.mark.parametrize(
    "text, not_slug",
    [
        # Another word in place of one of the alias's is no typo of it.
        ("cuanto cobra la muni por cerrar la calle", "acceso-informacion"),  # "cuanto gasto la municipalidad"
        # A word of the catalogue's own is no misspelling of another of its words.
        ("cuanto sale la basura al año", "denuncia-microbasural"),  # "basural"
        ("quiero ver una felicitacion", "acceso-informacion"),  # "ver una licitacion municipal"
    ],
)
def test_a_different_word_is_no_typo(procedures, text, not_slug):
    assert not_slug not in [m.key for m in procedures.find(text)]


def test_phrase_words_need_a_counterpart_in_the_window():
    from bot.matching.phrases import words_agree

    assert words_agree("permiso de sircualcion", "permiso de circulacion")
    assert words_agree("renovar licencia de conducir", "renovar la licencia de conducir")
    assert words_agree("cuanto cobra la muni", "cuanto cobra la municipalidad")  # an abbreviation
    assert words_agree("acredite q vivo", "acreditar que vivo")  # another form of the verb
    assert not words_agree("cuanto cobra la muni", "cuanto gasto la municipalidad")
    assert not words_agree("permiso para el evento", "permiso para demoler")
    assert not words_agree("ampliacion con permiso", "ampliacion sin permiso")
    assert not words_agree("pasa por", "pasaporte")  # "el camion no pasa por mi calle": a word more abbreviates nothing
    assert not words_agree("la fecha", "la ficha")
    assert not words_agree("de la calle", "luz de la calle")  # a short word that matters is missing
    assert not words_agree("basura", "basural", vocabulary={"basura", "basural"})
    assert words_agree("basurl", "basural", vocabulary={"basura", "basural"})  # a typo, no word of its own
    assert words_agree("la muni", "la municipalidad", vocabulary={"muni", "municipalidad"})


def test_weak_match_is_only_a_suggestion(procedures):
    suggestions = [m.key for m in procedures.suggestions("necesito la lisencia")]
    assert suggestions and all("licencia" in s for s in suggestions)


def test_longer_phrase_is_not_ambiguous(procedures):
    assert procedures.ambiguous("quiero renovar la licencia de conducir") == []


@pytest.mark.parametrize(
    "text, official",
    [
        ("soy de penalolen", "Peñalolén"),
        ("vivo en providensia", "Providencia"),
        ("nunoa", "Ñuñoa"),
        ("puente alto po", "Puente Alto"),
        ("en realidad soy de angol", "Angol"),
        ("de concepcion", "Concepción"),
        ("soy de retiro", "Retiro"),
        ("vivo en stgo", "Santiago"),
        ("soy de vina", "Viña del Mar"),
    ],
)
def test_communes_misspelt_or_not(communes, text, official):
    found = communes.find(text)
    assert found and found[0].key == official


@pytest.mark.parametrize(
    "text",
    [
        "quiero pedir el retiro de cachureos",
        "tome una foto del bache",
        "calle independencia 123",
        "hay un bache en la calle",
        # Streets named after communes: after a street word, at a corner, before a number.
        "el foco de la esquina de ercilla con lautaro esta apagado",
        "vivo en pasaje rio palena 6231",
        "en san luis de macul 5420",
        "maruri con ercilla",
        "quiero saber del retiro",  # the pickup, not the commune Retiro
    ],
)
def test_words_that_are_also_communes_need_context(communes, text):
    assert communes.find(text) == []


@pytest.mark.parametrize(
    "text, aspects",
    [
        ("cuanto cuesta el permiso", ["costo"]),
        ("q papeles piden", ["requisitos"]),
        ("queremos cerrar el pasaje pa una fiesta, q tenemos q presentar?", ["requisitos"]),
        ("donde queda y a que hora atienden", ["lugar", "horario"]),
        ("cuanto se demoran", ["plazo"]),
        ("y sale al tiro?", ["plazo"]),
        ("se puede hacer por internet?", ["en_linea"]),
        ("permiso de circulacion", []),
        # What the citizen's own place must be like: requirements, not where the office is.
        ("y como tiene q ser el lugar donde guardo la lena?", ["requisitos"]),
        ("se puede pedir por aca?", ["en_linea"]),
        # How to pay, not how much; unless an amount is asked too.
        ("y el permiso se puede pagar por internet?", ["en_linea"]),
        ("cuanto sale y se puede pagar por internet?", ["costo", "en_linea"]),
        # The office's phone is asked; the citizen's own is told.
        ("tiene telefono la oirs?", ["contacto"]),
        ("no tengo correo", []),
    ],
)
def test_aspects(text, aspects):
    assert asked_aspects(text) == aspects


def test_classifier_probabilities_are_scikit_learns(catalogue):
    """The classifier's own product gives predict_proba's numbers (it only avoids a copy and joblib)."""
    import numpy as np
    from scipy import sparse

    from bot.matching.classifier import NONE, ProcedureClassifier

    texts, labels = ["hola", "gracias", "buenas tardes"], [NONE] * 3
    for slug, procedure in catalogue.procedures.items():
        texts += [procedure.name, *procedure.aliases]
        labels += [slug] * (1 + len(procedure.aliases))
    classifier = ProcedureClassifier(texts, labels)
    for text in ("cuanto cuesta el permiso de circulacion", "la luz de mi pasaje no prende", "🙂", ""):
        expected = classifier._model.predict_proba([text])[0]
        assert np.allclose(classifier.probabilities(text), expected, atol=1e-9)
        assert classifier.ranked(text, 1)[0][0] == classifier._classes[int(np.argmax(expected))]
        union = classifier._model.steps[0][1]
        stacked = [vectorizer.transform([text]) for _, vectorizer in union.transformer_list]
        assert (union.transform([text]) != sparse.hstack(stacked).tocsr()).nnz == 0  # the row it multiplies


def test_a_procedure_already_had_is_the_story_not_what_is_asked(procedures):
    told = (
        "tenemos el permiso de edificacion aprobado y todo, pero ahora pa venderla nos piden la recepcion final, "
        "q documentos hay q presentar?"
    )
    assert [m.key for m in procedures.find(told)] == ["recepcion-final", "permiso-edificacion"]
    # Nor one the message says it is not about.
    said = "no perdon me equivoque, no es un bache, lo q quiero denunciar es un microbasural q hay ahi"
    assert [m.key for m in procedures.find(said)] == ["denuncia-microbasural", "reporte-bache"]
    # "tengo que sacar…" is an obligation, not a procedure already had.
    said = "tengo q sacar la recepcion final y tambien el permiso de edificacion"
    assert procedures.find(said)[0].key == procedures.find("la recepcion final y el permiso de edificacion")[0].key


def test_the_catalogue_sentence_that_answers_a_question_in_the_citizens_words(catalogue):
    from bot.matching.question_words import sentences_answering

    pets = catalogue.procedures["esterilizacion-mascotas"]
    assert any("ayuno" in s for s in sentences_answering(pets, "¿la mascota tiene que ir sin comer ese día?"))
    # A word of one alias still asks ("permiso de circulacion en cuotas").
    permit = catalogue.procedure_for("independencia", "permiso-circulacion")
    assert any("dos cuotas" in s for s in sentences_answering(permit, "y en cuantas cuotas"))


def test_a_document_offered_for_another_procedure_is_not_what_is_asked(procedures):
    asked = "me sirve el pasaporte pa sacar el certificado de residencia?"
    assert procedures.find(asked)[0].key == "certificado-residencia"
    # Wanting the first for the second is still wanting the first.
    wanted = "necesito el certificado de residencia para sacar la licencia de conducir"
    assert procedures.already_had(wanted) == set()
    assert procedures.already_had(asked) == {"pasaporte"}

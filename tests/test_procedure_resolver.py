"""How well procedures are recognised in messages never seen in training (cross-validation).

The training examples carry a ``tramite`` in their metadata; each fold trains the
resolver (aliases + classifier) on the other folds and is scored on this one. This
guards against changes to aliases, thresholds or the classifier that hurt recognition.
"""
import random

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.matching.classifier import NONE
from bot.nlu.extractor import ProcedureResolver, example_procedure
from bot.config import PROJECT_ROOT

PROCEDURE_INTENTS = {"consultar_tramite", "iniciar_tramite", "consultar_estado"}
FOLDS = 5


@pytest.fixture(scope="module")
def cross_validation(catalogue):
    data = load_data(str(PROJECT_ROOT / "nlu_data" / "nlu"))
    examples = [(m.get("text"), example_procedure(m), m.get("intent")) for m in data.intent_examples]
    random.Random(13).shuffle(examples)
    phrases = catalogue.names_and_aliases()
    hits = total = false_positives = negatives = 0
    for fold in range(FOLDS):
        train = [e for i, e in enumerate(examples) if i % FOLDS != fold]
        test = [e for i, e in enumerate(examples) if i % FOLDS == fold]
        resolver = ProcedureResolver(phrases, [t for t, _, _ in train], [s or NONE for _, s, _ in train])
        for text, slug, intent in test:
            found = resolver.resolve(text)
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

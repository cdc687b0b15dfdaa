"""Rasa's logistic-regression intent classifier, safe for messages without features.

A message with no token (an empty text) lacks some featurizers' output, so its feature
row is narrower than the model's and scikit-learn raises: ``POST /model/parse`` with
``""`` answered 500. Such a message gets no intent (confidence 0: the fallback answers).
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_internals.nlu import fits_model


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """LogisticRegressionClassifier that leaves featureless messages without an intent instead of failing."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Classify each message whose features fit the model; the others get no intent."""
        fitting = []
        for message in messages:
            if not fits_model(self, message):
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
            else:
                fitting.append(message)
        if fitting:
            super().process(fitting)
        return messages

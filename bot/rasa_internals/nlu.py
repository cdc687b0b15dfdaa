"""The feature matrix of Rasa's ``LogisticRegressionClassifier``.

Rasa 3.6.21's classifier builds a message's row with its private ``_create_X`` and
keeps the fitted scikit-learn model in ``clf``.
"""

from __future__ import annotations

from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)


def fits_model(classifier: LogisticRegressionClassifier, message: Message) -> bool:
    """Whether ``message``'s feature row is as wide as the fitted model expects (true before fitting)."""
    expected = getattr(classifier.clf, "n_features_in_", None)
    return expected is None or classifier._create_X([message]).shape[1] == expected

"""A statistical fallback for naming procedures: TF-IDF features and logistic regression.

Aliases catch how a procedure is usually named; citizens also describe it ("el taller
de al lado martilla hasta las 2", "quiero postular al suf"). This classifier learns
from the catalogue's names and aliases plus the training examples labelled with a
``tramite``, from unlabelled examples as the class ``NONE``, and, with less weight, from
what the catalogue says of each procedure (its description, steps and requirements).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from bot.text import normalise

NONE = "__none__"


class ProcedureClassifier:
    """Predicts which procedure (or ``NONE``) a whole message is about."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str], weights: Optional[Sequence[float]] = None) -> None:
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(
                        preprocessor=normalise,
                        analyzer="char_wb",
                        ngram_range=(3, 5),
                        sublinear_tf=True,
                    ),
                ),
            ]
        )
        self._model = make_pipeline(features, LogisticRegression(C=20.0, max_iter=3000))
        sample_weight = None if weights is None else np.asarray(weights, dtype=float)
        self._model.fit(list(texts), list(labels), logisticregression__sample_weight=sample_weight)
        self._classes = list(self._model.classes_)

    @property
    def labels(self) -> List[str]:
        """The labels it knows, in the order of ``probabilities``."""
        return list(self._classes)

    def probabilities(self, text: str) -> np.ndarray:
        """The probability of each label, as ``predict_proba`` computes it (multinomial softmax).

        Computed here with the weights laid out once for the product: scikit-learn multiplies by
        the transposed coefficient matrix, which it copies on every call (a tenth of a turn's CPU);
        and the two vectorizers' rows stacked directly, as ``FeatureUnion.transform`` does but
        without its ``joblib`` dispatch (half of this call's CPU).
        """
        features, regression = self._model.steps[0][1], self._model.steps[-1][1]
        weights = getattr(self, "_weights", None)
        if weights is None:  # also for classifiers pickled before this existed
            weights = self._weights = (np.ascontiguousarray(regression.coef_.T), regression.intercept_)
        row = sparse.hstack([vectorizer.transform([text]) for _, vectorizer in features.transformer_list]).tocsr()
        scores = np.asarray(row @ weights[0]).ravel() + weights[1]
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def ranked(self, text: str, limit: Optional[int] = 3) -> List[Tuple[str, float]]:
        """The most probable labels for ``text`` with their probabilities, best first (``None``: all)."""
        probs = self.probabilities(text)
        order = np.argsort(probs)[::-1][:limit]
        return [(self._classes[i], float(probs[i])) for i in order]

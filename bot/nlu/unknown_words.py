"""Marks as not understood the messages made only of words the assistant has never seen.

DIET always picks some intent, even for "xkcd qwpz"; such a message then gets a
confident but random answer. This component, placed before the FallbackClassifier,
sets the intent confidence to zero when no word of the message resembles any word
of the training data or the catalogue and no entity was found, so the fallback
asks to rephrase instead.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rapidfuzz import fuzz, process
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue.files import catalogue_fingerprint, load_catalogue
from bot.config import catalogue_dir
from bot.text import normalise

MODEL_FILE = "vocabulary.json"
# A word counts as known when it is this similar to a known word (typos are fine).
KNOWN_WORD_SCORE = 70.0


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """Zeroes the intent confidence of messages with no known word and no entity."""

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The catalogue is learned too: a catalogue edit retrains this component (not restored from cache)."""
        return catalogue_fingerprint(catalogue_dir())

    def __init__(self, model_storage: ModelStorage, resource: Resource, vocabulary: Optional[List[str]] = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = sorted(set(vocabulary or []))
        self._known = set(self._vocabulary)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UnknownWordsGuard":
        """An untrained guard."""
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Collect every normalised word of the training examples and the catalogue."""
        words = set()
        for message in training_data.intent_examples:
            words.update(normalise(message.get(TEXT) or "").split())
        for phrases in load_catalogue(catalogue_dir()).names_and_aliases().values():
            for phrase in phrases:
                words.update(normalise(phrase).split())
        self._vocabulary = sorted(words)
        self._known = set(words)
        with self._model_storage.write_to(self._resource) as path:
            (path / MODEL_FILE).write_text(json.dumps(self._vocabulary, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "UnknownWordsGuard":
        """Read the vocabulary stored at training time."""
        with model_storage.read_from(resource) as path:
            vocabulary = json.loads((path / MODEL_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, vocabulary)

    def knows_some_word(self, text: str) -> bool:
        """Whether any word of ``text`` is, or resembles, a known word."""
        for word in normalise(text).split():
            if word in self._known or word.isdigit():
                return True
            if len(word) > 2 and process.extractOne(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=KNOWN_WORD_SCORE
            ):
                return True
        return False

    def process(self, messages: List[Message]) -> List[Message]:
        """Zero the confidence of messages the assistant cannot have understood."""
        for message in messages:
            intent = message.get(INTENT)
            if not intent or message.get(ENTITIES) or self.knows_some_word(message.get(TEXT) or ""):
                continue
            message.set(INTENT, {**intent, "confidence": 0.0}, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT_RANKING_KEY, [{**r, "confidence": 0.0} for r in ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data

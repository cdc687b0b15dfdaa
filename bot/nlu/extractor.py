"""Rasa NLU component that extracts the municipal entities, already normalised.

``tramite`` (catalogue slug), ``comuna`` (official name), ``rut`` (12345678-5),
``email``, ``telefono`` (E.164) and ``folio`` come out ready to use, so
``POST /model/parse`` returns values an action can use as they are.

Procedures are found two ways and reconciled: rapidfuzz against the catalogue's
names and aliases (precise when a known phrase is there, even misspelt), and a
classifier trained on those phrases plus the training examples whose metadata
names a ``tramite`` (for descriptions such as "el vecino martilla hasta las 2").
The catalogue phrases and the examples are stored in the model, so a trained
model answers the same whatever the catalogue folder holds later. Once loaded, the
names, aliases and communes follow the catalogue loaded in the database instead
(bot/nlu/live_catalogue.py): a ``catalogue load`` is recognised without training.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue.catalogue import Commune
from bot.catalogue.files import catalogue_fingerprint, load_catalogue
from bot.config import catalogue_dir
from bot.domain_names import Intent
from bot.matching.classifier import NONE, ProcedureClassifier
from bot.matching.communes import CommuneMatcher
from bot.matching.phrases import PhraseMatch
from bot.matching.procedures import ProcedureMatcher
from bot.nlu.entities import find_structured
from bot.nlu.live_catalogue import LiveCatalogue, Recognisers
from bot.text import words_with_spans

logger = logging.getLogger(__name__)

MODEL_FILE = "municipal_entities.json"
# A second procedure in the same message is reported only when named this clearly.
SECOND_PROCEDURE_SCORE = 95.0
# An alias match this good wins unless the classifier is very sure of another procedure.
STRONG_ALIAS_SCORE = 90.0
CLASSIFIER_OVERRIDES_ALIAS = 0.7
# ... or fairly sure of another and finds the alias's procedure unlikely: "pagar el permiso pa q circule
# el auto sin q me cobren multa" is the circulation permit, though "multa" names the fines.
CLASSIFIER_DISAGREES = 0.5
DISAGREEMENT_RATIO = 4.0
# Without a strong alias, the classifier names a procedure from this probability.
CLASSIFIER_MIN_PROBABILITY = 0.3
# A second request told in its own clause ("hay un hoyo … y tb el poste … esta apagado"): the role of its
# entity, so the first ``tramite`` stays the main one; the classifier must be this sure of the clause.
LATER_ROLE = "siguiente"
# A sentence of a procedure's description counts half a training example: it is how the
# town hall writes, not how a citizen does.
SENTENCE_WEIGHT = 0.5
# When the intent says the message is about a procedure but none stood out against "no procedure"
# ("el banco me pide un papel q muestre donde vivo"), the likeliest procedure among the procedures alone
# names it, if it has this share of their probability and twice the runner-up's, and is not a mere
# trace ("necesito ayuda con una cosa" is no request for social aid).
AMONG_PROCEDURES_SHARE = 0.3
AMONG_PROCEDURES_RATIO = 2.0
AMONG_PROCEDURES_MIN_PROBABILITY = 0.1
# A procedure named only by a word of its own (see ``_distinctive_word``): sure enough to ask about it.
DISTINCTIVE_WORD_CONFIDENCE = 0.6
PROCEDURE_INTENTS = frozenset({Intent.CONSULTAR_TRAMITE, Intent.INICIAR_TRAMITE})
CLAUSE_PROBABILITY = 0.6
MIN_CLAUSE_WORDS = 3
_CLAUSE_WORDS = {"y", "e", "ademas", "tambien", "aparte"}
_CLAUSE_MARKS = re.compile(r"[.;!?\n]")
# Where the one procedure of a message may be told apart from what comes before it (a comma too).
_SOFT_CLAUSE_MARKS = re.compile(r"[.,;:!?\n]")


def example_procedure(message: Message) -> Optional[str]:
    """The ``tramite`` slug in a training example's metadata, if any."""
    metadata = message.get("metadata") or {}
    example = metadata.get("example") or {}
    return example.get("tramite") if isinstance(example, dict) else None


class ProcedureResolver:
    """Reconciles alias matching and the classifier into one decision per message."""

    def __init__(
        self,
        phrases: Dict[str, List[str]],
        texts: List[str],
        labels: List[str],
        sentences: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        self.matcher = ProcedureMatcher(phrases)
        named = [(slug, p, 1.0) for slug, ps in phrases.items() for p in ps]
        described = [(slug, s, SENTENCE_WEIGHT) for slug, ss in (sentences or {}).items() for s in ss]
        examples = [(label, text, 1.0) for text, label in zip(texts, labels, strict=True)]
        every = named + described + examples
        self.classifier = ProcedureClassifier(
            [text for _, text, _ in every], [label for label, _, _ in every], [w for _, _, w in every]
        )

    def resolve(
        self, text: str, about_a_procedure: bool = False, requested: bool = False
    ) -> List[Tuple[str, float, int, int]]:
        """``(slug, confidence, start, end)`` for the procedures named in ``text``, main first.

        ``about_a_procedure``: the intent says the message asks about or for a procedure, so the likeliest
        one is taken when clear among procedures, even if "no procedure" seemed likelier. ``requested``: the
        intent says it asks for one: a word of one procedure only names it (a question's loose word does not:
        "¿y si hay un cable en el suelo?" is no land-use certificate).
        """
        # ``had``: named as already had, or as not meant ("no es un bache"): the story, never what is asked.
        aliases, had = self.matcher.find_with_had(text)
        alias: Optional[PhraseMatch] = aliases[0] if aliases else None
        ranking = self.classifier.ranked(text, limit=None)  # every label: "no procedure" is ruled out below
        top, probability = ranking[0]
        chosen: Optional[Tuple[str, float, int, int]] = None
        if alias and alias.score >= STRONG_ALIAS_SCORE:
            alias_probability = dict(ranking).get(alias.key, 0.0)
            disagrees = probability >= CLASSIFIER_DISAGREES and probability >= DISAGREEMENT_RATIO * alias_probability
            sibling = self._family_member(alias, [(slug, p) for slug, p in ranking if slug not in had])
            overrides = top not in had and (probability >= CLASSIFIER_OVERRIDES_ALIAS or disagrees)
            if top not in (NONE, alias.key) and overrides:
                chosen = (top, probability, 0, len(text))
            elif sibling is not None:
                chosen = (sibling[0], sibling[1], alias.start, alias.end)
            else:
                chosen = (alias.key, alias.score / 100, alias.start, alias.end)
        elif top != NONE and probability >= CLASSIFIER_MIN_PROBABILITY:
            chosen = (top, probability, 0, len(text))
        elif alias:
            chosen = (alias.key, alias.score / 100, alias.start, alias.end)
        if chosen is None:
            chosen = self._clause_procedure(text)
        if chosen is None and about_a_procedure:
            # "…el foco de la esquina de ercilla con lautaro esta apagado y…": a word of one procedure's names
            # only, in a long story whose whole the classifier cannot place.
            chosen = (self._distinctive_word(text) if requested else None) or self._likeliest_procedure(text, ranking)
        if chosen is None:
            return []
        others = [
            (m.key, m.score / 100, m.start, m.end)
            for m in aliases[1:]
            if m.score >= SECOND_PROCEDURE_SCORE and m.key != chosen[0] and m.key not in had
        ]
        return [chosen, *others]

    def _family_member(self, alias: PhraseMatch, ranking: List[Tuple[str, float]]) -> Optional[Tuple[str, float]]:
        """Another procedure of the alias's family that the classifier finds likelier than the alias's own.

        "se me perdio el carnet de manejar": "carnet de manejar" names the licence's family, and the
        classifier tells the duplicate from the first licence by the rest of the message.
        """
        family = self.matcher.family(alias)
        if len(family) < 2:
            return None
        members = [(slug, p) for slug, p in ranking if slug in family]
        best = members[0] if members else None
        if best is None or best[0] == alias.key:
            return None
        return best

    def _distinctive_word(self, text: str) -> Optional[Tuple[str, float, int, int]]:
        """The one procedure whose own word the message uses, with that word's span, if only one."""
        slug = self.matcher.by_distinctive_word(text)
        if slug is None:
            return None
        own = self.matcher.distinctive_words(text)
        spans = [(start, end) for word, start, end in words_with_spans(text) if own.get(word) == slug]
        return (slug, DISTINCTIVE_WORD_CONFIDENCE, spans[0][0], spans[0][1]) if spans else None

    def _likeliest_procedure(
        self, text: str, ranking: List[Tuple[str, float]]
    ) -> Optional[Tuple[str, float, int, int]]:
        """The procedure the classifier finds likeliest once "no procedure" is ruled out, when clear.

        ``ranking``: every label of the classifier for ``text``, best first.
        """
        among = 1.0 - dict(ranking)[NONE]
        procedures = [(slug, p / among) for slug, p in ranking if slug != NONE][:2] if among > 0 else []
        if not procedures:
            return None
        (slug, share), runner_up = procedures[0], (procedures[1][1] if len(procedures) > 1 else 0.0)
        clear = share >= AMONG_PROCEDURES_SHARE and share >= AMONG_PROCEDURES_RATIO * runner_up
        if clear and share * among >= AMONG_PROCEDURES_MIN_PROBABILITY:
            return (slug, share * among, 0, len(text))
        return None

    def _clause_procedure(self, text: str) -> Optional[Tuple[str, float, int, int]]:
        """A procedure the classifier is sure of in one clause, when the rest of the message drowns it.

        "sabes q mejor no, lo q de verdad necesito es q poden un arbol": the change of mind before the
        comma makes the whole message look like no procedure; its second clause is surely the pruning.
        """
        clauses = _clause_spans(text, _SOFT_CLAUSE_MARKS)
        for start, end, words in clauses if len(clauses) > 1 else []:
            if words < MIN_CLAUSE_WORDS:
                continue
            top, probability = self.classifier.ranked(text[start:end], limit=1)[0]
            if top != NONE and probability >= CLAUSE_PROBABILITY:
                return (top, probability, start, end)
        return None

    def later(self, text: str, named: List[str]) -> List[Tuple[str, float, int, int]]:
        """Other procedures told in clauses of their own ("… y tb el poste de la esquina esta apagado").

        The message is cut at "y", "además", "también" and sentence marks; a clause of a few words
        names a procedure by a strong alias or a sure classifier. ``named`` are those already found.
        """
        found: List[Tuple[str, float, int, int]] = []
        named = [*named, *self.matcher.already_had(text)]  # "no es un bache, …": no request for it
        for start, end in _clauses(text):
            clause = text[start:end]
            aliases = [m for m in self.matcher.find(clause) if m.score >= STRONG_ALIAS_SCORE]
            top, probability = self.classifier.ranked(clause, limit=1)[0]
            slug = aliases[0].key if aliases else (top if top != NONE and probability >= CLAUSE_PROBABILITY else None)
            if aliases and self.matcher.family(aliases[0]) & set(named):
                continue  # "el carnet de manejar" in the clause is the family of the duplicate already named
            if slug and slug not in named and slug not in {f[0] for f in found}:
                found.append((slug, aliases[0].score / 100 if aliases else probability, start, end))
        return found


def _clause_spans(text: str, marks: "re.Pattern[str]") -> List[Tuple[int, int, int]]:
    """``(start, end, words)`` of every clause of a message, cut at ``marks`` and "y", "además"..."""
    words = words_with_spans(text)
    if not words:
        return []
    cuts = [0]
    for index in range(1, len(words)):
        between = text[words[index - 1][2] : words[index][1]]
        if words[index][0] in _CLAUSE_WORDS or marks.search(between):
            if index - cuts[-1] >= 1 and words[index - 1][0] not in _CLAUSE_WORDS:
                cuts.append(index)
    return [(words[a][1], words[b - 1][2], b - a) for a, b in zip(cuts, cuts[1:] + [len(words)], strict=False)]


def _clauses(text: str) -> List[Tuple[int, int]]:
    """Character spans of the clauses of a few words of a message that has more than one (else nothing)."""
    spans = [(start, end) for start, end, words in _clause_spans(text, _CLAUSE_MARKS) if words >= MIN_CLAUSE_WORDS]
    return spans if len(spans) > 1 else []


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class MunicipalEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds procedures, communes, RUTs, e-mails, phones and folios in a message."""

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The catalogue is learned too: a catalogue edit retrains this component (not restored from cache)."""
        return catalogue_fingerprint(catalogue_dir())

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """``catalogue_dir``: the catalogue folder (default: $CATALOGUE_DIR or ./catalogue)."""
        return {"catalogue_dir": None}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        data: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._data = data
        self._live: Optional[LiveCatalogue] = None
        if data:
            self._build(data)

    def _build(self, data: Dict[str, Any], follow_database: bool = False) -> None:
        """The recognisers of ``data``; ``follow_database``: then those of the catalogue loaded in the database."""
        trained = Recognisers(
            ProcedureResolver(data["phrases"], data["texts"], data["labels"], data.get("sentences")),
            CommuneMatcher([Commune(*c) for c in data["communes"]]),
        )
        if not follow_database:
            self._live = LiveCatalogue(trained, data)
            return
        live = LiveCatalogue.following_database(trained, data, STRONG_ALIAS_SCORE)
        live.poll_once()  # the first message already uses the loaded catalogue
        live.start()
        self._live = live

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MunicipalEntityExtractor":
        """An untrained component (see ``train``)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Collect catalogue phrases and labelled examples, fit, and persist them."""
        folder = Path(self._config.get("catalogue_dir") or catalogue_dir())
        catalogue = load_catalogue(folder)
        texts, labels = [], []
        for message in training_data.intent_examples:
            texts.append(message.get(TEXT))
            labels.append(example_procedure(message) or NONE)
        data = {
            "phrases": catalogue.names_and_aliases(),
            "sentences": catalogue.procedure_sentences(),
            "texts": texts,
            "labels": labels,
            "communes": [[c.name, c.region, list(c.aliases)] for c in catalogue.communes],
        }
        self._data = data
        self._build(data)
        with self._model_storage.write_to(self._resource) as path:
            (path / MODEL_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "MunicipalEntityExtractor":
        """Rebuild the matchers and refit the classifier from the stored data; then follow the database catalogue."""
        with model_storage.read_from(resource) as path:
            data = json.loads((path / MODEL_FILE).read_text(encoding="utf-8"))
        component = cls(config, model_storage, resource)
        component._data = data
        component._build(data, follow_database=True)
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training messages keep their annotations; nothing to add."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the entities found in each message to its parse result."""
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            found = self.extract(
                message.get(TEXT) or "",
                about_a_procedure=intent in PROCEDURE_INTENTS,
                requested=intent == Intent.INICIAR_TRAMITE,
            )
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def extract(self, text: str, about_a_procedure: bool = False, requested: bool = False) -> List[Dict[str, Any]]:
        """The entities of one text, as Rasa entity dictionaries (``about_a_procedure``, ``requested``: see
        ``resolve``)."""
        if self._live is None:
            raise RuntimeError("MunicipalEntityExtractor is not trained")
        recognisers = self._live.current()  # once: a swap meanwhile does not mix two catalogues
        entities = [self._entity(f.entity, f.value, f.start, f.end, f.confidence) for f in find_structured(text)]
        taken = [(e["start"], e["end"]) for e in entities]
        procedures = recognisers.resolver.resolve(text, about_a_procedure, requested)
        for slug, confidence, start, end in procedures:
            entities.append(self._entity("tramite", slug, start, end, confidence))
            if (start, end) != (0, len(text)):  # a named procedure, not a whole-message guess
                taken.append((start, end))
        if procedures:
            for slug, confidence, start, end in recognisers.resolver.later(text, [p[0] for p in procedures]):
                entities.append({**self._entity("tramite", slug, start, end, confidence), "role": LATER_ROLE})
        for match in recognisers.communes.find(text):
            # "certificado de nacimiento" names a procedure, not the commune Nacimiento.
            if not any(match.start < end and start < match.end for start, end in taken):
                entities.append(self._entity("comuna", match.key, match.start, match.end, match.score / 100))
        return sorted(entities, key=lambda e: e["start"])

    def _entity(self, name: str, value: str, start: int, end: int, confidence: float) -> Dict[str, Any]:
        return {
            "entity": name,
            "value": value,
            "start": start,
            "end": end,
            "confidence_entity": round(float(confidence), 3),
            "extractor": self.__class__.__name__,
        }

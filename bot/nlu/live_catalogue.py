"""The catalogue phrases the NLU recognises, following the catalogue loaded in the database.

The trained model keeps what training learned: the intent classifier, and the procedure
classifier fitted on the example sentences (and on the catalogue as it was then). The names
and aliases of the procedures and the communes are not frozen: ``LiveCatalogue`` polls the
fingerprint of the newest ``python -m bot catalogue load`` (one indexed row, at most every
``CATALOGUE_REFRESH_SECONDS``), and when it changed rebuilds the alias and commune matchers
in a background thread and swaps them in as one object, so a parse uses either the old
matchers or the new ones, never half of each. Every Rasa process (replica) polls on its own.

While no catalogue is loaded in the database (a fresh clone, ``rasa`` run on its own), the
matchers are the ones stored in the model, exactly as trained. When the database holds the
same phrases as the model, the trained matchers are kept as they are.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.catalogue.catalogue import Catalogue, Commune
from bot.config import database_url, settings
from bot.matching.classifier import NONE, ProcedureClassifier
from bot.matching.communes import CommuneMatcher
from bot.matching.phrases import PhraseMatch
from bot.matching.procedures import ProcedureMatcher
from bot.storage.catalogue_store import newest_fingerprint, read_catalogue
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.nlu.extractor import ProcedureResolver

logger = logging.getLogger(__name__)

# However low CATALOGUE_REFRESH_SECONDS is set, the NLU polls at most this often.
MIN_POLL_SECONDS = 1.0


def catalogue_phrases(catalogue: Catalogue) -> Dict[str, Any]:
    """What the NLU recognises of a catalogue, as the model stores it: ``phrases`` (every name and
    alias, by slug) and ``communes`` (``[name, region, aliases]``)."""
    return {
        "phrases": catalogue.names_and_aliases(),
        "communes": [[c.name, c.region, list(c.aliases)] for c in catalogue.communes],
    }


def _same_phrases(a: Dict[str, List[str]], b: Dict[str, List[str]]) -> bool:
    return a.keys() == b.keys() and all(sorted(a[k]) == sorted(b[k]) for k in a)


def _commune_key(communes: Sequence[Sequence[Any]]) -> List[Tuple[str, str, Tuple[str, ...]]]:
    return sorted((str(name), str(region), tuple(aliases)) for name, region, aliases in communes)


@dataclass(frozen=True)
class Recognisers:
    """What one parse uses, swapped as one: the procedure resolver and the commune matcher.

    ``fingerprint``: the database catalogue load they follow (``None``: the model as trained).
    """

    resolver: ProcedureResolver
    communes: CommuneMatcher
    fingerprint: Optional[str] = None


class CatalogueClassifier(ProcedureClassifier):
    """The trained procedure classifier (never refitted), for a catalogue that changed since training.

    A procedure gone from the catalogue is never named: its probability goes to "no procedure".
    A procedure added after training is unknown to the classifier, so it has no opinion on it: when
    a message names one by a strong alias ("¿cuánto sale el arriendo de la piscina?"), the classifier
    defers to it instead of taking the alias for a mistake and naming the nearest procedure it knows.
    """

    # Of the probability, what the new procedures named by a strong alias take (the rest is scaled down).
    DEFERRED_SHARE = 0.9

    def __init__(
        self, trained: ProcedureClassifier, matcher: ProcedureMatcher, procedures: AbstractSet[str], strong_score: float
    ) -> None:  # no refit: nothing of ProcedureClassifier.__init__
        self._trained = trained
        self._matcher = matcher
        self._strong = strong_score
        self._classes = trained.labels
        self._gone = {c for c in self._classes if c != NONE and c not in procedures}
        self._new = set(procedures) - set(self._classes)

    def ranked(self, text: str, limit: Optional[int] = 3) -> List[Tuple[str, float]]:
        """As ``ProcedureClassifier.ranked``, for the procedures of the current catalogue."""
        probs = self._trained.probabilities(text)
        scores = dict(zip(self._classes, (float(p) for p in probs), strict=True))
        if self._gone:
            moved = sum(scores.pop(c) for c in self._gone)
            scores[NONE] = scores.get(NONE, 0.0) + moved
        named = (
            {m.key for m in self._matcher.find(text) if m.key in self._new and m.score >= self._strong}
            if self._new
            else set()
        )
        if named:
            scores = {c: p * (1 - self.DEFERRED_SHARE) for c, p in scores.items()}
            scores.update({slug: self.DEFERRED_SHARE / len(named) for slug in named})
        ranking = sorted(scores.items(), key=lambda item: -item[1])
        return ranking[:limit] if limit is not None else ranking

    def probabilities(self, text: str) -> np.ndarray:
        """Those of ``ranked``, in the order of ``labels`` (the trained ones)."""
        scores = dict(self.ranked(text, limit=None))
        return np.array([scores.get(c, 0.0) for c in self._classes])


class RememberingMatcher(ProcedureMatcher):
    """A ``ProcedureMatcher`` that remembers its last answers: the resolver and ``CatalogueClassifier``
    look up the same message (and clauses) one after the other."""

    REMEMBERED = 64

    def __init__(self, names_and_aliases: Dict[str, List[str]]) -> None:
        super().__init__(names_and_aliases)
        self._found: "OrderedDict[str, List[PhraseMatch]]" = OrderedDict()
        self._lock = threading.Lock()

    def find(self, text: str) -> List[PhraseMatch]:
        """As ``ProcedureMatcher.find``."""
        with self._lock:
            found = self._found.get(text)
        if found is None:
            found = super().find(text)
            with self._lock:
                self._found[text] = found
                while len(self._found) > self.REMEMBERED:
                    self._found.popitem(last=False)
        return list(found)


def follow_phrases(
    trained: Recognisers, trained_data: Dict[str, Any], live: Dict[str, Any], strong_score: float
) -> Recognisers:
    """Recognisers for the ``live`` phrases (see ``catalogue_phrases``), reusing what did not change.

    The resolver's alias matcher is the only part of it built from the phrases; its classifier stays
    the trained one (see ``CatalogueClassifier``). Equal phrases keep the trained objects themselves.
    ``strong_score``: an alias match this good names its procedure (the resolver's threshold).
    """
    resolver = trained.resolver
    if not _same_phrases(live["phrases"], trained_data["phrases"]):
        resolver = copy.copy(trained.resolver)
        resolver.matcher = RememberingMatcher(live["phrases"])
        classifier = trained.resolver.classifier
        if set(classifier.labels) ^ (set(live["phrases"]) | {NONE}):
            resolver.classifier = CatalogueClassifier(classifier, resolver.matcher, set(live["phrases"]), strong_score)
    communes = trained.communes
    if _commune_key(live["communes"]) != _commune_key(trained_data["communes"]):
        communes = CommuneMatcher([Commune(name, region, tuple(aliases)) for name, region, aliases in live["communes"]])
    return Recognisers(resolver, communes)


class DatabaseCatalogue:
    """The catalogue loaded in a database, read without creating the database or its tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db: Optional[Database] = None

    @classmethod
    def configured(cls) -> "DatabaseCatalogue":
        """The database of ``DATABASE_URL`` (by default SQLite in VAR_DIR)."""
        return cls(database_url())

    def _database(self) -> Optional[Database]:
        if self._db is None:
            url = make_url(self.url)
            if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
                if not Path(url.database).exists():
                    return None  # never made: connecting would create an empty file
            self._db = Database(self.url)
        return self._db

    def fingerprint(self) -> Optional[str]:
        """Fingerprint of the newest catalogue load, or ``None`` while there is none (or no table yet)."""
        db = self._database()
        if db is None:
            return None
        try:
            return newest_fingerprint(db)
        except (OperationalError, ProgrammingError) as exc:
            if "catalogue_versions" in str(exc):  # the schema is not there yet: nothing loaded
                return None
            raise

    def read(self) -> Tuple[Optional[str], Optional[Catalogue]]:
        """``(fingerprint, catalogue)`` of one load, or ``(None, None)`` when a load changed it meanwhile."""
        before = self.fingerprint()
        if before is None:
            return None, None
        db = self._database()
        assert db is not None  # it answered the fingerprint
        catalogue = read_catalogue(db)
        return (before, catalogue) if self.fingerprint() == before else (None, None)

    def close(self) -> None:
        """Close the pooled connections."""
        if self._db is not None:
            self._db.dispose()


class LiveCatalogue:
    """The current ``Recognisers`` of a loaded model, following the database catalogue.

    ``trained``: the recognisers built from what the model stores, ``trained_data`` (its ``phrases``
    and ``communes`` at least); ``source``: the database to follow (``None``: the model as trained).
    """

    def __init__(
        self,
        trained: Recognisers,
        trained_data: Dict[str, Any],
        source: Optional[DatabaseCatalogue] = None,
        poll_seconds: float = 5.0,
        strong_score: float = 90.0,
    ) -> None:
        self._trained_data = trained_data
        self._strong_score = strong_score
        self._trained = trained
        self._current = self._trained
        self._source = source
        self._poll_seconds = max(MIN_POLL_SECONDS, poll_seconds)
        self._seen: Optional[str] = None  # the newest fingerprint looked at (built or not)
        self._refreshing = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._failing = False

    @classmethod
    def following_database(
        cls, trained: Recognisers, trained_data: Dict[str, Any], strong_score: float
    ) -> "LiveCatalogue":
        """Following the database of ``DATABASE_URL``, polled every ``CATALOGUE_REFRESH_SECONDS``."""
        poll = settings().catalogue_refresh_seconds
        return cls(trained, trained_data, DatabaseCatalogue.configured(), poll, strong_score)

    def current(self) -> Recognisers:
        """The recognisers to use for one message (take them once per message)."""
        return self._current

    def refresh(self) -> bool:
        """Check the database once; rebuild and swap when the catalogue changed. ``True`` if swapped.

        Cheap when nothing changed (one indexed row). Errors propagate; the current recognisers stay.
        """
        if self._source is None:
            return False
        with self._refreshing:
            newest = self._source.fingerprint()
            if newest is None or newest == self._seen:
                return False
            started = time.monotonic()
            fingerprint, catalogue = self._source.read()
            if fingerprint is None or catalogue is None:
                return False  # a load happened while reading: the next poll reads it
            live = catalogue_phrases(catalogue)
            built = follow_phrases(self._trained, self._trained_data, live, self._strong_score)
            self._current = Recognisers(built.resolver, built.communes, fingerprint)  # one assignment: atomic
            self._seen = fingerprint
        logger.info(
            "Catálogo de la base en el NLU: %d trámites, %d municipalidades (%s, %.1f s)",
            len(live["phrases"]),
            len(catalogue.municipalities),
            "como el modelo" if built.resolver is self._trained.resolver else "frases nuevas",
            time.monotonic() - started,
        )
        return True

    def poll_once(self) -> None:
        """``refresh``, logging a failure (once until it works again) instead of raising."""
        try:
            self.refresh()
            if self._failing:
                logger.info("El catálogo de la base vuelve a leerse.")
            self._failing = False
        except Exception:  # the database may be down for a while: keep the current recognisers
            if not self._failing:
                logger.warning("No se pudo leer el catálogo de la base; se sigue con el actual.", exc_info=True)
            self._failing = True

    def start(self) -> None:
        """Poll in a daemon thread, off the event loop, until ``stop`` (or this object is collected)."""
        if self._source is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=_poll, args=(weakref.ref(self), self._stop, self._poll_seconds), name="catalogo-en-vivo", daemon=True
        )
        weakref.finalize(self, self._stop.set)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and close the database connections."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._source is not None:
            self._source.close()


def _poll(ref: "weakref.ReferenceType[LiveCatalogue]", stop: threading.Event, seconds: float) -> None:
    while not stop.wait(seconds):
        live = ref()
        if live is None:
            return
        live.poll_once()
        del live  # no strong reference while waiting: the component may be collected

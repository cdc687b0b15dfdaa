"""Measured speed-ups of the Rasa server (``make bench``, README "Rendimiento").

``python -m bot run`` applies them before Rasa starts (bot/app/rasa_server.py);
``RASA_SPEEDUPS=0`` leaves Rasa untouched, to compare.

- Rasa 3.6 checks every action server response with ``jsonschema.validate``, which
  with jsonschema 4.17 re-validates the (fixed) response *schema* against the
  draft-2020-12 metaschema on every call: ~35 ms of CPU per custom action, more than
  the NLU. Here the validator is built and the schema checked once; each response is
  still validated against the same schema and an invalid one raises the same
  ``ValidationError`` (best match, same message). Even so, collecting every error of a
  valid response tried each event against all 23 event kinds of the schema's ``oneOf``
  (~2 ms per action). A response is first checked event by event against its own kind
  alone (``_EventKinds``: exactly as valid, see there); only one that fails that check
  goes through the whole schema, for Rasa's error.
- Reading a conversation from the tracker store turns every stored event into its
  class with ``Event.resolve_by_type``, which walks all ``Event`` subclasses
  (recursively, with ``inspect.isabstract``) for *each* event: ~1,700 calls per
  turn here. The class found for a type name is remembered; unknown names still go
  through Rasa's own lookup (same default, same error).
- Every call to the action server (two or more per turn) opened a new ``aiohttp``
  session and TCP connection, on both sides. An endpoint now keeps one session per event
  loop, with Rasa's same headers, authentication and timeout, whose connections are reused
  while idle less than ``KEEPALIVE_SECONDS`` (below the action server's 5 s keep-alive,
  so the client always drops an idle connection before the server may close it). Its request
  bodies (the whole conversation, tens of kB by the end of one) are written with ``ujson``
  (``request_json``: the same JSON values, without the spaces; ~2x faster than ``json``);
  anything ``ujson`` refuses goes through ``json.dumps``, with its output or its error.
- The logistic regression intent classifier builds a message's row with
  ``get_sparse_features``, which also combines (deep copy, one ``hstack`` per
  featurizer) the *sequence* features it then throws away, for every message, twice
  (once more in ``bot.rasa_internals.nlu.fits_model``). The row is now stacked once from
  the same sentence features in the same order: the same matrix, the same parse. When every
  sentence feature is a one-row sparse matrix (the usual message), the row's entries are joined
  directly instead of through scipy's ``hstack``/``vstack`` (~0.45 -> 0.04 ms per call): the same
  arrays, in the same order.
- Every NLU parse and every action prediction runs Rasa's graph through ``dask.get``, which
  orders and schedules the graph's tasks anew each time (~7 % of Rasa's CPU for ~7 nodes). The
  graph runner now computes the same nodes of the same minimal graph (remembered per targets)
  itself, each after the nodes it needs, in the order it names them, with the same inputs and
  the same ``GraphRunError``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)
from bot.config import settings


def _replace(owner: Any, name: str, value: Any) -> None:
    """Set ``owner.name``, which Rasa must define (a renamed one would silently lose the patch)."""
    if name not in vars(owner):
        raise AttributeError(
            f"{owner.__qualname__}.{name} ya no existe en esta versión de Rasa: revise bot/rasa_internals/speedups.py"
        )
    setattr(owner, name, value)


def speed_up_action_response_validation() -> None:
    """Validate action server responses with one cached validator instead of ``jsonschema.validate``."""
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_cached_validator", False):
        return
    cache: Dict[str, Any] = {}

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        validator = cache.get("validator")
        if validator is None:
            schema = self.action_response_format_spec()
            cls = validators.validator_for(schema)
            cls.check_schema(schema)
            validator = cache["validator"] = cls(schema)
            cache["kinds"] = _EventKinds.of(schema, cls)
        kinds = cache["kinds"]
        if kinds is not None and kinds.is_valid(result):
            return True
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result._cached_validator = True  # type: ignore[attr-defined]
    _replace(RemoteAction, "_validate_action_result", _validate_action_result)


class _EventKinds:
    """Rasa's action response schema, with each event checked against its own kind only.

    The schema: an object whose optional ``responses`` is an array of objects and optional
    ``events`` an array of ``EVENT_SCHEMA``: an object with a string ``event`` (required) and
    a few typed keys, valid against exactly one of the ``oneOf`` kinds. Every kind pins
    ``event`` with its own ``const`` (checked when built: otherwise no ``_EventKinds``), and
    ``event`` is present, so only the kind named by ``event`` can match: "exactly one of the
    kinds" is "the kind named by ``event``", and a response is valid here exactly when it is
    valid against the whole schema.
    """

    def __init__(self, top: Any, kinds: Dict[str, Any]) -> None:
        self.top = top
        self.kinds = kinds

    @classmethod
    def of(cls, schema: Dict[str, Any], validator_class: Any) -> "Optional[_EventKinds]":
        """Built from the response ``schema`` as Rasa 3.6.21 writes it, or ``None`` if it is not so."""
        try:
            properties = schema["properties"]
            events, event = properties["events"], properties["events"]["items"]
            if set(schema) != {"type", "properties"} or set(properties) != {"events", "responses"}:
                return None
            if set(events) != {"type", "items"} or set(event) != {"type", "properties", "required", "oneOf"}:
                return None
            if event["type"] != "object" or "event" not in event["required"]:
                return None
            common = {key: value for key, value in event.items() if key != "oneOf"}
            kinds: Dict[str, Any] = {}
            for kind in event["oneOf"]:
                name = kind["properties"]["event"]["const"]
                if not isinstance(name, str) or name in kinds:
                    return None
                kinds[name] = validator_class({"allOf": [common, kind]})
        except (KeyError, TypeError):
            return None
        top = dict(schema, properties={**properties, "events": {"type": events["type"]}})
        return cls(validator_class(top), kinds)

    def is_valid(self, result: Any) -> bool:
        """Whether ``result`` is valid against the whole schema (see the class doc)."""
        if not self.top.is_valid(result):
            return False
        for event in result.get("events", ()):
            name = event.get("event") if isinstance(event, dict) else None
            kind = self.kinds.get(name) if isinstance(name, str) else None
            if kind is None or not kind.is_valid(event):
                return False
        return True


def speed_up_event_type_lookup() -> None:
    """Remember ``Event.resolve_by_type(name)`` results (the first subclass with that ``type_name``)."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "_cached", False):
        return
    found: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    resolve_by_type._cached = True  # type: ignore[attr-defined]
    _replace(Event, "resolve_by_type", staticmethod(resolve_by_type))


# Idle connections to an endpoint are reused for this long; Sanic (the action server) closes them after 5 s.
KEEPALIVE_SECONDS = 2.0


class _KeptSession:
    """``async with`` on it gives the endpoint's kept ``aiohttp`` session and leaves it open."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def request_json(value: Any) -> str:
    """``value`` as JSON, as ``json.dumps`` writes it but for the spaces (see module doc)."""
    import json

    import ujson

    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def speed_up_endpoint_connections() -> None:
    """``EndpointConfig.session()`` hands out one kept session per endpoint and event loop (see module doc)."""
    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig.session, "_kept", False):
        return

    def session(self: EndpointConfig) -> Any:
        kept: Dict[Any, Any] = self.__dict__.setdefault("_kept_sessions", {})
        loop = asyncio.get_running_loop()
        current = kept.get(loop)
        if current is None or current.closed:
            # As Rasa's ``EndpointConfig.session``, plus the connector that keeps connections.
            auth = None
            if self.basic_auth:
                auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            current = kept[loop] = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                json_serialize=request_json,
            )
        return _KeptSession(current)

    session._kept = True  # type: ignore[attr-defined]
    _replace(EndpointConfig, "session", session)


def _sparse_sentence_rows(sentences: List[List[Any]]) -> Any:
    """The classifier's matrix when every message has only one-row sparse (COO) sentence features, all
    as wide: each row's entries joined in featurizer order, as ``hstack`` joins them, then sorted as
    its CSR conversion sorts them (float64, as the stack with the empty dense block makes them).
    ``None`` for anything else (dense features, none, other widths): the stacking path handles it."""
    import numpy as np
    from scipy.sparse import coo_matrix, csr_matrix

    data, columns, indptr = [], [], [0]
    width = None
    for sentence in sentences:
        blocks = [f.features for f in sentence]
        if not blocks or not all(isinstance(b, coo_matrix) and b.shape[0] == 1 for b in blocks):
            return None
        offset = 0
        for block in blocks:
            data.append(block.data)
            columns.append(block.col.astype(np.int64) + offset)
            offset += block.shape[1]
        if width is not None and offset != width:
            return None
        width = offset
        indptr.append(indptr[-1] + sum(b.nnz for b in blocks))
    if width is None:
        return None
    matrix = csr_matrix(
        (np.concatenate(data).astype(np.float64), np.concatenate(columns), np.array(indptr)),
        shape=(len(sentences), width),
    )
    matrix.sum_duplicates()  # sorted columns within each row, as the CSR conversion of Rasa's stack
    return matrix


def speed_up_intent_features() -> None:
    """``LogisticRegressionClassifier._create_X`` from the sentence features alone (see module doc)."""
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from scipy.sparse import csr_matrix, hstack, vstack

    if getattr(LogisticRegressionClassifier._create_X, "_sentence_only", False):
        return

    def _create_X(self: LogisticRegressionClassifier, messages: List[Any]) -> Any:
        sentences = [
            [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            for message in messages
        ]
        fast = _sparse_sentence_rows(sentences)
        if fast is not None:
            return fast
        rows = []
        for sentence in sentences:
            sparse = [f.features for f in sentence if f.is_sparse()]
            dense = [f.features for f in sentence if f.is_dense()]
            rows.append(
                hstack(
                    [
                        csr_matrix((hstack(sparse) if len(sparse) > 1 else sparse[0]) if sparse else []),
                        csr_matrix((np.concatenate(dense, axis=-1) if len(dense) > 1 else dense[0]) if dense else []),
                    ]
                )
            )
        return vstack(rows)

    _create_X._sentence_only = True  # type: ignore[attr-defined]
    _replace(LogisticRegressionClassifier, "_create_X", _create_X)


def speed_up_graph_runs() -> None:
    """``DaskGraphRunner.run`` without ``dask.get``: the same nodes, each once, after what it needs."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(DaskGraphRunner.run, "_sequential", False):
        return

    def run(
        self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None
    ) -> Dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        schemas: Dict[Any, Any] = self.__dict__.setdefault("_minimal_schemas", {})
        schema = schemas.get(tuple(run_targets))
        if schema is None:
            schema = schemas[tuple(run_targets)] = self._graph_schema.minimal_graph_schema(run_targets)
        results: Dict[str, Any] = {}
        for name, value in (inputs or {}).items():  # as Rasa's ``_add_inputs_to_graph``
            if isinstance(value, str) and (value in schema.nodes or value in results):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            results[name] = (name, value)  # an input replaces a node of its name, as in the dask graph

        def compute(name: str) -> Any:
            if name in results:
                return results[name]
            node = schema.nodes.get(name)
            if node is None:  # dask hands over a name that is no key as the string itself
                return name
            needed = [compute(need) for need in node.needs.values()]
            results[name] = self._instantiated_nodes[name](*needed)
            return results[name]

        try:
            for name in schema.nodes:  # dask runs every task of the minimal graph
                compute(name)
            return dict(results[name] for name in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    run._sequential = True  # type: ignore[attr-defined]
    _replace(DaskGraphRunner, "run", run)


def apply_speedups() -> None:
    """Every speed-up of this module, unless ``RASA_SPEEDUPS=0``."""
    if not settings().rasa_speedups:
        return
    speed_up_action_response_validation()
    speed_up_event_type_lookup()
    speed_up_endpoint_connections()
    speed_up_intent_features()
    speed_up_graph_runs()

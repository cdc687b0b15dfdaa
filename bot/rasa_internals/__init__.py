"""Everything of ours that relies on Rasa's private internals, written for Rasa 3.6.21.

Importing this package (any of its modules) checks the installed Rasa version and
refuses to start with another one: each module below leans on something Rasa does
not promise to keep, and must be re-checked before upgrading.

- ``speedups``: the Rasa server's patches of ``RemoteAction._validate_action_result``
  (and the layout of Rasa's action response schema), ``Event.resolve_by_type``,
  ``EndpointConfig.session``, ``LogisticRegressionClassifier._create_X`` and
  ``DaskGraphRunner.run``;
- ``action_failures``: the text ``rasa.core.processor`` logs when an action failed;
- ``tracker_store``: ``SQLTrackerStore``'s engine, sessions, event query (and the SQL
  conditions of its latest session, written again as one statement) and the hook that
  picks the events ``save`` adds;
- ``events_table``: Rasa's SQL ``events`` table, declared again (read without Rasa);
- ``nlu``: ``LogisticRegressionClassifier``'s feature matrix and scikit-learn model;
- ``server``: where Rasa's Sanic app keeps its agent.
"""

from __future__ import annotations

from importlib import metadata
from typing import Optional

RASA_VERSION = "3.6.21"


class RasaVersionError(RuntimeError):
    """Another Rasa version than the one ``bot.rasa_internals`` was written for is installed."""


def installed_rasa_version() -> str:
    """The version of the installed Rasa package (read without importing Rasa)."""
    try:
        return metadata.version("rasa")
    except metadata.PackageNotFoundError:
        return "ninguna (Rasa no está instalado)"


def check_rasa_version(found: Optional[str] = None) -> None:
    """Raise ``RasaVersionError`` unless ``found`` (default: the installed Rasa) is ``RASA_VERSION``."""
    found = installed_rasa_version() if found is None else found
    if found != RASA_VERSION:
        raise RasaVersionError(
            f"bot/rasa_internals/ se escribió para Rasa {RASA_VERSION} y está instalado Rasa {found}: "
            f"revise cada módulo de bot/rasa_internals/ contra esa versión (y actualice RASA_VERSION) "
            f"o instale rasa=={RASA_VERSION}"
        )


check_rasa_version()

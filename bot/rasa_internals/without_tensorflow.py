"""Start Rasa without TensorFlow when the trained model uses none of it (≈ 420 MB less per process).

Rasa 3.6 imports TensorFlow from dozens of modules (its component registry imports DIET, TED,
the response selector…), whatever the pipeline. Our model (bot/nlu components, Rasa's count
vectors, logistic regression, fallback classifier and RulePolicy) never calls it. When every
component of the model is known not to use TensorFlow, :func:`install_if_unused` puts inert
stand-ins for ``tensorflow``, ``keras`` and TensorFlow's add-on packages in front of the real
ones, so that Rasa's modules import (their classes are defined on stand-in bases and never
instantiated) and the process never loads the real library. A model with any other component
(DIET, TED, a custom component of someone else's) loads the real TensorFlow as before.

``RASA_WITHOUT_TENSORFLOW=0`` turns it off. tests/test_rasa_internals.py checks that a
process started this way answers exactly as one with TensorFlow.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import logging
import sys
import tarfile
import types
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Sequence, Set

logger = logging.getLogger(__name__)

STANDIN_PACKAGES = (
    "tensorflow",
    "keras",
    "tensorflow_hub",
    "tensorflow_text",
    "tensorflow_addons",
    "tensorflow_probability",
    "tensorflow_io_gcs_filesystem",
)

# Graph components of a model that never touch TensorFlow: Rasa's own (as its schema names them)
# and this project's. Anything else keeps the real library.
TENSORFLOW_FREE_COMPONENTS = frozenset(
    {
        # Rasa's graph plumbing (rasa/engine/recipes/default_recipe.py).
        "NLUMessageConverter",
        "NLUPredictionToHistoryAdder",
        "DomainProvider",
        "DomainForCoreTrainingProvider",
        "StoryGraphProvider",
        "TrainingTrackerProvider",
        "RegexMessageHandler",
        "DefaultPolicyPredictionEnsemble",
        "NLUTrainingDataProvider",
        "ProjectProvider",
        "RuleOnlyDataProvider",
        "FinetuningValidator",
        "FormsProvider",
        "ResponsesProvider",
        "DefaultV1RecipeValidator",
        # Rasa components that work on sparse features and scikit-learn.
        "RegexFeaturizer",
        "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer",
        "LogisticRegressionClassifier",
        "FallbackClassifier",
        "RegexEntityExtractor",
        "EntitySynonymMapper",
        "KeywordIntentClassifier",
        "WhitespaceTokenizer",
        "RulePolicy",
        "MemoizationPolicy",
        "AugmentedMemoizationPolicy",
    }
)
OWN_COMPONENT_PREFIX = "bot."


class _StandIn(type):
    """A class whose every attribute is another stand-in class: ``tf.keras.layers.Layer`` and so on.

    Calling one with a single callable returns it (so ``@tf.function`` leaves a method as it
    is); any other call returns a stand-in. Iterating one yields nothing.
    """

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _stand_in(f"{cls.__qualname__}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]
        return _stand_in(f"{cls.__qualname__}()")

    def __iter__(cls) -> Any:
        return iter(())

    def __len__(cls) -> int:
        return 0


_STAND_INS: Dict[str, type] = {}


def _stand_in(qualname: str) -> type:
    known = _STAND_INS.get(qualname)
    if known is None:
        known = _StandIn(qualname.rsplit(".", 1)[-1], (), {"__qualname__": qualname})
        _STAND_INS[qualname] = known
    return known


class _StandInModule(types.ModuleType):
    """A package whose attributes are stand-ins and whose submodules are stand-in modules."""

    def __init__(self, name: str, version: str) -> None:
        super().__init__(name)
        self.__path__: list = []  # a package: ``import tensorflow.python.keras`` goes to the finder
        self.__version__ = version
        self.__file__ = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _stand_in(f"{self.__name__}.{name}")


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of the packages in ``STANDIN_PACKAGES`` (and their submodules) with stand-ins."""

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]], target: Optional[types.ModuleType] = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname.split(".", 1)[0] not in STANDIN_PACKAGES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandInModule(spec.name, _version(spec.name.split(".", 1)[0]))

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _version(package: str) -> str:
    try:
        return metadata.version(package.replace("_", "-"))
    except metadata.PackageNotFoundError:
        return "0"


def model_components(model_path: Path) -> Set[str]:
    """The components (``module.Class``) a trained model runs with, read from its archive's metadata."""
    with tarfile.open(model_path, "r:gz") as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("metadata.json"))
        handle = archive.extractfile(member)
        assert handle is not None
        data = json.load(handle)
    nodes = (data.get("predict_schema") or {}).get("nodes", {})
    return {str(node.get("uses", "")) for node in nodes.values()}


def uses_tensorflow(components: Iterable[str]) -> bool:
    """Whether a model with these components may need TensorFlow (unknown ones count as yes)."""
    for name in components:
        module, _, class_name = name.rpartition(".")
        if module.startswith(OWN_COMPONENT_PREFIX):
            continue
        if module.startswith("rasa.") and class_name in TENSORFLOW_FREE_COMPONENTS:
            continue
        return True
    return False


def install() -> None:
    """Put the stand-ins in front of the real packages (before anything imports them)."""
    if any(name.split(".", 1)[0] in STANDIN_PACKAGES for name in sys.modules):
        raise RuntimeError("TensorFlow is already imported: install the stand-ins first")
    sys.meta_path.insert(0, _StandInFinder())


def install_if_unused(model_path: Optional[Path]) -> bool:
    """Install the stand-ins when the model at ``model_path`` needs no TensorFlow; say whether it did."""
    if model_path is None or not model_path.is_file():
        return False
    try:
        components = model_components(model_path)
    except (OSError, tarfile.TarError, StopIteration, ValueError) as error:
        logger.info("TensorFlow stays: the model's components could not be read (%s)", error)
        return False
    if not components or uses_tensorflow(components):
        return False
    install()
    logger.info("Rasa starts without TensorFlow: the model %s uses none of it", model_path.name)
    return True

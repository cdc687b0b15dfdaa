"""The layout keeps its layers: no module imports, even lazily, a module that imports it back, and
the core, the channels, the actions and the application (bot/app/) import one way only."""

import ast
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "channels")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def import_graph() -> Dict[str, Set[str]]:
    """Every module of ours -> the modules of ours it imports (anywhere in the file)."""
    modules = {
        _module_name(p): p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    }
    graph: Dict[str, Set[str]] = {}
    for name, path in modules.items():
        targets: Set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if _is_type_checking_block(block) for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in typing_only:  # ``if TYPE_CHECKING:`` imports never run
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets.update(c for c in candidates if c in modules and c != name)
        graph[name] = targets
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports():
    graph = import_graph()
    assert "bot.conversation_id" in graph["channels.registry"]


def test_no_import_cycles():
    # A package's __init__ importing its own modules is not a cycle of design; none of ours does.
    assert cycles(import_graph()) == []


# The layers, bottom up: the core (all of bot/ but bot/app/), then the channels and the actions beside
# each other, then the application (bot/app/: the processes and commands that put them to work).
# ``python -m bot`` runs bot/__main__.py, a shim that only calls the application's command line.
CORE, CHANNELS, ACTIONS, APPLICATION, SHIM = "core", "channels", "actions", "application", "shim"
MAY_IMPORT = {
    CORE: {CORE},
    CHANNELS: {CORE, CHANNELS},
    ACTIONS: {CORE, ACTIONS},
    APPLICATION: {CORE, CHANNELS, APPLICATION},
    SHIM: {APPLICATION},
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_of(module: str) -> str:
    if module == "bot.__main__":
        return SHIM
    if _within(module, "bot.app"):
        return APPLICATION
    if _within(module, "channels"):
        return CHANNELS
    if _within(module, "actions"):
        return ACTIONS
    assert _within(module, "bot"), module
    return CORE


def imports_between(importer: str, imported: str) -> List[str]:
    """``module -> target`` for every import from a module of layer ``importer`` of one of layer ``imported``."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(module) == importer and layer_of(target) == imported
    )


def test_the_layers_see_their_modules():
    assert layer_of("bot.app.web.app") == APPLICATION and layer_of("bot.application") == CORE
    assert imports_between(APPLICATION, CHANNELS) and imports_between(CHANNELS, CORE)


def test_the_channels_do_not_import_the_application():
    assert imports_between(CHANNELS, APPLICATION) == []


def test_the_core_imports_neither_the_channels_nor_the_application():
    assert imports_between(CORE, CHANNELS) + imports_between(CORE, APPLICATION) == []


def test_the_actions_import_neither_the_channels_nor_the_application():
    assert imports_between(ACTIONS, CHANNELS) + imports_between(ACTIONS, APPLICATION) == []


def test_python_m_bot_only_calls_the_application():
    assert import_graph()["bot.__main__"] == {"bot.app.cli"}


def test_each_layer_imports_only_itself_and_the_layers_below():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(target) not in MAY_IMPORT[layer_of(module)]
    )
    assert upward == []


def test_the_layers_import_one_way():
    layers: Dict[str, Set[str]] = {layer: set() for layer in MAY_IMPORT}
    for module, targets in import_graph().items():
        layers[layer_of(module)].update(layer_of(t) for t in targets if layer_of(t) != layer_of(module))
    assert cycles(layers) == []


def test_nothing_below_the_actions_imports_them():
    upward = sorted(
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if not module.startswith("actions") and target.startswith("actions")
    )
    assert upward == []

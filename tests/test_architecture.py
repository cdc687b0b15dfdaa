"""The layout keeps its layers: no module imports, even lazily, a module that imports it back."""

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


# The application (bot/app/): processes and commands that put the channels to work. Everything else
# in bot/ is below the channels and must not import them.
APPLICATION = ("bot.app", "bot.__main__")


def test_only_the_application_imports_the_channels():
    upward = sorted(
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if module.startswith("bot") and target.startswith("channels") and not module.startswith(APPLICATION)
    )
    assert upward == []


def test_nothing_below_the_actions_imports_them():
    upward = sorted(
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if not module.startswith("actions") and target.startswith("actions")
    )
    assert upward == []

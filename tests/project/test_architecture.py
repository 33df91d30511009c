"""The house's rules that a reviewer would otherwise check by hand: no import cycle (function
level imports included), no module over 500 lines, settings and the environment read only at
the top, one clock (no ``date.today()`` below the shells)."""

from __future__ import annotations

import re
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "data_contracts", "tremplin", "matching", "training", "services", "serving", "web",
    "tremplin_cli",
)  # fmt: skip
MAX_LINES = 500


def _modules(*packages: str) -> list[Path]:
    return [
        path
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    graph = grimp.build_graph(*PACKAGES)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_no_module_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(*PACKAGES)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_settings_and_the_environment_are_read_at_the_top_only() -> None:
    reads = re.compile(r"get_settings\(|os\.environ")
    found = [
        str(p.relative_to(ROOT))
        for p in _modules("matching", "training")
        if reads.search(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_one_clock_below_the_shells() -> None:
    found = [
        str(p.relative_to(ROOT))
        for p in _modules("services", "training", "matching")
        if "date.today()" in p.read_text(encoding="utf-8")
    ]
    assert found == []

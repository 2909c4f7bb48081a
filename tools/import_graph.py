"""The import graph of drip/: circles, cross-service imports, layer arrows, long modules, a package picture.

Run `python -m tools.import_graph` for the report (exit status 1 when there is a circle), or
`python -m tools.import_graph --mermaid` for the package picture README's architecture section shows.
Imports inside functions count: a circle through one still loads both halves together.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "drip"
MAX_LINES = 250
# The layers, lowest first: an arrow may only point down (STYLE.md). Modules not named belong to "app".
LAYERS = ("domain", "config", "infra", "models", "channels", "services.delivery", "services", "web", "app")
# Single modules that sit low: the clients' holders (infra) and the engine's helpers (with the models).
PLACED = {
    "drip.extensions": "infra",
    "drip.embedded": "infra",
    "drip.queues": "infra",
    "drip.metrics": "infra",
    "drip.read_ahead": "infra",
    "drip.heap": "infra",
    "drip.reader_processes": "infra",
    "drip.database": "models",
    "drip.copy_text": "models",
    "drip.batch_statements": "models",
}


def module_name(path: Path) -> str:
    """drip/services/delivery/send.py → drip.services.delivery.send (a package by its __init__)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(base: str, name: str | None) -> str:
    """The module `from base import name` loads: the submodule when it is one, else base."""
    candidate = f"{base}.{name}" if name else base
    return candidate if candidate in modules() else base


@cache
def imports_of(module: str) -> frozenset[str]:
    """The drip modules a module imports, at any depth (functions included)."""
    path, found = modules()[module], set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("drip"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("drip"):
                found.update(_resolve(base, alias.name) for alias in node.names)
    return frozenset(name for name in found if name in modules() and name != module)


def graph() -> dict[str, frozenset[str]]:
    """module → the drip modules it imports."""
    return {module: imports_of(module) for module in modules()}


def circles(edges: dict[str, Iterable[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def package_of(module: str) -> str:
    """The package a module belongs to in the picture: drip.services.delivery.send → services.delivery."""
    if module in PLACED:
        return PLACED[module]
    parts = module.split(".")[1:]
    if not parts:
        return "app"
    if parts[0] == "services" and len(parts) > 2:
        return ".".join(parts[:2])
    if parts[0] == "services" and len(parts) == 2:
        return "services." + parts[1] if f"drip.services.{parts[1]}" in _packages() else "services"
    if parts[0] in ("domain", "models", "channels", "web", "config"):
        return parts[0]
    return "app"


@cache
def _packages() -> frozenset[str]:
    return frozenset(name for name, path in modules().items() if path.name == "__init__.py")


def layer(module: str) -> int:
    """The rank of a module's layer (LAYERS), lowest 0."""
    package = package_of(module)
    if package.startswith("services.") and package != "services.delivery":
        package = "services"
    return LAYERS.index(package)


def upward(edges: dict[str, Iterable[str]]) -> list[str]:
    """Every import from a lower layer to a higher one."""
    return sorted(f"{a} → {b}" for a, targets in edges.items() for b in targets if layer(b) > layer(a))


def cross_service(edges: dict[str, Iterable[str]], service: str | None = None) -> list[str]:
    """Imports from one service package into another (only from `service` when given)."""
    found = []
    for a, targets in edges.items():
        pa = package_of(a)
        if not pa.startswith("services") or (service and pa != f"services.{service}"):
            continue
        found += [f"{a} → {b}" for b in targets if package_of(b).startswith("services") and package_of(b) != pa]
    return sorted(found)


def long_modules(limit: int = MAX_LINES) -> list[str]:
    """Modules longer than `limit` lines."""
    lengths = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    return sorted(f"{name} ({count})" for name, count in lengths.items() if count > limit)


def package_edges(edges: dict[str, Iterable[str]]) -> dict[tuple[str, str], int]:
    """(package, package) → how many module imports cross that arrow."""
    counts: dict[tuple[str, str], int] = {}
    for a, targets in edges.items():
        for b in targets:
            key = (package_of(a), package_of(b))
            if key[0] != key[1]:
                counts[key] = counts.get(key, 0) + 1
    return counts


def mermaid(edges: dict[str, Iterable[str]]) -> str:
    """The layers and the arrows between them as a Mermaid flowchart, highest on top (no counts: it stays put)."""
    low = {"domain", "config", "infra", "models"}  # everyone uses the vocabulary, the rows and the clients
    arrows = set()
    for a, targets in edges.items():
        for b in targets:
            la, lb = LAYERS[layer(a)], LAYERS[layer(b)]
            if la != lb and lb not in low:
                arrows.add((la, lb))
    lines = ["flowchart TD"]
    lines += [f"  {a.replace('.', '_')}[{a}] --> {b.replace('.', '_')}[{b}]" for a, b in sorted(arrows)]
    lines.append("  %% and every layer imports domain, config, infra (extensions, queues, metrics) and models")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the report (or the picture); 1 when there is a circle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mermaid", action="store_true", help="print the package picture only")
    args = parser.parse_args(argv)
    edges = graph()
    if args.mermaid:
        print(mermaid(edges))
        return 0
    found = circles(edges)
    sections = {
        "circles": [" → ".join(group) for group in found],
        "imports pointing up a layer": upward(edges),
        "services/delivery importing other services": cross_service(edges, "delivery"),
        "imports between services": cross_service(edges),
        f"modules over {MAX_LINES} lines": long_modules(),
    }
    for title, rows in sections.items():
        print(f"{title}: {len(rows)}")
        for row in rows:
            print(f"  {row}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""The layers of STYLE.md hold: domain/ is pure, channels/ never reach the models, views never the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "drip"


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "folder,forbidden",
    [
        (
            "domain",
            (
                "flask",
                "sqlalchemy",
                "redis",
                "rq",
                "twilio",
                "sendgrid",
                "drip.models",
                "drip.extensions",
                "drip.services",
                "drip.web",
            ),
        ),
        ("channels", ("drip.models", "drip.services", "drip.web", "drip.extensions")),
    ],
)
def test_a_layer_does_not_import_what_lies_above_it(folder, forbidden):
    files = sorted((PACKAGE / folder).rglob("*.py"))
    assert files
    wrong = sorted(
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imports(path)
        if name.startswith(forbidden)
    )
    assert wrong == []

"""The layers of STYLE.md and README's architecture section hold, arrow by arrow (tools/import_graph.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tools import import_graph

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
                "drip.database",
                "drip.channels",
                "drip.services",
                "drip.web",
            ),
        ),
        ("models", ("drip.channels", "drip.services", "drip.web")),
        ("channels", ("drip.models", "drip.services", "drip.web", "drip.extensions")),
        ("services", ("drip.web", "drip.jobs", "drip.worker", "drip.cli", "drip.appliers")),
        ("web", ("drip.services.delivery.transitions", "drip.jobs", "drip.worker")),
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


def test_there_is_no_import_circle_counting_imports_inside_functions():
    assert import_graph.circles(import_graph.graph()) == []


def test_the_graph_sees_imports_inside_functions():
    edges = import_graph.graph()
    assert "drip.services.delivery.send" in edges["drip.services.delivery.in_flight"]  # inside a method
    assert import_graph.circles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]


def test_no_import_points_up_a_layer():
    # The send path learns of opt-outs as data and passes providers' reports on through a port
    # (services/delivery/opt_outs.py): it imports no module of another service (issue 21).
    assert import_graph.upward(import_graph.graph()) == []


def test_the_readme_picture_is_the_graph_of_the_code():
    readme = (PACKAGE.parent / "README.md").read_text()
    block = readme.split("<!-- import-graph:begin -->")[1].split("<!-- import-graph:end -->")[0]
    assert block.strip() == "```mermaid\n" + import_graph.mermaid(import_graph.graph()) + "\n```", (
        "run python -m tools.import_graph --mermaid and paste it into README.md's architecture section"
    )


def test_one_sms_crosses_at_most_15_modules_each_of_them_real():
    # README lists the modules one SMS crosses from enrolment to `delivered` (issue 21: at most 15).
    readme = (PACKAGE.parent / "README.md").read_text()
    match = re.search(r"^Modules: (.+?)\s\((\d+); helpers", readme, re.MULTILINE | re.DOTALL)
    names = [re.sub(r" \(or \w+\)", "", name).strip() for name in match[1].split(",")]
    assert len(names) == int(match[2]) <= 15
    stems = {path.stem for path in PACKAGE.rglob("*.py")}
    assert [name for name in names if name not in stems] == []


def test_no_module_is_over_250_lines():
    assert import_graph.long_modules() == []


def test_unit_tests_are_pure():
    # Database, app and HTTP fixtures belong to tests/integration and tests/web.
    impure = {"app", "client", "trainer", "logged_in", "runner", "api", "live_server", "page"}
    found = sorted(
        f"{path.name}::{node.name}"
        for path in (PACKAGE.parent / "tests" / "unit").glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        if impure & {arg.arg for arg in node.args.args}
    )
    assert found == []

"""Views parse, call a service and render: no SQL and no commit in drip/web (STYLE.md, "Habits")."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "drip" / "web"
SQL = re.compile(
    r"(?<![.\w])(?<!def )(select|update|insert|delete)\(|db\.session\.(get|scalar|scalars|execute|add|delete)\b"
    r"|\.commit\(\)|\btext\(\""
)


def test_no_view_module_runs_a_query_or_commits():
    modules = sorted(WEB.rglob("*.py"))
    assert len(modules) > 20
    found = [
        f"{path.relative_to(WEB.parent.parent)}:{number}: {line.strip()}"
        for path in modules
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SQL.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == [], "SQL or a commit in a view module:\n" + "\n".join(found)

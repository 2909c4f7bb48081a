"""axe-core in the browser tests: inject the npm package's axe.min.js into a page and fail on serious violations."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent / "axe"
AXE = FOLDER / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    """The text of axe.min.js, installed from package-lock.json with npm when missing."""
    if not AXE.exists() and shutil.which("npm"):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=FOLDER, check=False, timeout=300)
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE}); run `npm ci` in {FOLDER}"
        if os.environ.get("DRIP_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def violations(page, source: str) -> list[dict]:
    """Serious and critical axe violations of the page as it is now (WCAG 2.1 A and AA, best practices)."""
    # Evaluated, not added as a <script>: the Content-Security-Policy allows no inline script.
    page.evaluate(source + "\n;0")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in BLOCKING]


def describe(found: list[dict]) -> str:
    """A readable list of violations for an assertion message."""
    return "\n".join(f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found)

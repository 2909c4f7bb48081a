"""axe-core in the real browser: no serious or critical violation in the given parts of a page."""

from __future__ import annotations


def no_serious_violations(page, *parts: str) -> None:
    """Run axe-core on these CSS selectors (the whole page when none) and fail on serious findings."""
    from axe_playwright_python.sync_playwright import Axe

    context = {"include": [[part] for part in parts]} if parts else None
    results = Axe().run(page, context=context) if context else Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], results.generate_report()

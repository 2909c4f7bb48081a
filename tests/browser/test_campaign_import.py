"""A large CSV import shows its progress while it runs, then lands on the learners list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import Learner
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
ROWS = 3000


def test_large_import_shows_progress(page, live_server, trainer, tmp_path):
    big = tmp_path / "everyone.csv"
    big.write_text(
        "name,email\n" + "".join(f"Learner {i},learner{i}@example.com\n" for i in range(ROWS)), encoding="utf-8"
    )
    sign_in(page, live_server)
    page.goto(f"{live_server}/learners/import")
    page.set_input_files("input[name=file]", str(big))
    with page.expect_navigation():  # the preview's script takes the Import click only once it has run
        page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text(f"All {ROWS} rows are valid.")).to_be_visible()
    expect(page.get_by_text(f"Showing the first 100 of {ROWS} rows.")).to_be_visible()
    page.get_by_role("button", name=f"Import {ROWS} learners").click()
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-status")).not_to_be_empty()
    expect(page.get_by_text(f"Imported {ROWS} learners ({ROWS} new, 0 updated).")).to_be_visible(timeout=60_000)
    assert db.session.query(Learner).count() == ROWS

"""The Content-Security-Policy breaks no page: board, projector, import progress, SMS counter, confirmations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import Learner, TrainingSession
from drip.services.board import stream as board_stream
from drip.services.programs.sequences import create_sequence
from tests.browser.conftest import sign_in
from tests.browser.test_board import streams, text  # noqa: F401  (streams is a fixture)
from tests.support.inbound_factory import enrol, make_learner, make_session

pytestmark = pytest.mark.browser
# Runs before any page script: every CSP violation the page meets is kept for the test to read.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture()
def watched(page):
    """The page, recording CSP violations and console errors."""
    errors: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def test_every_scripted_page_works_under_the_policy(app, watched, live_server, trainer, tmp_path, streams):
    page, errors = watched
    ts = make_session(trainer, join_keyword="SBI")
    ts.moderation = "open"  # the projector shows texts at once, so both pages can be watched for them
    enrol(ts, make_learner(trainer, "Ada Lovelace"))
    sign_in(page, live_server)
    seen: list[str] = []

    for path in ("board", "projector"):
        page.goto(f"{live_server}/sessions/{ts.id}/{path}")
        expect(page.locator("#connection")).to_have_text("Up to date")
        body = f"Does the {path} show this?"
        text(app, live_server, body)
        expect(page.get_by_text(body)).to_be_visible()
        seen += _violations(page)
    board_stream.stop_all()

    sequence = create_sequence(trainer, name="Nudges")
    page.goto(f"{live_server}/sequences/{sequence.id}/steps/new")
    page.fill("textarea[name=body]", "€" * 100)
    expect(page.locator("#body-count [data-preview-count]")).to_contain_text("2 segments")
    seen += _violations(page)

    csv = tmp_path / "few.csv"
    csv.write_text("name,email\n" + "".join(f"Learner {i},l{i}@example.com\n" for i in range(5)), encoding="utf-8")
    page.goto(f"{live_server}/learners/import")
    page.set_input_files("input[name=file]", str(csv))
    with page.expect_navigation():  # the Import click must reach the preview's script, under the policy
        page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name="Import 5 learners").click()
    expect(page.get_by_text("Imported 5 learners (5 new, 0 updated).")).to_be_visible(timeout=30_000)
    seen += _violations(page)

    # The confirmation dialog moved from an inline onsubmit handler to confirm.js.
    page.goto(f"{live_server}/sessions/{ts.id}")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.check("#confirm-cancel")
    page.get_by_role("button", name="Cancel session").click()
    assert dialogs and "Cancel this session?" in dialogs[0]
    db.session.expire_all()
    assert db.session.get(TrainingSession, ts.id).status == "scheduled"
    seen += _violations(page)

    page.goto(f"{live_server}/settings")
    seen += _violations(page)
    assert db.session.query(Learner).count() == 6
    assert seen == []
    assert [e for e in errors if "Content Security Policy" in e] == []

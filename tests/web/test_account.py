"""The trainer's account: change password (refusals change nothing), the time zone every page shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from drip.extensions import db
from drip.models import Trainer
from drip.services.programs.sessions import create_session
from tests.conftest import csrf_token, login


def test_change_password_needs_the_current_one_and_then_works(client, logged_in, trainer):
    token = csrf_token(logged_in, "/account")
    wrong = logged_in.post(
        "/account/password",
        data={"csrf_token": token, "current": "nope", "new": "a new long secret", "repeat": "a new long secret"},
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    differ = logged_in.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "correct horse battery",
            "new": "a new long secret",
            "repeat": "a new long secreT",
        },
    )
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)
    ok = logged_in.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "correct horse battery",
            "new": "a new long secret",
            "repeat": "a new long secret",
        },
    )
    assert ok.status_code == 302
    logged_in.post("/logout", data={"csrf_token": csrf_token(logged_in, "/account")})
    assert login(client).status_code == 401
    assert login(client, password="a new long secret").status_code == 302


def test_times_follow_the_trainers_zone_and_name_it(logged_in, trainer):
    start = datetime(2031, 3, 12, 8, 30, tzinfo=timezone.utc)
    ts = create_session(
        trainer,
        title="Remote",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone="Europe/Paris",
        sequence_ids=[],
    )
    assert "09:30 CET" in logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)  # no zone chosen: the session's
    token = csrf_token(logged_in, "/account")
    refused = logged_in.post("/account/timezone", data={"csrf_token": token, "timezone": "Mars/Olympus"})
    assert refused.status_code == 422 and db.session.get(Trainer, trainer.id).timezone is None
    saved = logged_in.post(
        "/account/timezone",
        data={"csrf_token": token, "timezone": "australia/sydney"},
        headers={"Accept": "application/json"},
    )
    assert saved.get_json() == {"timezone": "Australia/Sydney"}
    page = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    # One clock (issue 22): a session's page keeps the session's zone, with the trainer's own time beside it.
    assert "09:30 CET" in page and "(19:30 AEDT for you)" in page
    assert 'value="Australia/Sydney"' in logged_in.get("/sessions/new").get_data(
        as_text=True
    )  # New session defaults to it


def test_a_trainer_without_a_zone_gets_the_browser_script(logged_in, trainer):
    assert "browser_zone.js" in logged_in.get("/").get_data(as_text=True)
    trainer.timezone = "Europe/Paris"
    db.session.commit()
    assert "browser_zone.js" not in logged_in.get("/").get_data(as_text=True)

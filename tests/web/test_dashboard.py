"""A dashboard that says what is next (issue 22, item 6): each session's next step and when, what waits
for the trainer, and in the demo a short "try this" list."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import Delivery, LiveQuestion, Reply, utcnow
from drip.services.programs.demo import DEMO_EMAIL
from drip.services.programs.enrolment import enrol
from drip.services.programs.sessions import create_session
from tests.conftest import login
from tests.web.test_api_support import stored_sequence
from tests.support.inbound_factory import make_learner


def test_the_next_step_and_what_waits(app, logged_in, trainer):
    sequence = stored_sequence(trainer, kinds=("poll", "reminder"))
    starts = (utcnow() + timedelta(days=20)).replace(microsecond=0)
    ts = create_session(
        trainer,
        title="Coaching",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/Paris",
        sequence_ids=[sequence.id],
    )
    ada = make_learner(trainer, "Ada Lovelace")
    enrol(ts, [ada], source="admin")
    page = logged_in.get("/").get_data(as_text=True)
    assert "Nothing waits for you." in page
    assert 'Next: <strong class="text-body">Poll · 10 days before start</strong>' in page
    assert "to 1 learner" in page

    db.session.add(LiveQuestion(session_id=ts.id, learner_id=ada.id, body="Why?"))
    db.session.add(
        Reply(
            trainer_id=trainer.id, session_id=ts.id, learner_id=ada.id, kind="discussion_reply", channel="sms", body="x"
        )
    )
    delivery = db.session.query(Delivery).filter_by(session_id=ts.id).first()
    delivery.status = "failed"
    db.session.commit()
    page = logged_in.get("/").get_data(as_text=True)
    for words in (
        "1 question to approve",
        "1 reply to read",
        "1 answer to approve for a digest",
        "1 message did not go out",
    ):
        assert words in page
    assert "Try this" not in page


def test_the_demo_has_a_try_this_list(app, runner, monkeypatch):
    monkeypatch.setenv("DRIP_DEMO_PASSWORD", "demo password for the dashboard")
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    client = app.test_client()
    login(client, DEMO_EMAIL, "demo password for the dashboard")
    page = client.get("/").get_data(as_text=True)
    assert "Try this: the demo in ten minutes" in page
    assert "/simulator" in page and "/board" in page and "/projector" in page
    assert "Next: <strong" in page

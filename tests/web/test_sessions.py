"""The sessions pages: lists, create in local time, reschedule, cancel, the session page, refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, TrainingSession, utcnow
from drip.services import accounts
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import LearnerInput, upsert_learners
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session
from tests.conftest import csrf_token, login

PARIS = ZoneInfo("Europe/Paris")


def _sequence(trainer, name="Follow-up"):
    return create_sequence(
        trainer,
        name=name,
        send_window=None,
        steps=[
            StepInput("reminder", "sms", "start", "-P2D", "Soon, {{ first_name }}!"),
            StepInput("practice", "email", "end", "P1D", "Practise, {{ first_name }}.", subject="Practice"),
        ],
    )


def _session(trainer, *, days=10, sequences=(), title="Feedback that lands"):
    start = (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)
    return create_session(
        trainer,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Paris",
        sequence_ids=[s.id for s in sequences],
    )


def _with_learners(trainer, ts, count=2):
    stored = upsert_learners(trainer, [LearnerInput(f"Learner {i}", f"+1201555{100 + i:04d}") for i in range(count)])
    enrol(ts, [learner for learner, _ in stored])
    return [learner for learner, _ in stored]


def _form(**overrides):
    local = datetime.now(PARIS).replace(second=0, microsecond=0) + timedelta(days=14)
    form = {
        "title": "Negotiation basics",
        "starts": f"{local:%Y-%m-%dT09:30}",
        "ends": f"{local:%Y-%m-%dT12:00}",
        "timezone": "Europe/Paris",
        "join_url": "https://meet.example.com/abc",
        "join_keyword": "",
        "acknowledgement": "Got it, thanks!",
    }
    form.update(overrides)
    return form


def test_create_a_session_in_its_own_time_zone(logged_in, trainer):
    sequence = _sequence(trainer)
    form = _form(
        csrf_token=csrf_token(logged_in, "/sessions/new"), sequence_ids=[str(sequence.id)], join_keyword="nego"
    )
    response = logged_in.post("/sessions/new", data=form)
    ts = db.session.query(TrainingSession).one()
    assert response.status_code == 302 and response.location.endswith(f"/sessions/{ts.id}")
    assert ts.starts_at.astimezone(PARIS).strftime("%H:%M") == "09:30" and ts.timezone == "Europe/Paris"
    assert [s.id for s in ts.sequences] == [sequence.id] and ts.join_keyword == "NEGO"
    assert ts.acknowledgement == "Got it, thanks!"
    page = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    assert "Negotiation basics" in page and "upcoming" in page and "2 days before start" in page
    listing = logged_in.get("/sessions").get_data(as_text=True)
    assert "Negotiation basics" in listing and "Upcoming" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": " "}, "a title is required"),
        ({"timezone": "Mars/Base"}, "not a known time zone"),
        ({"starts": "tomorrow"}, "give a date and time"),
        ({"ends": "2020-01-01T10:00", "starts": "2020-01-01T11:00"}, "ends before it starts"),
        ({"starts": "2030-03-31T02:30", "ends": "2030-03-31T04:00"}, "the clocks skip it"),
        ({"join_url": "javascript:alert(1)"}, "https://"),
        ({"join_keyword": "STOP"}, "reserved"),
        ({"join_keyword": "two words"}, "letters or digits"),
        ({"sequence_ids": ["999999"]}, "no such sequence"),
    ],
)
def test_bad_session_input_is_refused_and_nothing_stored(logged_in, overrides, message):
    response = logged_in.post(
        "/sessions/new", data=_form(csrf_token=csrf_token(logged_in, "/sessions/new"), **overrides)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(TrainingSession).count() == 0


def test_a_keyword_in_use_at_the_same_time_is_refused(logged_in, trainer):
    token = csrf_token(logged_in, "/sessions/new")
    assert logged_in.post("/sessions/new", data=_form(csrf_token=token, join_keyword="TEAM")).status_code == 302
    again = logged_in.post("/sessions/new", data=_form(csrf_token=token, join_keyword="team"))
    assert again.status_code == 422 and "already uses TEAM" in again.get_data(as_text=True)


def test_reschedule_moves_pending_messages(logged_in, trainer):
    ts = _session(trainer, sequences=[_sequence(trainer)])
    _with_learners(trainer, ts, 2)
    before = {d.id: d.due_at for d in db.session.query(Delivery)}
    path = f"/sessions/{ts.id}/edit"
    page = logged_in.get(path).get_data(as_text=True)
    assert ts.starts_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") in page
    new_start = ts.starts_at.astimezone(PARIS) + timedelta(days=1)
    form = _form(
        csrf_token=csrf_token(logged_in, path),
        title="Moved",
        starts=f"{new_start:%Y-%m-%dT%H:%M}",
        ends=f"{new_start + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        sequence_ids=[str(s.id) for s in ts.sequences],
    )
    response = logged_in.post(path, data=form, follow_redirects=True)
    assert "4 pending messages moved" in response.get_data(as_text=True)
    db.session.expire_all()
    after = {d.id: d.due_at for d in db.session.query(Delivery)}
    assert all(after[i] - before[i] == timedelta(days=1) for i in before)
    assert db.session.get(TrainingSession, ts.id).title == "Moved"


def test_cancel_needs_confirmation_then_skips_pending(logged_in, trainer):
    ts = _session(trainer, sequences=[_sequence(trainer)])
    _with_learners(trainer, ts, 2)
    token = csrf_token(logged_in, f"/sessions/{ts.id}")
    unconfirmed = logged_in.post(f"/sessions/{ts.id}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert db.session.get(TrainingSession, ts.id).status == "scheduled"
    done = logged_in.post(
        f"/sessions/{ts.id}/cancel", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True
    )
    assert "4 pending messages will not be sent" in done.get_data(as_text=True)
    db.session.expire_all()
    assert {d.status for d in db.session.query(Delivery)} == {"skipped"}
    assert "cancelled" in logged_in.get("/sessions").get_data(as_text=True)


def test_session_page_counts_and_problems(logged_in, trainer):
    ts = _session(trainer, sequences=[_sequence(trainer)])
    learners = _with_learners(trainer, ts, 3)
    deliveries = db.session.query(Delivery).order_by(Delivery.id).all()
    deliveries[0].status, deliveries[0].error_message = "failed", "Carrier rejected <the> number"
    deliveries[1].status = "unknown"
    deliveries[1].error_message = "no answer came, then the provider could not be reached; not resent automatically"
    deliveries[2].status = "delivered"
    db.session.commit()
    page = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    assert (
        'data-count="failed">1<' in page and 'data-count="unknown">1<' in page and 'data-count="delivered">1<' in page
    )
    assert "Carrier rejected &lt;the&gt; number" in page
    assert "It may or may not have arrived: no answer came, then the provider could not be reached" in page
    assert learners[0].name in page and "Learners (3)" in page
    assert "Question board" in page  # the board exists in this build, so its link shows


def test_add_and_enrol_learners_from_the_session_page(logged_in, trainer):
    ts = _session(trainer, sequences=[_sequence(trainer)])
    existing = upsert_learners(trainer, [LearnerInput("Old Friend", None, "old@example.com")])[0][0]
    db.session.commit()
    token = csrf_token(logged_in, f"/sessions/{ts.id}")
    response = logged_in.post(
        f"/sessions/{ts.id}/learners",
        data={"csrf_token": token, "name": "<b>New</b>", "phone": "(201) 555-0199"},
        follow_redirects=True,
    )
    assert "Added &lt;b&gt;New&lt;/b&gt; and enrolled them." in response.get_data(as_text=True)
    bad = logged_in.post(
        f"/sessions/{ts.id}/learners", data={"csrf_token": token, "name": "X", "phone": "12"}, follow_redirects=True
    )
    assert "not a valid phone number" in bad.get_data(as_text=True)
    logged_in.post(f"/sessions/{ts.id}/enrol", data={"csrf_token": token, "learner_ids": [str(existing.id)]})
    assert db.session.query(Enrollment).count() == 2 and db.session.query(Learner).count() == 2
    assert db.session.query(Delivery).count() == 4


def test_another_trainers_session_is_404(client, trainer):
    other = accounts.create_trainer("other@example.com", "another long password", "Otto")
    theirs = _session(other, sequences=[_sequence(other)])
    their_learner = _with_learners(other, theirs, 1)[0]
    mine = _session(trainer)
    login(client)
    token = csrf_token(client, "/sessions")
    assert client.get(f"/sessions/{theirs.id}").status_code == 404
    assert client.get(f"/sessions/{theirs.id}/edit").status_code == 404
    for path in ("edit", "cancel", "enrol", "learners"):
        response = client.post(
            f"/sessions/{theirs.id}/{path}",
            data={"csrf_token": token, "confirm": "yes", "name": "X", "email": "x@example.com"},
        )
        assert response.status_code == 404, path
    # Their learner cannot be enrolled into my session either.
    assert (
        client.post(
            f"/sessions/{mine.id}/enrol", data={"csrf_token": token, "learner_ids": [str(their_learner.id)]}
        ).status_code
        == 404
    )
    # Nor can their sequence be attached to my session.
    form = _form(csrf_token=token, sequence_ids=[str(theirs.sequences[0].id)])
    assert client.post(f"/sessions/{mine.id}/edit", data=form).status_code == 422
    db.session.expire_all()
    assert db.session.get(TrainingSession, theirs.id).status == "scheduled"
    assert db.session.query(Enrollment).filter_by(session_id=mine.id).count() == 0


def test_posts_without_csrf_are_refused(logged_in, trainer):
    ts = _session(trainer)
    for path in (
        "/sessions/new",
        f"/sessions/{ts.id}/edit",
        f"/sessions/{ts.id}/cancel",
        f"/sessions/{ts.id}/enrol",
        f"/sessions/{ts.id}/learners",
    ):
        assert logged_in.post(path, data=_form(confirm="yes", name="X", email="x@example.com")).status_code == 400, path
    assert db.session.get(TrainingSession, ts.id).status == "scheduled"
    assert db.session.query(TrainingSession).count() == 1


def test_live_and_past_sessions_are_grouped(logged_in, trainer):
    now = utcnow()
    create_session(
        trainer,
        title="Happening",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        timezone="UTC",
    )
    create_session(
        trainer,
        title="Long ago",
        starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=9) + timedelta(hours=1),
        timezone="UTC",
    )
    page = logged_in.get("/sessions").get_data(as_text=True)
    assert (
        page.index("Live now")
        < page.index("Happening")
        < page.index("Upcoming")
        < page.index("Past")
        < page.index("Long ago")
    )


def test_absurd_input_is_a_clear_refusal_not_a_crash(logged_in, trainer):
    huge = 10**20
    for path in (f"/sessions/{huge}", f"/sequences/{huge}", f"/learners/{huge}", f"/sequences/1/steps/{huge}"):
        assert logged_in.get(path).status_code == 404, path
    assert logged_in.get("/learners?page=99999999999999999999999").status_code == 200
    assert logged_in.get("/outbox?before=99999999999999999999999").status_code == 200
    token = csrf_token(logged_in, "/sessions/new")
    for starts in ("9999-12-31T23:59", "0001-01-01T00:00"):
        response = logged_in.post(
            "/sessions/new", data=_form(csrf_token=token, starts=starts, timezone="America/New_York")
        )
        assert response.status_code == 422 and "between the years 2000 and 2100" in response.get_data(as_text=True)
    assert db.session.query(TrainingSession).count() == 0

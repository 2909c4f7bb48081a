"""The sequences pages: list, starter, editor, steps in the trainer's words, refusals."""

from __future__ import annotations

import re

import pytest

from drip.extensions import db
from drip.models import Learner, Sequence, Step
from drip.services import accounts
from drip.services.programs.sequences import StepInput, create_sequence
from tests.conftest import csrf_token, login


def _token(client, path="/sequences"):
    return csrf_token(client, path)


def _sequence(trainer, name="Onboarding", steps=None):
    return create_sequence(
        trainer,
        name=name,
        steps=steps
        if steps is not None
        else [
            StepInput("poll", "sms", "start", "-P7D", "Hi {{ first_name }}! Pick 1 or 2", choices=["Yes", "No"]),
            StepInput(
                "practice", "email", "end", "P1D", "Try it, {{ first_name }}.", local_time="09:00", subject="Practice"
            ),
        ],
    )


def _step_form(**overrides):
    form = {
        "amount": "3",
        "unit": "days",
        "direction": "before",
        "anchor": "start",
        "at": "",
        "kind": "reminder",
        "channel": "sms",
        "subject": "",
        "body": "See you soon, {{ first_name }}!",
        "choices": "",
        "if_late": "skip",
        "action": "save",
    }
    form.update(overrides)
    return form


def test_the_list_needs_login(client):
    response = client.get("/sequences")
    assert response.status_code == 302 and "/login" in response.location


def test_list_offers_the_starter_then_adds_it_once(logged_in, trainer):
    page = logged_in.get("/sequences").get_data(as_text=True)
    assert "Add the starter sequence" in page
    token = _token(logged_in)
    response = logged_in.post("/sequences/starter", data={"csrf_token": token})
    assert response.status_code == 302
    again = logged_in.post("/sequences/starter", data={"csrf_token": token}, follow_redirects=True)
    assert "already have the starter" in again.get_data(as_text=True)
    assert db.session.query(Sequence).count() == 1
    starter = db.session.query(Sequence).one()
    assert starter.name == "Make training stick" and len(starter.steps) == 13  # two quizzes, two digests
    kinds = {step.kind for step in starter.steps}
    assert kinds == {"poll", "quiz", "testimonial", "discussion", "digest", "live_prompt", "practice", "reminder"}
    page = logged_in.get(f"/sequences/{starter.id}").get_data(as_text=True)
    assert "7 days before start at 10:00" in page and "session" in page and "<svg" in page
    assert "Tess Trainer" in page  # the preview is signed with the trainer's own name
    assert "Add the starter sequence" not in logged_in.get("/sequences").get_data(as_text=True)


def test_create_a_sequence_and_refuse_a_nameless_one(logged_in):
    token = _token(logged_in)
    response = logged_in.post(
        "/sequences",
        data={"csrf_token": token, "name": "Follow-up", "window": "on", "window_start": "09:00", "window_end": "18:00"},
    )
    sequence = db.session.query(Sequence).one()
    assert response.location.endswith(f"/sequences/{sequence.id}")
    assert (sequence.send_window_start.hour, sequence.send_window_end.hour) == (9, 18)
    refused = logged_in.post("/sequences", data={"csrf_token": token, "name": "  "}, follow_redirects=True)
    assert "a name is required" in refused.get_data(as_text=True)
    bad_window = logged_in.post(
        "/sequences",
        data={"csrf_token": token, "name": "X", "window": "on", "window_start": "21:00", "window_end": "08:00"},
        follow_redirects=True,
    )
    assert "must start before it ends" in bad_window.get_data(as_text=True)
    assert db.session.query(Sequence).count() == 1


def test_no_window_means_any_hour(logged_in):
    logged_in.post("/sequences", data={"csrf_token": _token(logged_in), "name": "Anytime"})
    assert db.session.query(Sequence).one().send_window_start is None


def test_add_a_step_in_the_trainers_words(logged_in, trainer):
    sequence = _sequence(trainer, steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    token = _token(logged_in, path)
    response = logged_in.post(
        path, data=_step_form(csrf_token=token, amount="1", direction="after", anchor="end", at="09:00")
    )
    assert response.status_code == 302
    step = db.session.query(Step).one()
    assert (step.offset, step.anchor, step.local_time.hour, step.kind) == ("P1D", "end", 9, "reminder")
    page = logged_in.get(f"/sequences/{sequence.id}").get_data(as_text=True)
    assert "1 day after end at 09:00" in page and "See you soon, Maya!" in page


def test_edit_form_shows_the_stored_step_in_words(logged_in, trainer):
    sequence = _sequence(trainer)
    step = sequence.steps[0]
    page = logged_in.get(f"/sequences/{sequence.id}/steps/{step.id}").get_data(as_text=True)
    assert 'name="amount" value="7"' in page and 'value="days" selected' in page and "Hi Maya! Pick 1 or 2" in page
    # One counter, the learner's: the message as rendered for the sample learner (issue 22).
    assert "data-preview-count" in page and "characters · 1 segment · GSM-7" in page
    token = _token(logged_in, f"/sequences/{sequence.id}/steps/{step.id}")
    logged_in.post(
        f"/sequences/{sequence.id}/steps/{step.id}",
        data=_step_form(
            csrf_token=token, kind="poll", amount="15", unit="minutes", choices="Red\nBlue\n\n", body="1 Red or 2 Blue?"
        ),
    )
    db.session.refresh(step)
    assert step.offset == "-PT15M" and step.choices == ["Red", "Blue"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"body": "Hi {{ firstname }}"}, "unknown variable"),
        ({"body": "Hi {{ first_name "}, "`{{ first_name` is not closed"),
        ({"body": "   "}, "The message is empty"),
        ({"channel": "email", "subject": "{{ session.nope }}"}, "unknown field"),
        ({"channel": "email", "subject": ""}, "subject is empty"),
        ({"amount": "seven"}, "whole number"),
        ({"amount": "-2"}, "zero or more"),
        ({"unit": "months"}, "unit must be"),
        ({"at": "25:99"}, "not a time of day"),
        ({"kind": "poll", "choices": "Only one"}, "between 2 and 9 choices"),
        ({"kind": "gossip"}, "must be one of"),
        ({"body": "x" * 1700}, "at most 1600"),
    ],
)
def test_a_step_that_would_fail_is_refused_with_the_reason(logged_in, trainer, overrides, message):
    sequence = _sequence(trainer)
    before = [(s.id, s.body, s.offset) for s in sequence.steps]
    path = f"/sequences/{sequence.id}/steps/new"
    response = logged_in.post(path, data=_step_form(csrf_token=_token(logged_in, path), **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert [(s.id, s.body, s.offset) for s in db.session.get(Sequence, sequence.id).steps] == before


def test_preview_renders_without_saving(logged_in, trainer):
    sequence = _sequence(trainer, steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    response = logged_in.post(
        path,
        data=_step_form(
            csrf_token=_token(logged_in, path),
            action="preview",
            body="Hello {{ first_name }} <b>{{ session.title }}</b>",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Hello Maya &lt;b&gt;Giving Feedback That Lands&lt;/b&gt;" in page
    assert db.session.query(Step).count() == 0


def test_preview_of_a_broken_template_says_it_cannot_preview(logged_in, trainer):
    sequence = _sequence(trainer, steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    response = logged_in.post(
        path, data=_step_form(csrf_token=_token(logged_in, path), action="preview", body="Hello {{ first_name")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Cannot preview this step" in page and "Not saved" not in page


def test_delete_and_clone(logged_in, trainer):
    sequence = _sequence(trainer)
    token = _token(logged_in, f"/sequences/{sequence.id}")
    clone = logged_in.post(f"/sequences/{sequence.id}/clone", data={"csrf_token": token})
    copy = db.session.query(Sequence).filter(Sequence.id != sequence.id).one()
    assert clone.location.endswith(f"/sequences/{copy.id}") and copy.name == "Copy of Onboarding"
    assert [s.body for s in copy.steps] == [s.body for s in sequence.steps]
    first = sequence.steps[0].id
    logged_in.post(f"/sequences/{sequence.id}/steps/{first}/delete", data={"csrf_token": token})
    db.session.expire_all()
    assert len(db.session.get(Sequence, sequence.id).steps) == 1 and len(copy.steps) == 2


def test_rename_and_refuse_a_bad_rename(logged_in, trainer):
    sequence = _sequence(trainer)
    token = _token(logged_in, f"/sequences/{sequence.id}")
    logged_in.post(f"/sequences/{sequence.id}", data={"csrf_token": token, "name": "Renamed"})
    refused = logged_in.post(f"/sequences/{sequence.id}", data={"csrf_token": token, "name": ""}, follow_redirects=True)
    assert "Nothing was changed" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Sequence, sequence.id).name == "Renamed"


def test_learner_facing_text_is_escaped(logged_in, trainer):
    sequence = _sequence(
        trainer,
        name="<script>alert(1)</script>",
        steps=[StepInput("info", "sms", "start", "-P1D", "<img src=x onerror=alert(1)> {{ first_name }}")],
    )
    page = logged_in.get(f"/sequences/{sequence.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; Maya" in page


def test_another_trainers_sequence_is_404(client, trainer):
    theirs = _sequence(accounts.create_trainer("other@example.com", "another long password", "Otto"))
    step = theirs.steps[0]
    login(client)
    token = _token(client)
    assert client.get(f"/sequences/{theirs.id}").status_code == 404
    assert client.get(f"/sequences/{theirs.id}/steps/{step.id}").status_code == 404
    for path in (
        f"/sequences/{theirs.id}",
        f"/sequences/{theirs.id}/clone",
        f"/sequences/{theirs.id}/steps/new",
        f"/sequences/{theirs.id}/steps/{step.id}/delete",
        f"/sequences/{theirs.id}/steps/{step.id}/test",
    ):
        assert client.post(path, data={"csrf_token": token, "name": "Mine now"}).status_code == 404, path
    mine = _sequence(trainer, name="Mine")
    assert client.get(f"/sequences/{mine.id}/steps/{step.id}").status_code == 404  # their step via my sequence
    db.session.expire_all()
    assert db.session.get(Sequence, theirs.id).name == "Onboarding" and len(theirs.steps) == 2


def test_posts_without_csrf_are_refused(logged_in, trainer):
    sequence = _sequence(trainer)
    for path in (
        "/sequences",
        "/sequences/starter",
        f"/sequences/{sequence.id}",
        f"/sequences/{sequence.id}/clone",
        f"/sequences/{sequence.id}/steps/new",
        f"/sequences/{sequence.id}/steps/{sequence.steps[0].id}/delete",
    ):
        assert logged_in.post(path, data=_step_form(name="X")).status_code == 400, path
    assert db.session.query(Sequence).count() == 1 and len(sequence.steps) == 2


def test_send_a_test_to_me(logged_in, trainer):
    from drip.models import OutboxMessage

    sequence = _sequence(trainer)
    sms, email = sequence.steps
    token = _token(logged_in, f"/sequences/{sequence.id}")
    done = logged_in.post(
        f"/sequences/{sequence.id}/steps/{email.id}/test", data={"csrf_token": token}, follow_redirects=True
    )
    page = done.get_data(as_text=True)
    assert "Sent a test to trainer@example.com" in page
    link = re.search(r'<a href="(/outbox[^"#]*)#([^"]+)">See it in the Outbox</a>', page)  # demo mode
    assert link, page
    outbox = logged_in.get(link.group(1)).get_data(as_text=True)
    assert f'id="{link.group(2)}"' in outbox and "Practice" in outbox  # the anchor lands on the test
    bad = logged_in.post(
        f"/sequences/{sequence.id}/steps/{sms.id}/test",
        data={"csrf_token": token, "phone": "+12015550999"},
        follow_redirects=True,
    )
    assert "No test sent: add your own phone" in bad.get_data(as_text=True)  # a typed number is never used
    logged_in.post("/account/phone", data={"csrf_token": token, "phone": "(201) 555-0123"})
    logged_in.post(f"/sequences/{sequence.id}/steps/{sms.id}/test", data={"csrf_token": token, "phone": "+12015550999"})
    sent = {(m.channel, m.to_address): m for m in db.session.query(OutboxMessage)}
    assert set(sent) == {("email", "trainer@example.com"), ("sms", "+12015550123")}
    assert sent[("sms", "+12015550123")].body.startswith("Hi Maya!")
    assert sent[("email", "trainer@example.com")].subject == "Practice"
    assert all(m.trainer_id == trainer.id for m in sent.values())
    assert db.session.query(Learner).count() == 0  # the trainer is never stored as a learner


def test_editing_a_step_moves_the_messages_of_sessions_using_it(logged_in, trainer):
    from datetime import timedelta

    from drip.models import Delivery, utcnow
    from drip.services.programs.enrolment import enrol
    from drip.services.learners.upsert import LearnerInput, upsert_learners
    from drip.services.programs.sessions import create_session

    sequence = _sequence(trainer)
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=20)
    ts = create_session(
        trainer,
        title="W",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone="UTC",
        sequence_ids=[sequence.id],
    )
    enrol(ts, [learner for learner, _ in upsert_learners(trainer, [LearnerInput("Ana", "+12015550123")])])
    poll = sequence.steps[0]
    before = db.session.query(Delivery).filter_by(step_id=poll.id).one().due_at
    path = f"/sequences/{sequence.id}/steps/{poll.id}"
    logged_in.post(
        path,
        data=_step_form(
            csrf_token=_token(logged_in, path), kind="poll", choices="A\nB", amount="8", body="Pick 1 or 2"
        ),
    )
    db.session.expire_all()
    after = db.session.query(Delivery).filter_by(step_id=poll.id).one().due_at
    assert before - after == timedelta(days=1)
    # A new step reaches the learners already enrolled.
    path = f"/sequences/{sequence.id}/steps/new"
    logged_in.post(path, data=_step_form(csrf_token=_token(logged_in, path)))
    assert db.session.query(Delivery).count() == 3


@pytest.mark.parametrize("window", [None, {"start": "00:00", "end": "06:00"}])
def test_send_window_survives_create_and_clone(trainer, window):
    from datetime import time

    from drip.services.programs.sequences import clone_sequence

    step = StepInput("info", "sms", "start", "-P1D", "Hi {{ first_name }}")
    original = create_sequence(trainer, name="Night owls", send_window=window, steps=[step])
    copy = clone_sequence(original)
    db.session.expire_all()
    expected = (None, None) if window is None else (time(0), time(6))
    for sequence in (db.session.get(Sequence, original.id), db.session.get(Sequence, copy.id)):
        assert (sequence.send_window_start, sequence.send_window_end) == expected


def test_a_clone_copies_every_authored_field_of_its_steps(trainer):
    from drip.services.programs.sequences import clone_sequence
    from drip.services.programs.step_fields import fields_of
    from tests.unit.test_step_fields import QUIZ

    from drip.services.media import library
    from tests.support.images import png

    quiz = {**QUIZ, "image_id": library.add_to_library(trainer.id, png(), "picture.png").id}  # the trainer's own
    original = create_sequence(trainer, name="Recall", steps=[StepInput(**quiz)])
    copy = clone_sequence(original)
    db.session.expire_all()
    [source], [twin] = db.session.get(Sequence, original.id).steps, db.session.get(Sequence, copy.id).steps
    assert twin.id != source.id and fields_of(twin) == fields_of(source) == quiz

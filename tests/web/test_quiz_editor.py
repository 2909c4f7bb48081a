"""The sequence editor's quiz editor: right choice, explanation, re-ask delay, follow-up, verdict preview."""

from __future__ import annotations

from drip.extensions import db
from drip.models import Step
from drip.services.programs.sequences import StepInput, create_sequence
from tests.conftest import csrf_token


def _form(path, client, **overrides):
    form = {
        "amount": "2",
        "unit": "days",
        "direction": "after",
        "anchor": "end",
        "at": "",
        "kind": "quiz",
        "channel": "sms",
        "subject": "",
        "body": "What sticks best?\n{{ reply_hint }}",
        "choices": "Re-reading\nTrying it soon\nWaiting",
        "if_late": "skip",
        "answer": "1",
        "explain": "Using it soon makes it stay.",
        "retry_amount": "3",
        "retry_unit": "days",
        "follow_up": "on",
        "follow_amount": "1",
        "follow_unit": "days",
        "follow_channel": "sms",
        "follow_body": "{{ first_name }}, A, B or C?",
        "follow_subject": "",
        "action": "save",
        "csrf_token": csrf_token(client, path),
    }
    form.update(overrides)
    return form


def test_preview_shows_both_verdicts_with_segments_and_the_lettered_choices(logged_in, trainer):
    sequence = create_sequence(trainer, name="Recall", steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    page = logged_in.post(path, data=_form(path, logged_in, action="preview")).get_data(as_text=True)
    assert "A) Re-reading\nB) Trying it soon\nC) Waiting\nReply A, B or C." in page
    assert "Right! Using it soon makes it stay." in page and "Not quite: Using it soon makes it stay." in page
    assert page.count("segment") >= 3 and "Maya, A, B or C?" in page
    assert db.session.query(Step).count() == 0  # a preview saves nothing


def test_save_stores_the_quiz_and_the_form_shows_it_again(logged_in, trainer):
    sequence = create_sequence(trainer, name="Recall", steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    assert logged_in.post(path, data=_form(path, logged_in)).status_code == 302
    step = db.session.query(Step).one()
    assert (step.kind, step.answer, step.explain, step.retry_after) == (
        "quiz",
        1,
        "Using it soon makes it stay.",
        "P3D",
    )
    assert step.follow_up == {"after": "P1D", "body": "{{ first_name }}, A, B or C?", "channel": "sms", "subject": None}
    page = logged_in.get(f"/sequences/{sequence.id}/steps/{step.id}").get_data(as_text=True)
    assert '<option value="1" selected>' in page and 'name="follow_up" value="on" checked' in page


def test_a_quiz_without_its_right_answer_is_refused(logged_in, trainer):
    sequence = create_sequence(trainer, name="Recall", steps=[StepInput("info", "sms", "start", "-P1D", "Hi")])
    path = f"/sequences/{sequence.id}/steps/new"
    response = logged_in.post(path, data=_form(path, logged_in, answer=""))
    assert response.status_code == 422 and 'data-error="answer"' in response.get_data(as_text=True)
    response = logged_in.post(path, data=_form(path, logged_in, answer="5"))
    assert response.status_code == 422
    assert db.session.query(Step).count() == 1


def test_the_sequence_page_shows_a_quiz_steps_verdicts_and_follow_up(logged_in, trainer):
    step = StepInput(
        "quiz",
        "sms",
        "end",
        "P2D",
        "Which?\n{{ reply_hint }}",
        choices=["Tea", "Coffee"],
        answer=0,
        explain="Tea, always.",
        follow_up={"after": "P1D", "body": "Still there?"},
    )
    sequence = create_sequence(trainer, name="Recall", steps=[step])
    page = logged_in.get(f"/sequences/{sequence.id}").get_data(as_text=True)
    assert "Right! Tea, always." in page and "Not quite: Tea, always." in page and "Still there?" in page

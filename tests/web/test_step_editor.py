"""The step editor a trainer can use (issue 22, item 5): one segment counter (the learner's), the
preview as of the step's own moment, errors in plain words once, variables from buttons, text kept."""

from __future__ import annotations

from drip.domain import templates
from drip.services.programs.sequences import StepInput, create_sequence
from tests.conftest import csrf_token
from tests.web.test_sequences import _step_form


QUIZ = "Quick check from {{ session.title }}, {{ first_name }}: what makes a new skill stick best?\n{{ reply_hint }}"


def _sequence(trainer):
    return create_sequence(trainer, name="Editor", steps=[StepInput("reminder", "sms", "start", "-P1D", "Hi")])


def _live(logged_in, sequence, **overrides):
    path = f"/sequences/{sequence.id}/steps/new"
    token = csrf_token(logged_in, path)
    return logged_in.post(
        f"/sequences/{sequence.id}/steps/preview", data=_step_form(**overrides), headers={"X-CSRFToken": token}
    )


def test_the_counter_counts_the_message_the_learner_gets(logged_in, trainer):
    sequence = _sequence(trainer)
    choices = "Re-reading your notes\nTrying it in a real situation within days\nWaiting until you feel ready"
    shown = _live(logged_in, sequence, kind="quiz", body=QUIZ, choices=choices, answer="1")
    assert shown.status_code == 200
    body = shown.json["body"]
    assert "Giving Feedback That Lands, Maya: what makes" in body and "\nA) Re-reading your notes" in body
    assert body.endswith("Reply A, B or C.") and templates.sms_segments(QUIZ).segments == 1
    counted = templates.sms_segments(body)
    assert shown.json["segments"] == {"units": counted.units, "segments": counted.segments, "encoding": "GSM-7"}
    assert counted.segments == 2  # the typed text fits one segment; what Maya gets takes two


def test_the_preview_is_as_of_the_steps_own_moment(logged_in, trainer):
    sequence = _sequence(trainer)
    day_before = _live(logged_in, sequence, amount="1", unit="days", body="Starts {{ session.starts_in }}")
    assert day_before.json["body"] == "Starts tomorrow at 09:30"
    assert day_before.json["moment"] == "Mon 13 Oct, 09:30 EDT"
    week_before = _live(logged_in, sequence, amount="7", unit="days", body="Starts {{ session.starts_in }}")
    assert week_before.json["body"] == "Starts in 7 days"
    opening = _live(logged_in, sequence, amount="15", unit="minutes", body="Starts {{ session.starts_in }}")
    assert opening.json["body"] == "Starts in 15 minutes"


def test_a_broken_template_is_said_plainly_once_and_the_text_is_kept(logged_in, trainer):
    sequence = _sequence(trainer)
    path = f"/sequences/{sequence.id}/steps/new"
    typed = "Hi {{ first_name, see you soon"
    response = logged_in.post(path, data=_step_form(csrf_token=csrf_token(logged_in, path), body=typed, label="Mine"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("is not closed") == 1 and "syntax error" not in page and "end of print statement" not in page
    assert typed in page and 'value="Mine"' in page  # the trainer's text and name are kept
    live = _live(logged_in, sequence, body=typed)
    assert "is not closed" in live.json["errors"]["body"]


def test_variables_come_from_buttons(logged_in, trainer):
    sequence = _sequence(trainer)
    page = logged_in.get(f"/sequences/{sequence.id}/steps/new").get_data(as_text=True)
    for variable in ("{{ first_name }}", "{{ session.starts_in }}", "{{ choices }}", "{{ cohort_url }}"):
        assert f'data-insert="{variable}"' in page
    assert "(as typed" not in page  # one counter

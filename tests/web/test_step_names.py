"""Steps are named, never shown as template code (issue 22): `label` in the API and the editor, else
kind and moment; `{{ choices }}` lists a poll's or quiz's choices as learners answer them."""

from __future__ import annotations

from drip.domain.messages import choices_text
from drip.domain.step_names import step_name
from drip.extensions import db
from drip.models import Step
from drip.services.programs.sequences import StepInput, create_sequence
from tests.conftest import csrf_token
from tests.web.test_api_support import api, poll_step, sms_step  # noqa: F401
from tests.web.test_sequences import _step_form


def test_a_step_is_named_by_its_label_else_by_kind_and_moment():
    assert step_name("poll", None, "start", "-P7D") == "Poll · 7 days before start"
    assert step_name("poll", "  Interest poll ", "start", "-P7D") == "Interest poll"
    assert step_name("digest", "", "start", "-PT5S") == "Digest · 5 seconds before start"
    assert step_name("live_prompt", None, "start", "PT0S") == "Live prompt · at start"


def test_choices_read_as_learners_answer_them():
    assert choices_text("poll", ["Tea", "Coffee"]) == "1 Tea\n2 Coffee"
    assert choices_text("quiz", ["Tea", "Coffee"]) == "A) Tea\nB) Coffee"
    assert choices_text("info", None) == ""


def test_the_api_takes_and_gives_a_label(api):  # noqa: F811
    body = {"name": "Named", "steps": [poll_step(label="Interest poll"), sms_step()]}
    created = api.post("/sequences", json=body)
    assert created.status_code == 201
    assert [step["label"] for step in created.json["steps"]] == ["Interest poll", None]
    assert api.get(f"/sequences/{created.json['id']}").json["steps"][0]["label"] == "Interest poll"
    too_long = api.post("/sequences", json={"name": "Long", "steps": [sms_step(label="x" * 81)]})
    assert too_long.status_code == 422 and "steps[0].label" in str(too_long.json["details"])


def test_the_editor_saves_a_label_and_the_sequence_page_shows_names(logged_in, trainer):
    sequence = create_sequence(
        trainer,
        name="Named steps",
        steps=[StepInput("poll", "sms", "start", "-P7D", "Pick:\n{{ choices }}", choices=["Tea", "Coffee"])],
    )
    page = logged_in.get(f"/sequences/{sequence.id}").get_data(as_text=True)
    assert "Poll · 7 days before start" in page and "Pick:\n1 Tea\n2 Coffee" in page
    path = f"/sequences/{sequence.id}/steps/new"
    form = _step_form(csrf_token=csrf_token(logged_in, path), label="Warm-up nudge")
    assert logged_in.post(path, data=form).status_code == 302
    assert db.session.query(Step).filter_by(label="Warm-up nudge").one().kind == "reminder"
    page = logged_in.get(f"/sequences/{sequence.id}").get_data(as_text=True)
    assert "Warm-up nudge" in page


def test_a_step_with_a_seconds_offset_opens_and_saves_unchanged(logged_in, trainer):
    sequence = create_sequence(
        trainer, name="Seconds", steps=[StepInput("reminder", "sms", "start", "-PT5S", "Soon, {{ first_name }}")]
    )
    step = sequence.steps[0]
    path = f"/sequences/{sequence.id}/steps/{step.id}"
    page = logged_in.get(path)
    assert page.status_code == 200 and 'value="seconds" selected' in page.get_data(as_text=True)
    form = _step_form(csrf_token=csrf_token(logged_in, path), amount="5", unit="seconds", body=step.body)
    assert logged_in.post(path, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Step, step.id).offset == "-PT5S"


def test_the_editor_keeps_the_text_when_the_label_is_refused(logged_in, trainer):
    sequence = create_sequence(trainer, name="Refused", steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    form = _step_form(csrf_token=csrf_token(logged_in, path), label="y" * 90, body="Keep me, {{ first_name }}")
    response = logged_in.post(path, data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Keep me, {{ first_name }}" in page and "under 80 characters" in page

"""Digest steps through the API and the step editor: `source` checked, stored and given back."""

from __future__ import annotations

from drip.extensions import db
from drip.models import Sequence, Step
from tests.conftest import csrf_token
from tests.web.test_api_support import api, sms_step  # noqa: F401


def _digest(**overrides) -> dict:
    fields = {
        "kind": "digest",
        "offset": "P2D",
        "anchor": "end",
        "body": "{% for a in answers %}{{ a.text }} ({{ a.by }}) {% endfor %}",
        **overrides,
    }
    return sms_step(**fields)


def test_a_digest_names_its_source_by_index_and_reads_back_the_same(api):
    steps = [
        sms_step(kind="discussion", offset="-P1D", body="What went well?"),
        _digest(source=0),
        _digest(source="questions", offset="P3D"),
    ]
    created = api.post("/sequences", json={"name": "With digests", "digest_by": "first_name", "steps": steps})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["digest_by"] == "first_name"
    assert [(s["kind"], s["source"]) for s in body["steps"]] == [
        ("discussion", None),
        ("digest", 0),
        ("digest", "questions"),
    ]
    digest = db.session.get(Step, body["steps"][1]["id"])
    assert digest.source_step_id == body["steps"][0]["id"]
    again = api.post(
        "/sequences",
        json={
            "name": "Round trip",
            "steps": [{k: v for k, v in s.items() if k not in ("id", "position", "timing")} for s in body["steps"]],
        },
    )
    assert again.status_code == 201 and [s["source"] for s in again.get_json()["steps"]] == [None, 0, "questions"]


def test_bad_sources_are_refused_naming_the_step_and_store_nothing(api):
    cases = [
        ([_digest()], "steps[0].source"),  # a digest without a source
        ([sms_step(), _digest(source=0)], "steps[1].source"),  # a reminder has no answers to share
        ([_digest(source=0)], "steps[0].source"),  # itself
        ([sms_step(kind="discussion"), _digest(source=7)], "steps[1].source"),  # no such step
        ([sms_step(source=0)], "steps[0].source"),  # only digests have a source
    ]
    for steps, field in cases:
        answer = api.post("/sequences", json={"name": "Bad", "steps": steps})
        assert answer.status_code == 422, steps
        assert field in {d["field"] for d in answer.get_json()["details"]}, answer.get_json()
    assert (
        api.post("/sequences", json={"name": "Bad", "digest_by": "full_name", "steps": [sms_step()]}).status_code == 422
    )
    assert db.session.query(Sequence).count() == 0


def test_the_step_editor_saves_a_digest_and_shows_the_sms_segment_limit(app, logged_in, trainer):
    from drip.services.programs.sequences import StepInput, create_sequence

    sequence = create_sequence(
        trainer, name="Editor", steps=[StepInput("practice", "sms", "end", "P1D", "How did it go?")]
    )
    practice = sequence.steps[0]
    page = logged_in.get(f"/sequences/{sequence.id}/steps/new").get_data(as_text=True)
    # The digest's source is named as the admin names steps (kind and moment), never by its template text.
    assert "4 segments" in page and "Approved answers to “Practice · 1 day after end”" in page
    token = csrf_token(logged_in, f"/sequences/{sequence.id}/steps/new")
    form = {
        "csrf_token": token,
        "amount": "3",
        "unit": "days",
        "direction": "after",
        "anchor": "end",
        "kind": "digest",
        "channel": "sms",
        "body": "{% for a in answers %}{{ a.text }}{% endfor %}",
        "if_late": "skip",
    }
    missing = logged_in.post(f"/sequences/{sequence.id}/steps/new", data=form)
    assert missing.status_code == 422 and "a digest needs a source" in missing.get_data(as_text=True)
    saved = logged_in.post(f"/sequences/{sequence.id}/steps/new", data={**form, "source": str(practice.id)})
    assert saved.status_code == 302
    db.session.expire_all()
    digest = db.session.query(Step).filter_by(kind="digest").one()
    assert (digest.digest_source, digest.source_step_id) == ("step", practice.id)


def test_the_sequence_page_sets_how_digests_attribute_answers(app, logged_in, trainer):
    from drip.services.programs.sequences import StepInput, create_sequence

    sequence = create_sequence(trainer, name="Attribution", steps=[StepInput("practice", "sms", "end", "P1D", "How?")])
    assert sequence.digest_by == "colleague"  # anonymous unless the trainer chooses names
    token = csrf_token(logged_in, f"/sequences/{sequence.id}")
    form = {"csrf_token": token, "name": "Attribution", "digest_by": "first_name"}
    assert logged_in.post(f"/sequences/{sequence.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Sequence, sequence.id).digest_by == "first_name"
    logged_in.post(f"/sequences/{sequence.id}", data={**form, "digest_by": "full_name"})
    db.session.expire_all()
    assert db.session.get(Sequence, sequence.id).digest_by == "first_name"

"""POST/GET /api/v1/sequences and the starter payload."""

from __future__ import annotations

import pytest

from drip.extensions import db
from drip.models import Sequence
from drip.services.programs.starter import STARTER_NAME, starter_steps
from tests.web.test_api_support import api, other_api, poll_step, sms_step, stored_sequence  # noqa: F401


def test_create_a_sequence_with_every_step_field(api):
    body = {
        "name": "Onboarding",
        "send_window": {"start": "09:00", "end": "18:00"},
        "steps": [
            poll_step(if_late="send"),
            {
                "kind": "practice",
                "channel": "email",
                "anchor": "end",
                "offset": "p1d",
                "local_time": "09:30",
                "subject": "Practice from {{ session.title }}",
                "body": "Hi {{ first_name }}, try one thing.",
            },
        ],
    }
    response = api.post("/sequences", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["name"] == "Onboarding"
    assert created["send_window"] == {"start": "09:00", "end": "18:00"}
    poll, practice = created["steps"]
    assert (poll["kind"], poll["choices"], poll["if_late"], poll["offset"]) == (
        "poll",
        ["Tea", "Coffee"],
        "send",
        "-P7D",
    )
    assert practice["offset"] == "P1D"  # canonical form
    assert practice["local_time"] == "09:30"
    assert practice["timing"] == "1 day after end at 09:30"
    assert db.session.get(Sequence, created["id"]).trainer_id == api.trainer.id


def test_send_window_defaults_to_8_to_21_and_null_means_any_hour(api):
    default = api.post("/sequences", json={"name": "A", "steps": [sms_step()]}).get_json()
    assert default["send_window"] == {"start": "08:00", "end": "21:00"}
    anytime = api.post("/sequences", json={"name": "B", "send_window": None, "steps": [sms_step()]}).get_json()
    assert anytime["send_window"] is None


@pytest.mark.parametrize(
    "step, field",
    [
        (sms_step(offset="P1M"), "steps[0].offset"),
        (sms_step(offset="-P99999999999999999999D"), "steps[0].offset"),
        (sms_step(offset="PT1.5H"), "steps[0].offset"),
        (sms_step(body="Hi {{ nobody }}"), "steps[0].body"),
        (sms_step(body="{% if %}"), "steps[0].body"),
        (sms_step(body="{{ session.price }}"), "steps[0].body"),
        (sms_step(kind="gossip"), "steps[0].kind"),
        (sms_step(local_time="25:00"), "steps[0].local_time"),
        (sms_step(local_time="9am"), "steps[0].local_time"),
        (sms_step(if_late="maybe"), "steps[0].if_late"),
        (sms_step(colour="red"), "steps[0].colour"),
        (sms_step(choices=["only one"], kind="poll"), "steps[0].choices"),
        (sms_step(channel="email", subject="{{ oops"), "steps[0].subject"),
        ({"kind": "info", "channel": "sms", "anchor": "start", "offset": "PT0S"}, "steps[0].body"),
    ],
)
def test_a_bad_step_is_refused_naming_its_field(api, step, field):
    response = api.post("/sequences", json={"name": "Bad", "steps": [step]})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert field in [problem["field"] for problem in body["details"]]
    assert db.session.scalar(db.select(db.func.count()).select_from(Sequence)) == 0


@pytest.mark.parametrize("window", [{"start": "21:00", "end": "08:00"}, {"start": "08:00"}, {"start": 8, "end": 9}])
def test_a_bad_send_window_is_refused(api, window):
    response = api.post("/sequences", json={"name": "W", "send_window": window, "steps": [sms_step()]})
    assert response.status_code == 422
    assert all(p["field"].startswith("send_window") for p in response.get_json()["details"])


def test_every_bad_step_is_listed_at_once(api):
    steps = [sms_step(), sms_step(offset="soon"), sms_step(body="{{ x }}")]
    fields = [p["field"] for p in api.post("/sequences", json={"name": "N", "steps": steps}).get_json()["details"]]
    assert fields == ["steps[1].offset"]  # structure first; templates are checked once the shape is right
    steps[1] = sms_step()
    fields = [p["field"] for p in api.post("/sequences", json={"name": "N", "steps": steps}).get_json()["details"]]
    assert fields == ["steps[2].body"]


def test_the_starter_payload_posts_as_is(api):
    starter = api.get("/sequences/starter")
    assert starter.status_code == 200
    payload = starter.get_json()
    assert payload["name"] == STARTER_NAME
    assert len(payload["steps"]) == len(starter_steps())
    assert db.session.scalar(db.select(db.func.count()).select_from(Sequence)) == 0  # reading stores nothing
    created = api.post("/sequences", json=payload)
    assert created.status_code == 201
    assert [s["kind"] for s in created.get_json()["steps"]] == [s.kind for s in starter_steps()]


def test_list_and_get_show_only_the_tokens_trainer(api, other_api):
    mine = stored_sequence(api.trainer, "Mine")
    theirs = stored_sequence(other_api.trainer, "Theirs")
    listed = api.get("/sequences").get_json()
    assert [s["name"] for s in listed["items"]] == ["Mine"]
    assert api.get(f"/sequences/{mine.id}").get_json()["steps"][0]["kind"] == "poll"
    assert api.get(f"/sequences/{theirs.id}").status_code == 404
    assert api.get("/sequences/123456").status_code == 404


def test_sequences_are_paginated_with_a_next_link(api):
    for n in range(5):
        stored_sequence(api.trainer, f"S{n}")
    first = api.get("/sequences?limit=2").get_json()
    assert [s["name"] for s in first["items"]] == ["S0", "S1"]
    assert first["next"].startswith("http://127.0.0.1:5000/api/v1/sequences?")
    second = api.get(first["next"].removeprefix("http://127.0.0.1:5000/api/v1")).get_json()
    third = api.get(f"/sequences?limit=2&cursor={second['next_cursor']}").get_json()
    assert [s["name"] for s in second["items"] + third["items"]] == ["S2", "S3", "S4"]
    assert third["next"] is None and third["next_cursor"] is None

"""A step's picture: picked in the step editor (preview, MMS cost) and through the API; only the trainer's images."""

from __future__ import annotations

from drip.extensions import db
from drip.models import Step
from drip.services import accounts
from drip.services.media import library
from tests.support.images import minimal_pdf, png
from tests.web.test_api_support import api  # noqa: F401  (fixture)
from tests.web.test_sequences import _sequence, _step_form, _token


def test_the_step_editor_picks_a_picture_previews_it_and_says_what_it_costs(logged_in, trainer):
    picture = library.add_to_library(trainer.id, png(), "team.png", "The team")
    library.add_to_library(trainer.id, minimal_pdf(), "slides.pdf")  # slides are not offered for a step
    sequence = _sequence(trainer, steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    page = logged_in.get(path).get_data(as_text=True)
    assert f'value="{picture.id}"' in page and f"/m/{picture.token}/thumbnail" in page and "slides.pdf" not in page
    token = _token(logged_in, path)
    preview = logged_in.post(path, data=_step_form(csrf_token=token, image_id=str(picture.id), action="preview"))
    html = preview.get_data(as_text=True)
    assert f'src="/m/{picture.token}" alt="The team"' in html
    assert "1 MMS to US and Canadian numbers" in html and "the link is added" in html
    live = logged_in.post(
        f"/sequences/{sequence.id}/steps/preview",
        data=_step_form(image_id=str(picture.id)),
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    ).get_json()
    assert live["image"]["url"] == f"/m/{picture.token}" and live["with_link"]["segments"] >= 1
    assert logged_in.post(path, data=_step_form(csrf_token=token, image_id=str(picture.id))).status_code == 302
    step = db.session.query(Step).one()
    assert step.image_id == picture.id
    edit = logged_in.get(f"/sequences/{sequence.id}/steps/{step.id}").get_data(as_text=True)
    assert f'id="image-{picture.id}" value="{picture.id}" checked' in edit
    assert f"step 1 (reminder) of “{sequence.name}”" in logged_in.get("/media").get_data(as_text=True)


def test_another_trainers_picture_or_a_pdf_is_refused_by_the_editor(logged_in, trainer):
    other = accounts.create_trainer("other@example.com", "another password", "Otto")
    theirs = library.add_to_library(other.id, png(), "theirs.png")
    slides = library.add_to_library(trainer.id, minimal_pdf(), "slides.pdf")
    sequence = _sequence(trainer, steps=[])
    path = f"/sequences/{sequence.id}/steps/new"
    token = _token(logged_in, path)
    for media_id, reason in ((theirs.id, "no picture with this id"), (slides.id, "not a PDF")):
        refused = logged_in.post(path, data=_step_form(csrf_token=token, image_id=str(media_id)))
        assert refused.status_code == 422 and reason in refused.get_data(as_text=True)
    assert db.session.query(Step).count() == 0


def test_the_api_takes_and_gives_a_steps_image_id(api):  # noqa: F811
    picture = library.add_to_library(api.trainer.id, png(), "team.png")
    step = {"kind": "info", "channel": "sms", "anchor": "start", "offset": "-P1D", "body": "Hello"}
    created = api.post("/sequences", json={"name": "With a picture", "steps": [{**step, "image_id": picture.id}]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["steps"][0]["image_id"] == picture.id
    other = accounts.create_trainer("other@example.com", "another password", "Otto")
    theirs = library.add_to_library(other.id, png(), "theirs.png")
    refused = api.post("/sequences", json={"name": "Not mine", "steps": [{**step, "image_id": theirs.id}]})
    assert refused.status_code == 422
    assert any(d["field"] == "steps[0].image_id" for d in refused.get_json()["details"])
    in_use = api.client.open(
        f"/api/v1/media/{picture.id}", method="DELETE", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert in_use.status_code == 409 and "With a picture" in in_use.get_json()["details"]

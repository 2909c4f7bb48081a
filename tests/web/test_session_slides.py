"""A session's slides: set through the API and the session form, on the cohort page from the session's start."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import TrainingSession, utcnow
from drip.services import accounts
from drip.services.media import library
from tests.conftest import csrf_token
from tests.support.images import minimal_pdf, png
from tests.web.test_api_support import api_for
from tests.web.test_cohort_page import _cohort, _token


def _session_body(starts_at) -> dict:
    return {
        "title": "Slides session",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        "timezone": "UTC",
    }


def test_slide_ids_through_the_api_in_order_and_only_the_trainers_own(client, trainer):
    api = api_for(client, trainer)
    picture = library.add_to_library(trainer.id, png(), "board.png")
    slides = library.add_to_library(trainer.id, minimal_pdf(), "deck.pdf")
    body = _session_body(utcnow() + timedelta(days=3))
    created = api.post("/sessions", json={**body, "slide_ids": [slides.id, picture.id, slides.id]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["slide_ids"] == [slides.id, picture.id]
    session_id = created.get_json()["id"]
    theirs = library.add_to_library(accounts.create_trainer("o@example.com", "another password", "O").id, png())
    refused = api.patch(f"/sessions/{session_id}", json={"slide_ids": [picture.id, theirs.id]})
    assert refused.status_code == 422 and "slide_ids" in str(refused.get_json()["details"])
    assert api.get(f"/sessions/{session_id}").get_json()["slide_ids"] == [slides.id, picture.id]  # unchanged
    patched = api.patch(
        f"/sessions/{session_id}", json={"slide_ids": [picture.id], "cohort_page": {"slides_early": True}}
    )
    assert patched.get_json()["slide_ids"] == [picture.id] and patched.get_json()["cohort_page"]["slides_early"]
    in_use = api.client.open(
        f"/api/v1/media/{picture.id}", method="DELETE", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert in_use.status_code == 409 and "Slides session" in in_use.get_json()["details"]


def test_the_cohort_page_shows_slides_from_the_start_or_earlier_when_the_trainer_says_so(client, trainer):
    ts, _, (ada, _, _) = _cohort(trainer, starts_at=utcnow() + timedelta(days=2))
    picture = library.add_to_library(trainer.id, png(), "board.png", "Our whiteboard")
    deck = library.add_to_library(trainer.id, minimal_pdf(), "deck.pdf")
    api = api_for(client, trainer)
    assert api.patch(f"/sessions/{ts.id}", json={"slide_ids": [picture.id, deck.id]}).status_code == 200
    page = client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)
    assert "Slides from your trainer" not in page and picture.token not in page  # not before the start
    api.patch(f"/sessions/{ts.id}", json={"cohort_page": {"slides_early": True}})
    page = client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)
    assert f'src="/m/{picture.token}" alt="Our whiteboard"' in page and f'href="/m/{deck.token}"' in page
    assert page.index(picture.token) < page.index(deck.token)
    api.patch(f"/sessions/{ts.id}", json={"cohort_page": {"slides_early": False}})
    db.session.get(TrainingSession, ts.id).starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert f"/m/{picture.token}" in client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)  # from the start


def test_the_session_form_picks_slides_from_the_library(logged_in, trainer):
    picture = library.add_to_library(trainer.id, png(), "board.png")
    ts, _, _ = _cohort(trainer)
    path = f"/sessions/{ts.id}/edit"
    page = logged_in.get(path)
    assert page.status_code == 200 and f'id="slide-{picture.id}"' in page.get_data(as_text=True)
    tz_form = {
        "csrf_token": csrf_token(logged_in, path),
        "title": ts.title,
        "starts": ts.starts_at.strftime("%Y-%m-%dT%H:%M"),
        "ends": ts.ends_at.strftime("%Y-%m-%dT%H:%M"),
        "timezone": "UTC",
        "moderation": "approve",
        "slide_ids": [str(picture.id)],
        "slides_early": "on",
    }
    db.session.get(TrainingSession, ts.id).timezone = "UTC"
    db.session.commit()
    assert logged_in.post(path, data=tz_form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(TrainingSession, ts.id)
    assert [item.id for item in saved.slides] == [picture.id] and saved.slides_early


def test_a_peers_picture_shows_on_the_cohort_page_once_approved(client, trainer):
    from drip.models import MediaItem, Reply
    from tests.web.test_reply_pictures import _message_with_pictures

    ts, _, (ada, ben, cy) = _cohort(trainer)
    for learner in (ben, cy):
        message = _message_with_pictures(trainer, learner, ts, "photo")
        reply = db.session.query(Reply).filter_by(learner_id=learner.id).one()
        reply.inbound_message_id = message.id
    db.session.commit()
    ben_picture, cy_picture = (
        db.session.query(MediaItem).filter_by(learner_id=learner.id, status="stored").one().token
        for learner in (ben, cy)
    )
    page = client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)
    assert f'src="/m/{ben_picture}"' in page  # Ben's answer is approved: its picture with it
    assert cy_picture not in page  # Cy's is not
    assert f'src="/m/{cy_picture}"' in client.get(f"/c/{_token(ts, cy)}").get_data(as_text=True)  # Cy sees her own

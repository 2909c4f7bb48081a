"""The demo shows pictures: a starter step with one, slides on the cohort page, and the simulator sends a picture."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from drip.extensions import db
from drip.models import InboundMessage, MediaItem, Sequence, TrainingSession
from drip.services.programs.demo import DEMO_SEQUENCE, DEMO_SESSION
from drip.services.programs.demo_picture import FILENAME
from tests.conftest import csrf_token
from tests.support.images import jpeg_with_location
from tests.support.inbound_factory import enrol, make_learner, make_session


def test_the_demo_sends_a_picture_with_two_steps_and_shows_it_as_a_slide(runner):
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    [picture] = db.session.query(MediaItem).filter_by(filename=FILENAME).all()
    demo = db.session.query(Sequence).filter_by(name=DEMO_SEQUENCE).one()
    assert sorted((s.kind, s.channel) for s in demo.steps if s.image_id == picture.id) == [
        ("discussion", "email"),
        ("reminder", "sms"),
    ]
    ts = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    assert [item.id for item in ts.slides] == [picture.id]
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    assert db.session.query(MediaItem).filter_by(filename=FILENAME).count() == 1  # seeded once


def _send(logged_in, number: str, body: str, data: bytes, name: str):
    token = csrf_token(logged_in, "/simulator")
    boundary, form = encode_multipart(
        {"csrf_token": token, "number": number, "body": body, "picture": FileStorage(io.BytesIO(data), name)}
    )
    return logged_in.post("/simulator/text", data=form, content_type=f"multipart/form-data; boundary={boundary}")


def test_the_simulator_sends_a_picture_as_an_mms_kept_with_the_text(app, logged_in, trainer):
    ts = make_session(trainer)
    ada = make_learner(trainer)
    enrol(ts, ada)
    assert _send(logged_in, ada.phone, "Our board", jpeg_with_location(), "board.jpg").status_code == 302
    message = db.session.query(InboundMessage).one()
    sent = db.session.query(MediaItem).filter_by(source="simulator").one()  # what Twilio's media URL stands for
    assert message.raw["NumMedia"] == "1" and message.raw["MediaUrl0"].endswith(f"/m/{sent.token}")
    kept = db.session.query(MediaItem).filter_by(inbound_message_id=message.id).one()
    assert kept.status == "stored" and kept.learner_id == ada.id and kept.content_type == "image/jpeg"
    page = logged_in.get("/simulator").get_data(as_text=True)
    assert f'src="/m/{kept.token}"' in page
    board = logged_in.get(f"/sessions/{ts.id}/board/questions").get_json()
    assert board["questions"][0]["pictures"][0]["url"] == f"/m/{kept.token}"


def test_the_simulator_refuses_a_file_that_is_no_picture(app, logged_in, trainer):
    ada = make_learner(trainer)
    page = _send(logged_in, ada.phone, "", b"<html>hi</html>", "x.png")
    assert page.status_code == 303
    assert "not a file the library takes" in logged_in.get("/simulator").get_data(as_text=True)
    assert db.session.query(InboundMessage).count() == 0

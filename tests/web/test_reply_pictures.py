"""A learner's pictures show with their reply: replies page, thread, learner page, board and the API."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import InboundMessage, LiveQuestion, MediaItem, Reply, utcnow
from drip.services.media.library import fill, new_token
from drip.domain.media import check_file
from tests.support.images import png
from tests.support.inbound_factory import make_learner, make_session
from tests.web.test_api_support import api  # noqa: F401  (fixture)


def _message_with_pictures(trainer, learner, ts, body: str) -> InboundMessage:
    message = InboundMessage(
        channel="sms",
        provider_message_id=new_token(),
        from_address=learner.phone,
        body=body,
        raw={},
        learner_id=learner.id,
        trainer_id=trainer.id,
        session_id=ts.id,
    )
    db.session.add(message)
    db.session.flush()
    kept = fill(
        MediaItem(
            trainer_id=trainer.id,
            token=new_token(),
            source="mms",
            learner_id=learner.id,
            inbound_message_id=message.id,
            position=0,
            alt_text="A picture sent by the learner",
        ),
        check_file(png()),
    )
    lost = MediaItem(
        trainer_id=trainer.id,
        token=new_token(),
        source="mms",
        status="refused",
        reason="larger than 5 MB",
        learner_id=learner.id,
        inbound_message_id=message.id,
        position=1,
        source_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    )
    db.session.add_all([kept, lost])
    db.session.commit()
    return message


def test_a_practice_reports_pictures_show_on_the_replies_thread_and_learner_pages(logged_in, trainer, api):  # noqa: F811
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=3))
    learner = make_learner(trainer)
    message = _message_with_pictures(trainer, learner, ts, "Our whiteboard <b>plan</b>")
    reply = Reply(
        trainer_id=trainer.id,
        session_id=ts.id,
        learner_id=learner.id,
        kind="practice_report",
        channel="sms",
        body=message.body,
        inbound_message_id=message.id,
    )
    db.session.add(reply)
    db.session.commit()
    kept = db.session.query(MediaItem).filter_by(status="stored").one()
    for page in (
        f"/sessions/{ts.id}/replies",
        f"/sessions/{ts.id}/learners/{learner.id}/thread",
        f"/learners/{learner.id}",
    ):
        html = logged_in.get(page).get_data(as_text=True)
        assert f'src="/m/{kept.token}/thumbnail"' in html, page
        assert "not kept: larger than 5 MB" in html, page
        assert "<b>plan</b>" not in html and "&lt;b&gt;plan&lt;/b&gt;" in html, page  # learner text escaped
    [item] = api.get(f"/sessions/{ts.id}/replies").get_json()["items"]
    assert item["media"][0]["status"] == "stored" and item["media"][0]["url"].endswith(f"/m/{kept.token}")
    assert item["media"][1] == {"status": "refused", "url": None, "reason": "larger than 5 MB"}


def test_a_live_questions_picture_is_on_the_board(logged_in, trainer):
    ts = make_session(trainer)
    learner = make_learner(trainer)
    message = _message_with_pictures(trainer, learner, ts, "Is this right?")
    db.session.add(
        LiveQuestion(session_id=ts.id, learner_id=learner.id, body=message.body, inbound_message_id=message.id)
    )
    db.session.commit()
    kept = db.session.query(MediaItem).filter_by(status="stored").one()
    [question] = logged_in.get(f"/sessions/{ts.id}/board/questions").json["questions"]
    assert question["pictures"] == [
        {
            "url": f"/m/{kept.token}",
            "thumbnail_url": f"/m/{kept.token}/thumbnail",
            "alt": "A picture sent by the learner",
        }
    ]


def test_a_learners_export_lists_their_pictures_and_erasure_deletes_them(client, trainer, api):  # noqa: F811
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=3))
    learner = make_learner(trainer)
    _message_with_pictures(trainer, learner, ts, "My plan")
    kept = db.session.query(MediaItem).filter_by(status="stored").one()
    token = kept.token
    exported = api.get(f"/learners/{learner.id}/export").get_json()
    pictures = exported["records"]["media_items"]  # every column, the picture's bytes (base64) included
    assert {p["token"] for p in pictures} == {kept.token} | {m.token for m in db.session.query(MediaItem)}
    assert any(p["data"] for p in pictures)
    assert client.get(f"/m/{kept.token}").status_code == 200
    assert (
        api.client.open(
            f"/api/v1/learners/{learner.id}", method="DELETE", headers={"Authorization": f"Bearer {api.token}"}
        ).status_code
        == 200
    )
    assert db.session.query(MediaItem).filter_by(learner_id=learner.id).count() == 0
    assert client.get(f"/m/{token}").status_code == 404

"""A step's picture reaches learners: MMS to US numbers, a link elsewhere, inline in email; loaded once per batch.

Through the real twilio and sendgrid libraries against the fake provider.
"""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import event, select, update

from drip.extensions import db
from drip.models import Learner, Step
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.delivery.send import send_claimed
from drip.services.media import library
from drip.services.programs.enrolment import enrol
from tests.integration.test_engine_sending import LATER, NOW, fake, providers  # noqa: F401  (fixtures)
from tests.support.engine_factory import make_learners, make_sequence, make_session
from tests.support.images import png


def _send_with_picture(trainer, channel: str, phones: list[str]):
    picture = library.add_to_library(trainer.id, png((40, 30)), "team.png", "The team at the whiteboard")
    sequence = make_sequence(trainer, ["PT0S"], channel=channel, body="Hi {{ first_name }}, see you soon.")
    db.session.execute(update(Step).where(Step.sequence_id == sequence.id).values(image_id=picture.id))
    db.session.commit()
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    learners = make_learners(trainer, len(phones))
    for learner, phone in zip(learners, phones):
        learner.phone = phone
    db.session.commit()
    enrol(ts, learners, now=NOW)
    job = new_job_id()
    ids = claim_due(LATER, 100, job_id=job)
    reads = []

    def count(conn, cursor, statement, *args):
        if "media_items" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts = send_claimed(ids, job)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counts.get("sent", 0) + counts.get("delivered", 0) == len(phones)  # a provider took them, or the outbox did
    return picture, reads


def test_a_us_number_gets_an_mms_whose_url_serves_the_picture_and_a_uk_number_the_link(
    providers,
    fake,
    trainer,
    client,  # noqa: F811
):
    picture, reads = _send_with_picture(trainer, "sms", ["+14155550101", "+12125550123", "+447700900123"])
    url = f"https://drip.example.org/m/{picture.token}"
    by_number = {message["to"]: message for message in fake.accepted}
    for us in ("+14155550101", "+12125550123"):
        assert by_number[us]["media_urls"] == [url] and url not in by_number[us]["body"]
    uk = by_number["+447700900123"]
    assert uk["media_urls"] == [] and uk["body"].endswith("\n" + url)
    served = client.get(f"/m/{picture.token}")  # what Twilio fetches
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert len(reads) == 1  # the picture is read once for the whole batch


def test_an_email_shows_the_picture_inline_with_its_alt_text(providers, fake, trainer):  # noqa: F811
    picture, reads = _send_with_picture(trainer, "email", ["+14155550101", "+14155550102"])
    assert len(reads) == 1
    for message in fake.accepted:
        [attachment] = message["attachments"]
        assert attachment["disposition"] == "inline" and attachment["type"] == "image/png"
        assert attachment["filename"] == "team.png"
        assert f'src="cid:{attachment["content_id"]}"' in message["html"]
        assert 'alt="The team at the whiteboard"' in message["html"]
        db.session.expire_all()
        stored = db.session.scalar(select(type(picture).data).where(type(picture).id == picture.id))
        assert base64.b64decode(attachment["content"]) == stored


def test_a_french_number_gets_the_link_in_the_text(providers, fake, trainer):  # noqa: F811
    _send_with_picture(trainer, "sms", ["+33612345678"])
    [message] = fake.accepted
    assert message["media_urls"] == [] and "/m/" in message["body"]
    assert db.session.query(Learner).count() == 1


def test_the_outbox_shows_an_mms_picture_and_an_emails_inline_picture_from_drip(app, trainer):
    from drip.models import OutboxMessage

    picture, _ = _send_with_picture(trainer, "email", ["+14155550101"])
    [email] = db.session.query(OutboxMessage).all()
    assert "cid:" not in email.html and f"/m/{picture.token}" in email.html  # no attachments in the outbox
    db.session.query(OutboxMessage).delete()
    db.session.commit()
    _send_with_picture(trainer, "sms", ["+14155550199"])
    [text] = db.session.query(OutboxMessage).all()
    assert text.headers["X-Drip-Media-Url"].endswith(
        "/m/" + db.session.query(type(picture)).order_by(type(picture).id.desc()).first().token
    )

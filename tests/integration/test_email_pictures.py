"""A learner's emailed pictures: carried by the Inbound Parse post, kept with the reply by the media lane."""

from __future__ import annotations

import io
from datetime import timedelta
from email.message import EmailMessage

from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from drip.extensions import db
from drip.models import InboundReceipt, MediaItem, Reply, utcnow
from drip.services.media import pictures
from tests.support.images import jpeg_with_location, noisy_png, png
from tests.support.inbound_factory import (
    EMAIL_PATH,
    inbound_parse_form,
    make_learner,
    make_session,
    make_step,
    sent_delivery,
)
from tests.support.webhook_drain import drain

SECRET, DOMAIN = "inbound-secret", "inbound.example.com"


def _practice(app, trainer):
    app.config.update(SENDGRID_INBOUND_SECRET=SECRET, INBOUND_EMAIL_DOMAIN=DOMAIN)
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    ana = make_learner(trainer, "Ana Souza", phone=None, email="ana@example.com")
    return sent_delivery(
        ts, ana, make_step(trainer, "practice", channel="email"), sent_at=utcnow() - timedelta(hours=5)
    )


def test_an_emailed_photo_is_kept_without_its_exif_and_a_text_attachment_is_not(app, client, trainer):
    delivery = _practice(app, trainer)
    form = inbound_parse_form(
        text="Here is our plan", sender="Ana <ana@example.com>", to=f"reply+{delivery.reply_token}@{DOMAIN}"
    )
    form["attachments"] = "2"
    form["attachment-info"] = (
        '{"attachment1": {"filename": "plan.jpg", "type": "image/jpeg"}, "attachment2": {"filename": "notes.txt", "type": "text/plain"}}'
    )
    boundary, body = encode_multipart(
        {
            **form,
            "attachment1": FileStorage(io.BytesIO(jpeg_with_location()), "plan.jpg", content_type="image/jpeg"),
            "attachment2": FileStorage(io.BytesIO(b"just notes"), "notes.txt", content_type="text/plain"),
        }
    )
    answer = client.post(
        EMAIL_PATH + f"?token={SECRET}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert answer.status_code == 200
    drain()
    reply = db.session.query(Reply).one()
    assert reply.kind == "practice_report" and reply.body.startswith("Here is our plan")
    [item] = db.session.query(MediaItem).all()
    assert (item.status, item.source, item.inbound_message_id) == ("pending", "email", reply.inbound_message_id)
    assert "pictures" not in db.session.query(InboundReceipt).one().payload  # the bytes live with the message only
    assert pictures.fetch_due() == 1
    db.session.refresh(item)
    assert item.status == "stored" and item.content_type == "image/jpeg"
    served = client.get(f"/m/{item.token}")
    assert dict(Image.open(io.BytesIO(served.data)).getexif()) == {}


def test_a_send_raw_posts_picture_is_kept_and_a_fake_one_refused(app, client, trainer):
    delivery = _practice(app, trainer)
    mime = EmailMessage()
    mime["From"], mime["To"] = "Ana <ana@example.com>", f"reply+{delivery.reply_token}@{DOMAIN}"
    mime["Subject"], mime["Message-ID"] = "Re: Practice", "<raw-1@mail.example.com>"
    mime.set_content("Two pictures attached")
    mime.add_attachment(png(), maintype="image", subtype="png", filename="board.png")
    mime.add_attachment(b"<html>not a picture</html>", maintype="image", subtype="gif", filename="evil.gif")
    form = {
        "email": mime.as_string(),
        "envelope": f'{{"to":["reply+{delivery.reply_token}@{DOMAIN}"],"from":"ana@example.com"}}',
        "SPF": "pass",
    }
    assert client.post(EMAIL_PATH + f"?token={SECRET}", data=form).status_code == 200
    drain()
    while pictures.fetch_due():
        pass
    kept, refused = db.session.query(MediaItem).order_by(MediaItem.position).all()
    assert kept.status == "stored" and kept.content_type == "image/png"
    assert refused.status == "refused" and "not a file" in refused.reason
    db.session.expire_all()
    assert db.session.get(MediaItem, refused.id).data is None


def test_a_send_raw_post_carrying_a_large_photo_is_accepted(app, client, trainer):
    """In "Send Raw" mode the whole MIME message, photo included, is one form field of several MB."""
    delivery = _practice(app, trainer)
    photo = noisy_png(2.7)  # 3.6 MB in base64
    assert len(photo) > 2 * 1024 * 1024
    mime = EmailMessage()
    mime["From"], mime["To"] = "Ana <ana@example.com>", f"reply+{delivery.reply_token}@{DOMAIN}"
    mime["Subject"], mime["Message-ID"] = "Re: Practice", "<raw-large@mail.example.com>"
    mime.set_content("Our whole wall of notes")
    mime.add_attachment(photo, maintype="image", subtype="png", filename="wall.png")
    form = {"email": mime.as_string(), "envelope": f'{{"to":["reply+{delivery.reply_token}@{DOMAIN}"]}}'}
    boundary, body = encode_multipart(form)
    answer = client.post(
        EMAIL_PATH + f"?token={SECRET}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    drain()
    while pictures.fetch_due():
        pass
    [item] = db.session.query(MediaItem).all()
    assert item.status == "stored" and item.content_type == "image/png"
    assert db.session.query(Reply).one().body.startswith("Our whole wall of notes")

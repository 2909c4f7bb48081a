"""A learner's MMS picture: stored with the text in the webhook, fetched by a worker with the Twilio credentials.

The fake provider keeps the pictures as Twilio does (basic auth, then a redirect to its media store).
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from PIL import Image

from drip.appliers import Appliers
from drip.extensions import db
from drip.models import InboundMessage, MediaItem, Reply, utcnow
from drip.services.media import pictures
from drip.services.media import shown as shown_pictures
from fakes.provider import FakeProvider
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN
from tests.support.images import jpeg_with_location, png
from tests.support.inbound_factory import (
    SMS_PATH,
    make_learner,
    make_session,
    make_step,
    sent_delivery,
    sms_form,
    twilio_signature,
)
from tests.support.webhook_drain import drain


@pytest.fixture()
def provider(app):
    with FakeProvider() as fake:
        app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE=fake.url)
        yield fake


@pytest.fixture()
def practising(app, trainer):
    """A learner who was sent a practice step yesterday (not live now): their texts are practice reports."""
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    learner = make_learner(trainer)
    sent_delivery(ts, learner, make_step(trainer, "practice"), sent_at=utcnow() - timedelta(hours=20))
    return learner


def post_mms(client, app, body: str, urls: list[str], types: list[str] | None = None):
    form = sms_form(body)
    form["NumMedia"] = str(len(urls))
    for index, url in enumerate(urls):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = (types or ["image/jpeg"] * len(urls))[index]
    return client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, form)})


def test_an_mms_practice_report_carries_the_picture_fetched_with_the_accounts_credentials(
    app, client, provider, practising
):
    url = provider.add_media(jpeg_with_location(), "image/jpeg")
    started = time.thread_time()  # the test client answers in this thread: its CPU, whatever else the machine does
    answer = post_mms(client, app, "Here is our whiteboard", [url])
    took = time.thread_time() - started
    assert answer.status_code == 200
    assert provider.media.fetches == []  # nothing fetched in the webhook's request
    assert took < 1.0, took  # stored, not fetched: milliseconds
    drain()  # the inbound lane routes it: the text is a practice report at once, its picture pending
    reply = db.session.query(Reply).one()
    assert reply.kind == "practice_report" and reply.body == "Here is our whiteboard"
    [item] = db.session.query(MediaItem).all()
    assert item.status == "pending" and item.inbound_message_id == reply.inbound_message_id
    assert pictures.fetch_due() == 1  # the media lane
    db.session.refresh(item)
    assert item.status == "stored" and item.content_type == "image/jpeg" and item.learner_id == practising.id
    # Fetched with the credentials, then the redirect followed to the store (which needs none).
    assert [(f["status"], f["authenticated"]) for f in provider.media.fetches] == [(307, True), (200, True)]
    served = client.get(f"/m/{item.token}")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.data)).getexif()) == {}
    [shown] = shown_pictures.pictures_for([reply.inbound_message_id])[reply.inbound_message_id]
    assert shown.url == f"/m/{item.token}"


def test_a_failed_fetch_is_retried_with_backoff_and_finally_kept_as_a_link_with_the_text(
    app, client, provider, practising
):
    missing = provider.add_media(png(), "image/png").rsplit("/", 1)[0] + "/ME" + "0" * 32  # Twilio answers 404
    post_mms(client, app, "Photo attached", [missing])
    drain()
    item = db.session.query(MediaItem).one()
    now = utcnow()
    waits = []
    for attempt in range(1, pictures.MAX_ATTEMPTS + 1):
        assert pictures.fetch_due(now=now) == 1
        db.session.refresh(item)
        assert item.attempts == attempt
        if item.status != "pending":
            break
        waits.append(item.retry_at - now)
        assert pictures.fetch_due(now=now) == 0  # not due again before its backoff
        now = item.retry_at
    assert waits == [pictures.backoff(n) for n in range(1, pictures.MAX_ATTEMPTS)]
    assert waits[1] == 3 * waits[0]
    assert item.status == "failed" and "404" in item.reason
    assert db.session.query(Reply).one().body == "Photo attached"  # the text never waited for it, nor is lost


def test_at_most_ten_pictures_are_kept_and_others_are_links_with_the_reason(app, client, provider, practising):
    urls = [provider.add_media(png(colour=(i, 0, 0)), "image/png") for i in range(11)]
    post_mms(client, app, "", urls, ["image/png"] * 11)
    drain()
    rows = db.session.query(MediaItem).order_by(MediaItem.position).all()
    assert [r.status for r in rows] == ["pending"] * 10 + ["refused"]
    assert rows[-1].reason == pictures.TOO_MANY and rows[-1].source_url == urls[-1]
    while pictures.fetch_due():
        pass
    assert {r.status for r in db.session.query(MediaItem).filter(MediaItem.position < 10)} == {"stored"}


def test_a_picture_that_is_not_one_or_not_twilios_is_refused_without_retrying(app, client, provider, practising):
    html = provider.add_media(b"<html><script>alert(1)</script></html>", "image/jpeg")
    post_mms(client, app, "look", [html, "https://evil.example/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1"])
    drain()
    while pictures.fetch_due():
        pass
    first, second = db.session.query(MediaItem).order_by(MediaItem.position).all()
    assert first.status == "refused" and "not a file" in first.reason and first.attempts == 1
    assert second.status == "refused" and second.reason == "not a Twilio media address" and second.attempts == 1
    assert all("evil" not in f["path"] for f in provider.media.fetches)


def test_a_workers_media_lane_keeps_the_picture_within_seconds(app, client, provider, practising):
    url = provider.add_media(png(), "image/png")
    appliers = Appliers(app)
    appliers.start()
    try:
        post_mms(client, app, "Our plan", [url], ["image/png"])
        deadline = time.monotonic() + 15
        while True:
            db.session.rollback()
            item = db.session.query(MediaItem).first()
            if item is not None and item.status == "stored":
                break
            assert time.monotonic() < deadline, "the picture was not kept within 15 s"
            time.sleep(0.05)
    finally:
        appliers.stop()
    message = db.session.query(InboundMessage).one()
    assert item.inbound_message_id == message.id and message.body == "Our plan"

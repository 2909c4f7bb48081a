"""Read tracking end to end: links rewritten at send time, clicks through /l/, engagement states in the API."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, DeliveryRead, OutboxMessage, Reply
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.programs.enrolment import enrol
from drip.services.delivery.send import send_claimed as send_batch
from tests.support.engine_factory import make_learners, make_sequence, make_session
from tests.integration.test_engine_sending import LATER, NOW
from tests.web.test_api_support import api_for
from tests.web.test_status_webhooks import post_events, signing  # noqa: F401

BODY = "Hi {{ first_name }}, the slides: https://slides.example.com/deck?id=7. Join: {{ session.join_url }}"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def _sent(trainer, count=3):
    sequence = make_sequence(trainer, ["PT0S"], body=BODY)
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    learners = make_learners(trainer, count)
    enrol(ts, learners, now=NOW)
    job = new_job_id()
    assert send_batch(claim_due(LATER, 100, job_id=job), job)["delivered"] == count
    # The learners read a minute after the message went out: later than a scanner would.
    for delivery in db.session.scalars(select(Delivery)):
        delivery.sent_at -= timedelta(minutes=1)
    db.session.commit()
    bodies = {m.delivery_id: m.body for m in db.session.scalars(select(OutboxMessage))}
    by_learner = {d.learner_id: bodies[d.id] for d in db.session.scalars(select(Delivery))}
    return ts, learners, by_learner


def _paths(body: str) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:5000(/l/[\w-]+)", body)


def test_links_go_out_tracked_and_lead_to_the_original(app, client, trainer):
    ts, learners, bodies = _sent(trainer, 1)
    body = bodies[learners[0].id]
    assert "slides.example.com" not in body and "meet.example.com" not in body
    first, second = _paths(body)
    assert body.count("/l/") == 2 and body.index(first) < body.index(second)
    answer = client.get(first, headers={"User-Agent": BROWSER})
    assert answer.status_code == 302 and answer.headers["Location"] == "https://slides.example.com/deck?id=7"
    assert client.get(second, headers={"User-Agent": BROWSER}).headers["Location"] == "https://meet.example.com/x"
    # One click recorded per delivery, however many links or clicks.
    assert db.session.scalar(select(db.func.count()).select_from(DeliveryRead)) == 1
    forged = first[:-3] + ("aaa" if not first.endswith("aaa") else "bbb")
    assert client.get(forged, headers={"User-Agent": BROWSER}).status_code == 404


def test_reader_active_silent_and_a_scanner_changes_nothing(app, client, trainer):
    ts, (reader, talker, quiet), bodies = _sent(trainer, 3)
    api = api_for(client, trainer)
    before = api.get(f"/sessions/{ts.id}/engagement").get_json()
    assert before["states"] == {"active": 0, "reader": 0, "silent": 3, "opted_out": 0}

    # A link scanner: HEAD, a scanner agent, and an instant GET without cookie.
    scanner = app.test_client()
    link = _paths(bodies[quiet.id])[0]
    assert scanner.head(link, headers={"User-Agent": BROWSER}).status_code == 302
    assert (
        scanner.get(link, headers={"User-Agent": "Mozilla/5.0 (compatible; Proofpoint URL Defense)"}).status_code == 302
    )
    after_scan = api.get(f"/sessions/{ts.id}/engagement").get_json()
    assert after_scan == before
    flags = set(db.session.scalars(select(DeliveryRead.flag)))
    assert flags == {"head", "scanner_agent"}  # kept, flagged

    assert app.test_client().get(_paths(bodies[reader.id])[0], headers={"User-Agent": BROWSER}).status_code == 302
    delivery = db.session.scalar(select(Delivery).where(Delivery.learner_id == talker.id))
    db.session.add(
        Reply(
            trainer_id=trainer.id,
            session_id=ts.id,
            learner_id=talker.id,
            step_id=delivery.step_id,
            kind="unclassified",
            channel="sms",
            body="Thanks!",
        )
    )
    db.session.commit()

    found = api.get(f"/sessions/{ts.id}/engagement").get_json()
    states = {row["learner_id"]: row["state"] for row in found["learners"]}
    assert states == {reader.id: "reader", talker.id: "active", quiet.id: "silent"}
    assert found["states"] == {"active": 1, "reader": 1, "silent": 1, "opted_out": 0}
    [step] = found["steps"]
    assert (step["sent"], step["clicked"], step["opened"], step["replied"]) == (3, 1, 0, 1)
    assert all(row["received"] == 1 for row in found["learners"])


def test_tracking_off_leaves_links_alone(app, trainer):
    app.config["TRACK_LINKS"] = False
    _, learners, bodies = _sent(trainer, 1)
    assert "https://slides.example.com/deck?id=7" in bodies[learners[0].id]
    assert "/l/" not in bodies[learners[0].id]


def test_sendgrid_opens_and_clicks_count_as_reads_but_machine_opens_do_not(app, client, trainer, signing):
    sequence = make_sequence(trainer, ["PT0S"], channel="email", body="Hello {{ first_name }}")
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    opener, prefetched, clicker = make_learners(trainer, 3)
    enrol(ts, [opener, prefetched, clicker], now=NOW)
    job = new_job_id()
    send_batch(claim_due(LATER, 100, job_id=job), job)
    ids = {d.learner_id: d.id for d in db.session.scalars(select(Delivery))}
    events = [
        {"event": "open", "delivery_id": str(ids[opener.id]), "sg_event_id": "e1", "useragent": BROWSER},
        {"event": "open", "delivery_id": str(ids[opener.id]), "sg_event_id": "e2", "useragent": BROWSER},
        {"event": "open", "delivery_id": str(ids[prefetched.id]), "sg_event_id": "e3", "sg_machine_open": True},
        {
            "event": "click",
            "delivery_id": str(ids[clicker.id]),
            "sg_event_id": "e4",
            "useragent": BROWSER,
            "url": "https://example.com",
        },
    ]
    # The signed Event Webhook stores the batch; a worker's applier records the reads (drained here).
    assert post_events(client, signing, events).status_code in (200, 202, 204)
    assert post_events(client, signing, events[:1]).status_code in (200, 202, 204)  # a repeat changes nothing
    found = api_for(app.test_client(), trainer).get(f"/sessions/{ts.id}/engagement").get_json()
    states = {row["learner_id"]: row["state"] for row in found["learners"]}
    assert states == {opener.id: "reader", prefetched.id: "silent", clicker.id: "reader"}
    [step] = found["steps"]
    assert (step["opened"], step["clicked"]) == (1, 1)
    assert db.session.scalar(select(db.func.count()).select_from(DeliveryRead)) == 3  # repeats counted once


def test_the_links_of_an_emails_html_part_are_tracked_and_work(app, client, trainer):
    sequence = make_sequence(trainer, ["PT0S"], channel="email", body="Read https://slides.example.com/deck.")
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    enrol(ts, make_learners(trainer, 1), now=NOW)
    job = new_job_id()
    send_batch(claim_due(LATER, 100, job_id=job), job)
    message = db.session.scalar(select(OutboxMessage))
    [href] = re.findall(r'<a href="http://127\.0\.0\.1:5000(/l/[^"]+)"', message.html)
    assert "slides.example.com" not in message.html and "slides.example.com" not in message.body
    answer = client.get(href, headers={"User-Agent": BROWSER})
    assert answer.status_code == 302 and answer.headers["Location"] == "https://slides.example.com/deck"

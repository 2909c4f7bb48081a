"""GET /metrics: hidden while DRIP_METRICS_TOKEN is unset, bearer-protected, summed over processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.delivery_rows import make_delivery, make_learner
from tests.support.inbound_factory import post_sms

TOKEN = "metrics-token-for-tests"


def scrape(client) -> dict[tuple, float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


@pytest.fixture()
def metrics_on(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


def test_metrics_is_404_while_no_token_is_configured(client, app):
    app.config["METRICS_TOKEN"] = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_metrics_refuses_a_missing_or_wrong_token(client, metrics_on, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_deliveries_by_status_and_channel_and_the_webhook_backlog(client, metrics_on, trainer):
    learner = make_learner(trainer)
    for status in ("scheduled", "sent", "sent"):
        make_delivery(learner, status=status, channel="sms")
    make_delivery(learner, status="delivered", channel="email")
    post_sms(client, metrics_on, "A question nobody has routed yet", apply=False)
    samples = scrape(client)
    assert samples[("drip_deliveries", (("channel", "sms"), ("status", "sent")))] == 2
    assert samples[("drip_deliveries", (("channel", "email"), ("status", "delivered")))] == 1
    assert samples[("drip_webhook_backlog", (("lane", "inbound"),))] == 1
    assert samples[("drip_webhook_backlog", (("lane", "callbacks"),))] == 0
    assert samples[("drip_webhook_oldest_unapplied_seconds", (("lane", "inbound"),))] >= 0
    assert ("drip_queue_depth", (("queue", "due"),)) in samples


def test_pictures_waiting_for_the_media_lane_are_its_backlog(client, metrics_on, trainer):
    from datetime import timedelta

    from drip.extensions import db
    from drip.models import MediaItem, utcnow

    learner = make_learner(trainer)
    for status, age in (("pending", 90), ("pending", 10), ("stored", 600), ("refused", 600)):
        db.session.add(
            MediaItem(
                trainer_id=trainer.id,
                token=f"picture-{status}-{age}",
                source="mms",
                status=status,
                learner_id=learner.id,
                created_at=utcnow() - timedelta(seconds=age),
            )
        )
    db.session.commit()
    samples = scrape(client)
    assert samples[("drip_webhook_backlog", (("lane", "media"),))] == 2  # fetched or refused ones wait no more
    assert 90 <= samples[("drip_webhook_oldest_unapplied_seconds", (("lane", "media"),))] < 150


def test_webhook_latency_counts_each_request(client, metrics_on, trainer):
    key = ("drip_webhook_latency_seconds_count", (("webhook", "webhooks_inbound.twilio_sms"),))
    before = scrape(client).get(key, 0)
    post_sms(client, metrics_on, "Why does feedback land badly?")
    post_sms(client, metrics_on, "And with remote teams?")
    assert scrape(client)[key] == before + 2


def test_worker_processes_metrics_are_summed(client, metrics_on):
    """Two other processes (as gunicorn workers or Drip workers would) each record a send; /metrics sums all."""
    key = ("drip_send_latency_seconds_count", (("channel", "sms"),))
    before = scrape(client).get(key, 0)
    code = (
        "from drip import create_app; from drip.metrics import observe_send; "
        f"create_app({{'INSTANCE_PATH': {metrics_on.config['INSTANCE_PATH']!r}, 'SECRET_KEY': 'x', "
        f"'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'REDIS_URL': {metrics_on.config['REDIS_URL']!r}}}); "
        "observe_send('sms', 0.2, 1.5)"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_on.config["METRICS_DIR"]}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    samples = scrape(client)
    assert samples[key] == before + 2
    assert samples[("drip_delivery_lateness_seconds_bucket", (("channel", "sms"), ("le", "2.0")))] >= 2


def test_open_board_streams_are_a_live_gauge(client, metrics_on):
    from drip.services.board.stream import BoardStream

    before = scrape(client).get(("drip_board_streams_open", ()), 0)
    stream = BoardStream(1, lambda: {"type": "snapshot", "questions": []}, anonymous=False, config={})
    try:
        assert scrape(client)[("drip_board_streams_open", ())] == before + 1
    finally:
        stream.close()
    assert scrape(client)[("drip_board_streams_open", ())] == before


def test_a_figure_that_cannot_be_recorded_never_breaks_the_caller(metrics_on):
    """A sending thread records its send after the provider took the message: a metrics error must not surface."""
    from drip.metrics import observe_send

    observe_send("sms", None, "not a number")  # type: ignore[arg-type]  (raises inside, logged)

"""Acceptance: thousands of messages through real worker processes against a flaky fake provider.

The real twilio and sendgrid libraries talk HTTP to fakes/provider.py, which fails 20% of
requests at random (429, 500, timeouts). Every delivery must end sent/delivered or failed with
a reason, and the provider must have accepted each message exactly once.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, insert, select
from twilio.request_validator import RequestValidator

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, utcnow
from tests.support.webhook_drain import wait_applied
from tests.support.delivery_rows import make_session
from tests.support.engine_workers import descendants, kill_all
from fakes.provider import FakeProvider
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN, SENDGRID_KEY

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = 1050  # one SMS and one email each: 2,100 messages
WORKERS = 3
BATCH_SIZE = 700
DEADLINE_SECONDS = 150
PROVIDERS = {
    "PUBLIC_BASE_URL": "https://drip.example.org",
    "SMS_PROVIDER": "twilio",
    "EMAIL_PROVIDER": "sendgrid",
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_FROM_NUMBER": "+15005550001",
    "SENDGRID_API_KEY": SENDGRID_KEY,
    "SENDGRID_FROM_EMAIL": "team@drip.example.org",
    "INBOUND_EMAIL_DOMAIN": "in.drip.example.org",
    "SMS_RATE": 1000.0,
}
# The same settings, as the environment variables a worker process reads (drip/config.py).
ENV_NAMES = {
    "SMS_PROVIDER": "DRIP_SMS_PROVIDER",
    "EMAIL_PROVIDER": "DRIP_EMAIL_PROVIDER",
    "INBOUND_EMAIL_DOMAIN": "DRIP_INBOUND_EMAIL_DOMAIN",
    "SMS_RATE": "DRIP_SMS_RATE",
}


@pytest.fixture()
def fake():
    """The fake provider, failing a fifth of requests; timeouts held past the client's timeout."""
    with FakeProvider(
        failure_rate=0.2, failures=("429", "500", "timeout"), seed=8058, retry_after=1, timeout_hold=30.0
    ) as provider:
        yield provider


@pytest.fixture()
def live(app, fake):
    """The in-process app configured like the workers: real providers pointed at the fake."""
    app.config.update(PROVIDERS, TWILIO_API_BASE=fake.url, SENDGRID_API_HOST=fake.url)
    yield app
    from drip.channels.registry import close_channels

    close_channels(app)


def worker_env(app_config: dict, fake_url: str, tmp: Path) -> dict:
    """Environment for `flask drip worker`: same database, Redis and providers as the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SENDGRID_", "DRIP_"))}
    env.update(
        {
            "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app_config["REDIS_URL"],
            "DRIP_INSTANCE_PATH": app_config["INSTANCE_PATH"],
            "SECRET_KEY": app_config["SECRET_KEY"],
            "TWILIO_API_BASE": fake_url,
            "SENDGRID_API_HOST": fake_url,
            "DRIP_DISPATCH_INTERVAL": "0.2",
            "PYTHONUNBUFFERED": "1",
            # A batch ends with its slowest message (a timeout, retried): few large batches, one per
            # worker, keep the run short; so does a short client timeout, yet long enough that an answer
            # the fake provider (threads of this busy test process) gives late is not taken for a timeout.
            "DRIP_DISPATCH_BATCH_SIZE": str(BATCH_SIZE),
            "DRIP_PROVIDER_TIMEOUT": "5",
        }
    )
    for key, value in PROVIDERS.items():
        env[ENV_NAMES.get(key, key)] = str(value)
    return env


def start_workers(env: dict, tmp: Path, count: int, *args: str) -> list[tuple[subprocess.Popen, Path]]:
    """Start `count` worker processes, each logging to its own file."""
    started = []
    for n in range(count):
        log = tmp / f"worker-{n}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "drip", "drip", "worker", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append((process, log))
    return started


def stop_workers(workers) -> None:
    """SIGTERM (RQ's warm shutdown), then kill whatever is still running after a deadline."""
    # A worker killed at the deadline would leave its RQ scheduler child running.
    children = [pid for process, _ in workers if process.poll() is None for pid in descendants(process.pid)]
    for process, _ in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process, _ in workers:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    kill_all(children)


def log_tails(workers) -> str:
    """The end of each worker's log, for a failure message."""
    return "\n".join(f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:] for _, log in workers)


def add_learners(trainer, training_session, count: int) -> None:
    """Bulk-create learners enrolled in the session, each with a delivery per step, all due now."""
    due = utcnow() - timedelta(minutes=1)
    rows = [
        {"trainer_id": trainer.id, "name": f"Learner {n}", "phone": f"+1415{n:07d}", "email": f"learner{n}@example.org"}
        for n in range(count)
    ]
    db.session.execute(insert(Learner), rows)
    learner_ids = db.session.scalars(select(Learner.id).where(Learner.trainer_id == trainer.id)).all()
    db.session.execute(insert(Enrollment), [{"session_id": training_session.id, "learner_id": i} for i in learner_ids])
    enrollments = db.session.execute(select(Enrollment.id, Enrollment.learner_id)).all()
    steps = [step for sequence in training_session.sequences for step in sequence.steps]
    db.session.execute(
        insert(Delivery),
        [
            {
                "enrollment_id": e,
                "step_id": step.id,
                "session_id": training_session.id,
                "learner_id": learner,
                "channel": step.channel,
                "due_at": due,
                "status": "scheduled",
            }
            for e, learner in enrollments
            for step in steps
        ],
    )
    db.session.commit()


def two_channel_session(trainer):
    """A session whose sequences hold one SMS step and one email step."""
    sms = make_session(trainer, channel="sms")
    email = make_session(trainer, channel="email").sequences[0]
    sms.sequences.append(email)
    db.session.commit()
    return sms


def wait_until_settled(expected: int, workers, deadline_seconds: float) -> Counter:
    """Poll the database until no delivery is pending or in flight; fail at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        db.session.rollback()  # a fresh snapshot each time
        counts = Counter(
            dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        )
        if sum(counts.values()) == expected and not counts.keys() & {"scheduled", "queued", "sending"}:
            return counts
        dead = [p for p, _ in workers if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            pytest.fail(
                f"not settled ({'a worker exited' if dead else 'deadline'}): {dict(counts)}\n" + log_tails(workers)
            )
        time.sleep(0.25)


def test_two_thousand_messages_each_accepted_once_despite_failures(live, client, trainer, fake, app_config, tmp_path):
    add_learners(trainer, two_channel_session(trainer), LEARNERS)
    expected = LEARNERS * 2
    workers = start_workers(worker_env(app_config, fake.url, tmp_path), tmp_path, WORKERS)
    started = time.monotonic()
    try:
        counts = wait_until_settled(expected, workers, DEADLINE_SECONDS)
    finally:
        stop_workers(workers)
    elapsed = time.monotonic() - started

    deliveries = db.session.execute(
        select(
            Delivery.id,
            Delivery.channel,
            Delivery.status,
            Delivery.provider_message_id,
            Delivery.error_code,
            Delivery.error_message,
        )
    ).all()
    accepted = Counter((m["provider"], m["delivery_id"]) for m in fake.accepted)
    ids = {(m["provider"], m["delivery_id"]): m.get("sid") or m.get("message_id") for m in fake.accepted}
    provider = {"sms": "twilio", "email": "sendgrid"}
    injected = Counter(
        "timeout" if r["outcome"] is None else str(r["outcome"])
        for r in fake.requests
        if r["outcome"] not in (201, 202)
    )

    problems: list[tuple[str, str]] = []  # (kind, detail)
    for d in deliveries:
        key = (provider[d.channel], d.id)
        if d.status in ("sent", "delivered"):
            if accepted[key] != 1:
                problems.append((f"{d.status}, accepted {accepted[key]} times", str(d.id)))
            elif ids[key] != d.provider_message_id:
                problems.append(("wrong provider id", f"{d.id}: {d.provider_message_id} != {ids[key]}"))
        elif d.status == "failed":
            if not d.error_message:
                problems.append(("failed without a reason", str(d.id)))
            if accepted[key]:
                problems.append(("failed yet accepted", str(d.id)))
        else:
            problems.append((f"ended {d.status}", f"{d.id}: {d.error_code} {d.error_message}"))
    strays = set(accepted) - {(provider[d.channel], d.id) for d in deliveries}
    report = (
        f"{expected} deliveries in {elapsed:.1f}s with {WORKERS} workers: {dict(counts)}; "
        f"{len(fake.requests)} requests, injected {dict(injected)}"
    )
    print(report)
    assert not strays, f"provider accepted messages for no delivery: {sorted(strays)[:10]}"
    kinds = Counter(kind for kind, _ in problems)
    assert not problems, f"{len(problems)} problems {dict(kinds)}, e.g. {problems[:3]}\n{report}"
    assert injected["timeout"] and injected["429"] and injected["500"], report  # the chaos really happened
    assert sum(accepted.values()) == counts["sent"] + counts["delivered"]
    report_deliveries(client, fake)


def report_deliveries(client, fake) -> None:
    """Play the providers' delivery reports back, shuffled and some twice: every sent message ends delivered."""
    rng = random.Random(2369)
    twilio = [m for m in fake.accepted if m["provider"] == "twilio"]
    callbacks = [(m, status) for m in twilio for status in ("sent", "delivered")]
    callbacks += rng.sample(callbacks, len(callbacks) // 10)
    rng.shuffle(callbacks)
    for message, status in callbacks:
        # Signed over the StatusCallback URL the worker gave Twilio, exactly as Twilio would.
        params = {"MessageSid": message["sid"], "MessageStatus": status, "To": message["to"], "AccountSid": ACCOUNT_SID}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(message["status_callback"], params)
        path = message["status_callback"].removeprefix(PROVIDERS["PUBLIC_BASE_URL"])
        response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 204, response.get_data(as_text=True)
    events = [
        {
            "event": name,
            "email": m["to"],
            "sg_event_id": f"{name}-{m['message_id']}",
            "timestamp": 1767225600,
            "sg_message_id": f"{m['message_id']}.filter0001",
            **m["custom_args"],
        }
        for m in fake.accepted
        if m["provider"] == "sendgrid"
        for name in ("delivered", "processed")
    ]
    private_key = ec.generate_private_key(ec.SECP256R1())
    client.application.config["SENDGRID_EVENT_PUBLIC_KEY"] = base64.b64encode(
        private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    for batch in (events[i : i + 500] for i in range(0, len(events), 500)):
        body = json.dumps(batch).encode()
        signature = base64.b64encode(private_key.sign(b"1767225600" + body, ec.ECDSA(hashes.SHA256()))).decode()
        response = client.post(
            "/webhooks/sendgrid/events",
            data=body,
            content_type="application/json",
            headers={
                "X-Twilio-Email-Event-Webhook-Signature": signature,
                "X-Twilio-Email-Event-Webhook-Timestamp": "1767225600",
            },
        )
        assert response.get_json()["errors"] == 0
    wait_applied()  # stored by the webhooks; applied here or by a worker still running
    counts = dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    counts.pop("failed", None)  # never accepted, so never reported on
    assert counts == {"delivered": len(fake.accepted)}


def _signed_stop(client, phone: str) -> None:
    """Text STOP from a phone through the real inbound webhook, signed as Twilio signs."""
    params = {
        "MessageSid": "SM" + "5" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": "+15005550001",
        "Body": "STOP",
    }
    url = PROVIDERS["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    response = client.post(
        "/webhooks/twilio/sms",
        data=urlencode(params),
        headers={"X-Twilio-Signature": signature},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_stop_after_queuing_and_before_sending_sends_nothing(live, client, trainer, fake, app_config, tmp_path):
    from drip.services.delivery.dispatch import dispatch_due

    fake.failure_rate = 0.0
    training_session = make_session(trainer, channel="sms")
    add_learners(trainer, training_session, 2)
    stopper, other = db.session.scalars(select(Learner).order_by(Learner.id)).all()
    assert dispatch_due() == 2  # both claimed and their job is waiting in Redis
    assert set(db.session.scalars(select(Delivery.status))) == {"queued"}

    _signed_stop(client, stopper.phone)

    workers = start_workers(worker_env(app_config, fake.url, tmp_path), tmp_path, 1, "--burst")
    try:
        workers[0][0].wait(timeout=60)
    finally:
        stop_workers(workers)
    assert workers[0][0].returncode == 0, log_tails(workers)
    db.session.rollback()
    mine = db.session.scalar(select(Delivery).where(Delivery.learner_id == stopper.id))
    theirs = db.session.scalar(select(Delivery).where(Delivery.learner_id == other.id))
    assert (mine.status, mine.error_code) == ("skipped", "opted_out")
    assert "Opted out of SMS (replied STOP)" in mine.error_message
    assert theirs.status == "sent"
    assert [m["to"] for m in fake.accepted] == [other.phone]

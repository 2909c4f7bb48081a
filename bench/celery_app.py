"""The Celery baseline: what many Flask teams would pick instead of RQ. One task per message, each one
Twilio send through the same client class Drip uses, a thread pool per worker, Redis as broker.

At its best: each pool thread keeps its twilio client (as Drip's sending threads do), results are
ignored, and a done counter in Redis (one INCR) is all a task writes.
"""

from __future__ import annotations

import os
import threading

import redis
from celery import Celery

from drip.channels.base import OutgoingMessage
from drip.channels.twilio_sms import TwilioSms

BROKER = os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/13")
DONE_KEY = "bench:celery:done"
app = Celery("bench", broker=BROKER)
app.conf.update(
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=4,
    task_default_queue="bench-celery",
)
_local = threading.local()
_counter = redis.Redis.from_url(BROKER)


@app.task(name="bench.send_sms")
def send_sms(api_base: str, account_sid: str, auth_token: str, from_number: str, to: str, body: str) -> None:
    """Send one SMS through the twilio library, with this thread's client."""
    channel = getattr(_local, "channel", None)
    if channel is None:
        channel = _local.channel = TwilioSms(account_sid, auth_token, from_number=from_number, api_base=api_base)
    channel.send(OutgoingMessage(None, "sms", to, body))
    _counter.incr(DONE_KEY)

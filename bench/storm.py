"""6. A storm: 10,000 signed status callbacks as fast as 16 connections go, while one learner texts a
question every half second; each question's time from its webhook to the trainer's open board (the
SSE stream, through gunicorn). Drip (stored, one worker applying) beside the in-request design.
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from bench import ingest
from bench.board_client import Board, signed_in
from bench.common import Bench, Figure, percentile
from bench.fleet import drip_workers, gunicorn, wait_registered
from bench.procs import wait_until
from bench.provider import FROM_NUMBER, twilio_env
from bench.stack import PUBLIC_BASE_URL
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN


def _text(base: str, phone: str, body: str) -> None:
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": FROM_NUMBER,
        "Body": body,
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + ingest.PATHS["sms"], params)
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST",
        ingest.PATHS["sms"],
        urlencode(params),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )
    connection.getresponse().read()
    connection.close()


def one_storm(bench: Bench, env: dict, bodies: ingest.Bodies, phone: str, session_id: int, *, worker: bool) -> dict:
    """Serve, open the board, run the storm and the questions; each question's latency to the board.

    With a worker, Drip as it runs; without one, the in-request design (bench/in_request_app.py)."""
    sizes = bench.sizes
    web, base = gunicorn(bench, env, name="web-storm", app_spec=None if worker else ingest.IN_REQUEST)
    workers = drip_workers(bench, env, 1) if worker else []
    if workers:
        wait_registered(bench, workers)
    board = None
    try:
        board = Board(signed_in(base), base, session_id)
        if not board.connected.wait(20):
            raise RuntimeError("the board stream did not open")
        storm_file = bodies.file(sizes.storm_callbacks)
        result: dict = {}
        storm = threading.Thread(
            target=lambda: result.update(ingest.loadgen(base, storm_file, 600, path=ingest.PATHS["status"])),
            daemon=True,
        )
        storm.start()
        time.sleep(0.5)  # the storm is on
        asked = {}
        for n in range(sizes.storm_questions):
            body = f"Storm question {n} {uuid.uuid4().hex[:6]}: what if they disagree?"
            asked[body] = time.monotonic()
            _text(base, phone, body)
            time.sleep(0.5)
        wait_until(
            lambda: all(b in board.seen for b in asked), timeout=120, interval=0.1, what="questions on the board"
        )
        storm.join(600)
        latencies = [board.seen[b] - at for b, at in asked.items()]
        bench.say(
            f"  storm ({'stored' if worker else 'in-request'}): callbacks {result.get('rate', 0):.0f}/s, "
            f"question on board p50 {percentile(latencies, 50) * 1000:.0f} ms max {max(latencies) * 1000:.0f} ms"
        )
        return {"latencies": latencies, "storm": result}
    finally:
        if board is not None:
            board.close()
        for child in workers:
            child.stop()
        web.stop()


def measure(bench: Bench) -> list[Figure]:
    """The storm, `runs` times per design; the rows of section 6."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    phones, sids = ingest._seed(bench, min(ingest.SEEDED, sizes.runs * 2 * sizes.storm_callbacks // 2))
    with stack.app().app_context():
        from drip.extensions import db
        from drip.models import TrainingSession

        session_id = db.session.scalar(db.select(TrainingSession.id))
        db.session.remove()
    env = stack.env(**twilio_env("http://127.0.0.1:9"))
    bodies = ingest.Bodies("status", phones, sids, bench.workdir)
    bench.say(f"storm: {sizes.storm_callbacks:,} callbacks, {sizes.storm_questions} questions, {sizes.runs} runs each")
    drip = [one_storm(bench, env, bodies, phones[0], session_id, worker=True) for _ in range(sizes.runs)]
    inline = [
        one_storm(bench, env, bodies, phones[1], session_id, worker=False)
        for _ in range(sizes.runs if sizes.peers else 0)
    ]
    bench.extras["storm"] = {"drip": drip, "inline": inline}
    stack.reset()
    label = "(in-request design)"
    return [
        Figure(
            "6",
            f"storm of {sizes.storm_callbacks:,} callbacks: each question webhook -> board, worst",
            "ms",
            [max(r["latencies"]) * 1000 for r in drip],
            [max(r["latencies"]) * 1000 for r in inline],
            label,
            "<= 1,000 ms",
            lambda v, b: v <= 1000,
        ),
        Figure(
            "6",
            "storm: question webhook -> board, p50",
            "ms",
            [percentile(r["latencies"], 50) * 1000 for r in drip],
            [percentile(r["latencies"], 50) * 1000 for r in inline],
            label,
        ),
        Figure(
            "6",
            "storm: callbacks accepted",
            "req/s",
            [r["storm"]["rate"] for r in drip],
            [r["storm"]["rate"] for r in inline],
            label,
        ),
        Figure(
            "6",
            "storm: callback errors (all runs)",
            "",
            [sum(r["storm"]["errors"] for r in drip)],
            [sum(r["storm"]["errors"] for r in inline)] if inline else [],
            label,
            "0",
            lambda v, b: v == 0,
        ),
    ]

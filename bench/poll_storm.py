"""8. A live poll storm: N learners of a live session were sent a poll two minutes ago; N signed votes
(one per learner, MessageSids all distinct) are posted as fast as the load client goes (wrk, one
thread, 16 connections, each body once; the Python client without wrk), to gunicorn as the Procfile
runs it (2 web processes) with `sizes.workers` Drip workers running, the trainer's board open
(signed in, its SSE stream through gunicorn).

Measured per run: votes accepted per second, webhook p50/p99, errors; that every vote was counted
exactly once (the database's tally per choice against the one the bodies were drawn with); from the
last answer to the load client, how long until the board's stream carried a chart counting all N,
and until `GET /api/v1/sessions/{id}/poll-results` did; how many charts the board received; peak RSS
of the web's tree and of the largest worker's; Redis growth (MEMORY USAGE of the keys, before and
after). **Baseline:** the path before issue 28 (`bench/poll_every_vote.py`: each vote loads every
vote of the poll as a row and publishes a chart), same processes, on fewer votes (its cost per vote
grows with the votes before it; fewer votes flatter it), each vote routed in its request as it was then
(Drip's are stored by the webhook and routed by the workers in batches).
"""

from __future__ import annotations

import random
import shutil
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests
from sqlalchemy import delete, func, insert, select
from twilio.request_validator import RequestValidator

from bench import ingest, seed
from bench.board_client import Board, signed_in
from bench.common import Bench, Figure
from bench.fleet import drip_workers, gunicorn, wait_registered
from bench.memory import MB, redis_bytes
from bench.procs import RssSampler, tree_cpu_seconds, wait_until
from bench.provider import FROM_NUMBER, twilio_env
from bench.stack import PUBLIC_BASE_URL, ROOT
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

CHOICES = ["Ask first", "Listen", "Summarise", "Agree a next step"]
BASELINE_APP = "bench.poll_every_vote:create_app()"


class PollBoard(Board):
    """An open board that notes each poll chart: how many came, and when one first counted `voters`."""

    def __init__(self, *args, **kwargs):
        self.charts, self.voters, self.complete_at = 0, 0, None
        self.expected = 0
        super().__init__(*args, **kwargs)

    def expect(self, voters: int) -> None:
        """Start counting charts afresh; note when one counts this many voters."""
        self.charts, self.voters, self.complete_at, self.expected = 0, 0, None, voters

    def _note(self, event: dict) -> None:
        # A chart, or the snapshot that opens each (re)connected stream (charts published meanwhile are in it).
        charts = [event["poll"]] if event.get("type") == "poll" else event.get("polls") or []
        self.charts += event.get("type") == "poll"
        for chart in charts:
            self.voters = max(self.voters, chart["voters"])
            if self.complete_at is None and self.expected and chart["voters"] >= self.expected:
                self.complete_at = time.monotonic()


def _seed(bench: Bench, voters: int) -> dict:
    """The trainer, a live session with one SMS poll, `voters` learners enrolled and sent it; an API token."""
    from drip.extensions import db
    from drip.models import Delivery, Enrollment, Step, utcnow
    from drip.services import accounts

    with bench.stack.app().app_context():
        owner = seed.trainer()
        poll = Step(kind="poll", channel="sms", anchor="start", offset="PT0S", body="Which first?", choices=CHOICES)
        ts = seed.session(owner, starts_at=utcnow() - timedelta(minutes=10), steps=[poll])
        people = seed.learners(owner, voters)
        now, sent = utcnow(), utcnow() - timedelta(minutes=2)
        db.session.execute(
            insert(Enrollment),
            [{"session_id": ts.id, "learner_id": lid, "source": "admin", "created_at": now} for lid, _ in people],
        )
        enrolled = dict(db.session.execute(select(Enrollment.learner_id, Enrollment.id)).all())
        rows = [
            {
                "enrollment_id": enrolled[lid],
                "step_id": poll.id,
                "session_id": ts.id,
                "learner_id": lid,
                "channel": "sms",
                "due_at": sent,
                "status": "delivered",
                "sent_at": sent,
                "provider_message_id": f"SM{lid:032x}",
                "updated_at": now,
            }
            for lid, _ in people
        ]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Delivery), rows[start : start + 5000])
        db.session.commit()
        token = accounts.create_token(owner, "bench")
        seeded = {"session_id": ts.id, "step_id": poll.id, "phones": [p for _, p in people], "token": token}
        db.session.remove()
    return seeded


def _votes_file(bench: Bench, phones: list[str], count: int) -> tuple[Path, list[int]]:
    """`count` signed votes, one per learner, choices drawn at random (seeded); and the tally they make."""
    chooser, validator = random.Random(28), RequestValidator(AUTH_TOKEN)
    url, expected = PUBLIC_BASE_URL + ingest.PATHS["sms"], [0] * len(CHOICES)
    path = bench.workdir / f"votes-{count}-{uuid.uuid4().hex[:6]}.txt"
    with open(path, "w") as out:
        for phone in phones[:count]:
            choice = chooser.randrange(len(CHOICES))
            expected[choice] += 1
            sid = "SM" + uuid.uuid4().hex
            params = {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": ACCOUNT_SID,
                "From": phone,
                "To": FROM_NUMBER,
                "Body": str(choice + 1),
                "NumMedia": "0",
                "NumSegments": "1",
            }
            out.write(f"{validator.compute_signature(url, params)}\t{urlencode(params)}\n")
    return path, expected


def _post_all(base: str, votes: Path, count: int) -> dict:
    """Each vote posted once, as fast as the client goes: wrk when installed, else bench.loadgen."""
    if not shutil.which("wrk"):
        return ingest.loadgen(base, votes, 600.0, path=ingest.PATHS["sms"])
    result = ingest.wrk(
        base, votes, 600.0, ingest.PATHS["sms"], script=ROOT / "bench" / "wrk_once.lua", until="WRK_ALL_ANSWERED"
    )
    # wrk's rate counts the few /healthz fillers sent after the last vote; the votes' rate is this.
    result["rate"] = count * result["rate"] / max(result["requests"], 1)
    return result


def _forget_votes(bench: Bench, seeded: dict) -> None:
    """Remove what a run's votes left, so the next run starts from an empty poll."""
    from drip.extensions import db
    from drip.models import InboundMessage, InboundReceipt, Reply

    with bench.stack.app().app_context():
        db.session.execute(delete(Reply))
        db.session.execute(delete(InboundMessage))
        db.session.execute(delete(InboundReceipt))
        db.session.commit()
        db.session.remove()
    client = bench.stack.redis()
    for key in client.scan_iter("drip:redraw:*"):
        client.delete(key)


def _counted(bench: Bench, seeded: dict) -> list[int]:
    """Votes per choice in the database: one row per vote, each learner once."""
    from drip.extensions import db
    from drip.models import Reply

    with bench.stack.app().app_context():
        rows = db.session.execute(
            select(Reply.choice_index, func.count())
            .where(Reply.step_id == seeded["step_id"], Reply.kind == "poll_vote")
            .group_by(Reply.choice_index)
        ).all()
        db.session.remove()
    counts = [0] * len(CHOICES)
    for choice, count in rows:
        counts[choice] = count
    return counts


def _results_voters(base: str, seeded: dict) -> int:
    answer = requests.get(
        f"{base}/api/v1/sessions/{seeded['session_id']}/poll-results",
        headers={"Authorization": f"Bearer {seeded['token']}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["polls"][0]["votes"]


def one_storm(bench: Bench, env: dict, seeded: dict, count: int, *, name: str, app_spec: str | None = None) -> dict:
    """Serve, open the board, post `count` votes, wait for the chart and poll-results to count them all."""
    votes, expected = _votes_file(bench, seeded["phones"], count)
    web, base = gunicorn(bench, env, name=name, app_spec=app_spec)
    workers = drip_workers(bench, env, bench.sizes.workers)
    board = None
    try:
        wait_registered(bench, workers)
        board = PollBoard(signed_in(base), base, seeded["session_id"])
        if not board.connected.wait(20):
            raise RuntimeError("the board stream did not open")
        redis_before = redis_bytes(bench.stack.redis())
        board.expect(count)
        with RssSampler({"web": [web.pid], "worker": [w.pid for w in workers]}) as rss:
            cpu_before = tree_cpu_seconds(web.pid)
            workers_before = sum(tree_cpu_seconds(w.pid) for w in workers)
            posted = _post_all(base, votes, count)
            last = time.monotonic()
            web_cpu = tree_cpu_seconds(web.pid) - cpu_before  # storing each vote (routing it, on the old path)
            wait_until(lambda: _results_voters(base, seeded) >= count, timeout=120, interval=0.05, what="poll-results")
            results_after = time.monotonic() - last
            worker_cpu = sum(tree_cpu_seconds(w.pid) for w in workers) - workers_before  # routing them (Drip)
            wait_until(lambda: board.complete_at, timeout=120, interval=0.02, what="a chart counting every vote")
            time.sleep(0.5)  # a last chart in flight is counted too
        if not board.charts:
            raise RuntimeError(f"{name}: no chart reached the board (see its log)")
        counted = _counted(bench, seeded)
        result = {
            "votes": count,
            "post": posted,
            "counted_once": counted == expected,
            "counted": sum(counted),
            "chart_after": max(0.0, board.complete_at - last),
            "results_after": results_after,
            "charts": board.charts,
            "web_cpu_ms": web_cpu / count * 1000,
            "worker_cpu_ms": worker_cpu / count * 1000,
            "web_rss": rss.peaks["web"],
            "worker_rss": rss.peaks["worker"],
            "redis_growth": redis_bytes(bench.stack.redis()) - redis_before,
        }
        bench.say(
            f"  {name}: {count:,} votes at {posted['rate']:.0f}/s, p99 {posted['p99'] * 1000:.0f} ms, "
            f"web CPU {result['web_cpu_ms']:.2f} ms/vote, workers {result['worker_cpu_ms']:.2f} ms/vote, "
            f"errors {posted['errors']}, "
            f"counted once {result['counted_once']}, chart complete "
            f"+{result['chart_after']:.2f} s, poll-results +{results_after:.2f} s, {board.charts} charts"
        )
        return result
    finally:
        if board is not None:
            board.close()
        for child in workers:
            child.stop()
        web.stop()
        votes.unlink(missing_ok=True)
        _forget_votes(bench, seeded)


def measure(bench: Bench) -> list[Figure]:
    """The storm `runs` times on Drip's path and on the old one; the rows of section 8."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    voters, old = sizes.poll_voters, min(sizes.poll_voters, sizes.poll_baseline_votes)
    seeded = _seed(bench, voters)
    env = stack.env(**twilio_env("http://127.0.0.1:9"))  # no outbound call happens; the token signs webhooks
    bench.say(f"poll storm: {voters:,} votes (old path: {old:,}), {sizes.workers} workers, {sizes.runs} runs each")
    drip = [one_storm(bench, env, seeded, voters, name="web-poll") for _ in range(sizes.runs)]
    baseline = [
        one_storm(bench, env, seeded, old, name="web-poll-old", app_spec=BASELINE_APP) for _ in range(sizes.runs)
    ]
    bench.extras["poll_storm"] = {"drip": drip, "old": baseline}
    stack.reset()
    return _figures(voters, old, drip, baseline)


def _figures(voters: int, old: int, drip: list[dict], baseline: list[dict]) -> list[Figure]:
    label = f"(old path, {old:,} votes)"
    client = drip[0]["post"]["client"]

    def row(name, unit, pick, target="", meets=None, note=""):
        return Figure("8", name, unit, [pick(r) for r in drip], [pick(r) for r in baseline], label, target, meets, note)

    return [
        row(
            f"poll storm, {voters:,} votes: accepted ({client}, {ingest.CONNECTIONS} conns)",
            "votes/s",
            lambda r: r["post"]["rate"],
            ">= 500",
            lambda v, b: v >= 500,
        ),
        row(
            "poll storm: vote webhook p99", "ms", lambda r: r["post"]["p99"] * 1000, "<= 100 ms", lambda v, b: v <= 100
        ),
        row("poll storm: vote webhook p50", "ms", lambda r: r["post"]["p50"] * 1000),
        row(
            "poll storm: web CPU per vote",
            "ms",
            lambda r: r["web_cpu_ms"],
            note="robust to the machine's load, unlike rates and latencies",
        ),
        row(
            "poll storm: workers' CPU per vote (routing, charts)",
            "ms",
            lambda r: r["worker_cpu_ms"],
            note="from the first post until poll-results counts all",
        ),
        Figure(
            "8",
            "poll storm: errors (all runs)",
            "",
            [sum(r["post"]["errors"] for r in drip)],
            [sum(r["post"]["errors"] for r in baseline)],
            label,
            "0",
            lambda v, b: v == 0,
        ),
        row(
            "poll storm: runs with every vote counted exactly once",
            "%",
            lambda r: 100.0 * r["counted_once"],
            "100 %",
            lambda v, b: v == 100,
        ),
        row(
            "poll storm: chart on the board counts all, after the last post",
            "s",
            lambda r: r["chart_after"],
            "<= 2 s",
            lambda v, b: v <= 2,
        ),
        row(
            "poll storm: poll-results counts all, after the last post",
            "s",
            lambda r: r["results_after"],
            "<= 2 s",
            lambda v, b: v <= 2,
        ),
        row("poll storm: charts the board received", "", lambda r: r["charts"], note="at most one a poll per 250 ms"),
        row("poll storm: web peak RSS (gunicorn, 2 processes)", "MB", lambda r: r["web_rss"] / MB),
        row("poll storm: worker peak RSS (largest)", "MB", lambda r: r["worker_rss"] / MB),
        row("poll storm: Redis growth (keys of the bench DB)", "KB", lambda r: r["redis_growth"] / 1024),
    ]

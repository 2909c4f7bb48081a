"""7. Open boards cost little: inbound SMS webhooks at a fixed 300 req/s, p99 with no board open and
with 200 board streams open (signed in, through gunicorn as the Procfile runs it), same run.
"""

from __future__ import annotations

import time

from bench import ingest
from bench.board_client import Board, signed_in
from bench.common import Bench, Figure
from bench.fleet import gunicorn
from bench.procs import RssSampler, tree_cpu_seconds, wait_until
from bench.provider import twilio_env


def measure(bench: Bench) -> list[Figure]:
    """p99 at a fixed rate without and with the open streams, `runs` times each; the rows of section 7."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    phones, sids = ingest._seed(bench, 1000)
    with stack.app().app_context():
        from drip.extensions import db
        from drip.models import TrainingSession

        session_id = db.session.scalar(db.select(TrainingSession.id))
        db.session.remove()
    env = stack.env(**twilio_env("http://127.0.0.1:9"))
    bodies = ingest.Bodies("sms", phones, sids, bench.workdir)
    rate, seconds = sizes.ingest_fixed_rate, sizes.ingest_fixed_seconds
    web, base = gunicorn(bench, env, name="web-streams")  # the webhooks are stored; no worker takes CPU
    without, with_streams, idle_cpu, boards = [], [], [], []
    try:
        with RssSampler({"web": [web.pid]}) as rss:
            ingest.loadgen(base, bodies.file(200), 1.0, rate=200, path=ingest.PATHS["sms"])
            for _ in range(sizes.runs):
                without.append(ingest.loadgen(base, bodies.file(int(rate * seconds) + 100), seconds, rate=rate))
                rss_before = rss.peaks["web"]
                session = signed_in(base)
                boards = [Board(session, base, session_id) for _ in range(sizes.streams)]
                wait_until(lambda: all(b.connected.is_set() for b in boards), timeout=60, what="every board open")
                cpu = tree_cpu_seconds(web.pid)
                time.sleep(5)  # idle streams: heartbeats only
                idle_cpu.append((tree_cpu_seconds(web.pid) - cpu) / 5 * 100)
                with_streams.append(ingest.loadgen(base, bodies.file(int(rate * seconds) + 100), seconds, rate=rate))
                bench.say(
                    f"  streams: p99 {without[-1]['p99'] * 1000:.1f} ms without, "
                    f"{with_streams[-1]['p99'] * 1000:.1f} ms with {len(boards)} open; refused "
                    f"{sum(b.refused for b in boards)}; idle web CPU {idle_cpu[-1]:.1f} % of a core"
                )
                for board in boards:
                    board.close()
                # The server notices a hung-up stream when it next writes (a heartbeat, 10 s): wait for
                # that, so the next run starts with no stream of this one left open.
                time.sleep(11)
            peak = rss.peaks["web"]
    finally:
        web.stop()
    bench.extras["streams"] = {"without": without, "with": with_streams, "idle_cpu": idle_cpu}
    stack.reset()
    label = "(no board open)"
    return [
        Figure(
            "7",
            f"p99 at {rate:.0f} req/s with {sizes.streams} board streams open",
            "ms",
            [r["p99"] * 1000 for r in with_streams],
            [r["p99"] * 1000 for r in without],
            label,
            "within 20 % of no boards",
            lambda v, b: v <= b * 1.2 or v - b <= 2.0,
        ),
        Figure(
            "7",
            f"web CPU with {sizes.streams} idle streams open",
            "% core",
            idle_cpu,
            note=f"web peak RSS {peak / 2**20:.0f} MB (before: {rss_before / 2**20:.0f} MB)",
        ),
        Figure(
            "7",
            "board streams refused",
            "",
            [float(sum(b.refused for b in boards))],
            target="0",
            meets=lambda v, b: v == 0,
        ),
        Figure(
            "7",
            "webhook errors with streams open (all runs)",
            "",
            [float(sum(r["errors"] for r in with_streams))],
            target="0",
            meets=lambda v, b: v == 0,
        ),
    ]

"""`python -m bench.admin_pages`: every admin page's answer time at 10,000 learners and 100,000 deliveries.

One trainer with 10,000 learners, one session with all of them enrolled in a 10-step sequence (100,000
deliveries), a second session half full, replies and live questions; then each page is asked for
through the app's test client (the whole request: routing, queries, templates) and timed. Target: the
median and the 95th percentile of every page under 300 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import time_pages
from bench.stack import Stack

TARGET_MS = 300.0
PASSWORD = "bench password 10k"


def _seed(app, learners: int, steps: int) -> dict:
    from drip.extensions import db
    from drip.models import LiveQuestion, Reply, Step, utcnow
    from drip.services import accounts
    from drip.services.learners.upsert import LearnerInput, upsert_learners
    from drip.services.programs.enrolment import enrol
    from drip.services.programs.sequences import StepInput, create_sequence
    from drip.services.programs.sessions import create_session

    with app.app_context():
        trainer = accounts.create_trainer("bench@example.com", PASSWORD, "Bench Trainer")
        kinds = ["poll", "testimonial", "discussion", "live_prompt", "practice", "reminder", "info"]
        sequence = create_sequence(
            trainer,
            name="Ten steps",
            send_window=None,
            steps=[
                StepInput(
                    kinds[i % len(kinds)],
                    "sms" if i % 2 else "email",
                    "start" if i < 4 else "end",
                    f"-P{4 - i}D" if i < 4 else f"P{i}D",
                    f"Step {i}, {{{{ first_name }}}}",
                    subject="Step",
                    choices=["Yes", "No"] if kinds[i % len(kinds)] == "poll" else None,
                )
                for i in range(steps)
            ],
        )
        start = (utcnow() + timedelta(days=20)).replace(microsecond=0)
        big = create_session(
            trainer,
            title="Everyone",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            timezone="America/New_York",
            sequence_ids=[sequence.id],
        )
        half = create_session(
            trainer,
            title="Half",
            starts_at=start + timedelta(days=7),
            ends_at=start + timedelta(days=7, hours=2),
            timezone="Europe/Paris",
            sequence_ids=[],
        )
        began = time.monotonic()
        stored = []
        for first in range(0, learners, 2000):
            stored += [
                learner
                for learner, _ in upsert_learners(
                    trainer,
                    [
                        LearnerInput(
                            f"Learner {i:05d}",
                            f"+1201{5550000 + i:07d}",
                            f"learner{i}@example.com",
                            external_id=f"hr-{i}",
                        )
                        for i in range(first, min(first + 2000, learners))
                    ],
                )
            ]
            db.session.commit()
        enrol(big, stored)
        enrol(half, stored[: learners // 2])
        step_ids = [s.id for s in db.session.query(Step).filter_by(sequence_id=sequence.id)]
        db.session.add_all(
            [
                Reply(
                    trainer_id=trainer.id,
                    session_id=big.id,
                    learner_id=stored[i].id,
                    step_id=step_ids[i % len(step_ids)],
                    kind="practice_report",
                    channel="sms",
                    body=f"Reply {i}",
                )
                for i in range(500)
            ]
        )
        db.session.add_all(
            [LiveQuestion(session_id=big.id, learner_id=stored[i].id, body=f"Question {i}?") for i in range(200)]
        )
        db.session.commit()
        return {
            "session": big.id,
            "sequence": sequence.id,
            "step": step_ids[0],
            "learner": stored[learners // 2].id,
            "seconds": time.monotonic() - began,
        }


def _pages(ids: dict) -> dict[str, str]:
    s, q, st, le = ids["session"], ids["sequence"], ids["step"], ids["learner"]
    return {
        "dashboard": "/",
        "sequences": "/sequences",
        "sequence": f"/sequences/{q}",
        "step editor": f"/sequences/{q}/steps/{st}",
        "sessions": "/sessions",
        "new session": "/sessions/new",
        "session": f"/sessions/{s}",
        "session, learners page 150": f"/sessions/{s}?lpage=150",
        "session, learner search": f"/sessions/{s}?lq=04242",
        "session, enrol picker search": f"/sessions/{s}?eq=learner",
        "board": f"/sessions/{s}/board",
        "projector": f"/sessions/{s}/projector",
        "replies": f"/sessions/{s}/replies",
        "learners": "/learners",
        "learners page 150": "/learners?page=150",
        "learner search (phone)": "/learners?q=555 0042",
        "learner search (email)": "/learners?q=learner9999@",
        "learner": f"/learners/{le}",
        "edit learner": f"/learners/{le}/edit",
        "outbox": "/outbox",
        "archive": "/archive",
        "data requests": "/learners/audit",
        "account": "/account",
        "settings": "/settings/",
    }


def main(argv=None) -> int:
    """Seed, time every page, print a table; exit 1 with --strict when a page misses the target."""
    parser = argparse.ArgumentParser(prog="python -m bench.admin_pages", description=__doc__)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/drip_bench_admin_pages")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--strict", action="store_true")
    options = parser.parse_args(argv)
    stack = Stack(options.database_url, options.redis_url, Path(tempfile.mkdtemp(prefix="drip-bench-pages-")))
    stack.create()
    try:
        app = stack.app()
        app.config.update(WTF_CSRF_ENABLED=False)
        ids = _seed(app, options.learners, options.steps)
        print(
            f"seeded {options.learners} learners, {options.learners * options.steps * 3 // 2} deliveries "
            f"in {ids['seconds']:.1f} s",
            file=sys.stderr,
        )
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
        paths = _pages(ids)
        timed = time_pages(client, paths, options.runs)
        missed = [name for name, (status, _, p95) in timed.items() if status != 200 or p95 > TARGET_MS]
        print(f"| page | path | status | median ms | p95 ms | target {TARGET_MS:.0f} ms |")
        print("|---|---|---|---|---|---|")
        for name, (status, median, p95) in timed.items():
            verdict = "MISSED" if name in missed else "ok"
            path = re.sub(r"/[0-9]+", "/…", paths[name])
            print(f"| {name} | `{path}` | {status} | {median:.0f} | {p95:.0f} | {verdict} |")
        return 1 if options.strict and missed else 0
    finally:
        stack.drop()


if __name__ == "__main__":
    sys.exit(main())

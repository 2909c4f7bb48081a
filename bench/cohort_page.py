"""`python -m bench.cohort_page`: a learner's cohort page at 2,000 learners, 500 approved answers, 200 questions.

One live session with 2,000 learners enrolled in a sequence whose discussion and practice prompts
went out to everyone, 500 approved answers spread over them (and as many unapproved), 200 approved
live questions with votes. Then one learner's page is asked for through the app's test client (the
whole request: the link's lookup, the view count's UPDATE and commit, the queries, the template),
each time beside the unsubscribe page of the same learner (one lookup, a small template) as the
baseline of the same run. Target: p95 of the cohort page under 150 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import time_pages
from bench.stack import Stack

TARGET_MS = 150.0


def seed_cohort(app, learners: int, answers: int, questions: int) -> dict:
    """A live session with its prompts sent to every learner, approved and waiting answers, and questions."""
    from sqlalchemy import update

    from drip.extensions import db
    from drip.models import Delivery, Enrollment, LiveQuestion, Reply, Step, utcnow
    from drip.services import accounts
    from drip.services.learners.upsert import LearnerInput, upsert_learners
    from drip.services.programs.enrolment import enrol
    from drip.services.programs.sequences import StepInput, create_sequence
    from drip.services.programs.sessions import create_session

    with app.app_context():
        trainer = accounts.create_trainer("bench@example.com", "bench password cohort", "Bench Trainer")
        sequence = create_sequence(
            trainer,
            name="Prompts",
            send_window=None,
            steps=[
                StepInput("discussion", "email", "start", "-P1D", "What went well, {{ first_name }}?", subject="Q"),
                StepInput("practice", "sms", "start", "-PT1H", "Try it today, {{ first_name }}: how did it go?"),
            ],
        )
        start = (utcnow() - timedelta(minutes=20)).replace(microsecond=0)
        ts = create_session(
            trainer,
            title="Two thousand",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            timezone="America/New_York",
            sequence_ids=[sequence.id],
        )
        began = time.monotonic()
        stored = []
        for first in range(0, learners, 2000):
            stored += [
                learner
                for learner, _ in upsert_learners(
                    trainer,
                    [
                        LearnerInput(f"Learner{i:05d} Surname", f"+1201{5550000 + i:07d}", f"learner{i}@example.com")
                        for i in range(first, min(first + 2000, learners))
                    ],
                )
            ]
            db.session.commit()
        enrol(ts, stored, now=start - timedelta(days=2))
        db.session.execute(
            update(Delivery)
            .where(Delivery.session_id == ts.id)
            .values(status="sent", sent_at=start - timedelta(hours=1))
        )
        steps = [s.id for s in db.session.query(Step).filter_by(sequence_id=sequence.id).order_by(Step.position)]
        kinds = {steps[0]: "discussion_reply", steps[1]: "practice_report"}
        db.session.add_all(
            Reply(
                trainer_id=trainer.id,
                session_id=ts.id,
                learner_id=stored[i % learners].id,
                step_id=steps[i % 2],
                kind=kinds[steps[i % 2]],
                channel="sms",
                body=f"Answer {i}: what I tried this week, how it went, and what I would change next time.",
                shared=i < answers,  # as many again wait for the trainer
            )
            for i in range(answers * 2)
        )
        db.session.add_all(
            LiveQuestion(session_id=ts.id, learner_id=stored[i].id, body=f"Question {i}?", approved=True, votes=i % 7)
            for i in range(questions)
        )
        db.session.commit()
        reader = db.session.query(Enrollment).filter_by(session_id=ts.id, learner_id=stored[-1].id).one()
        return {
            "session": ts.id,
            "cohort": f"/c/{reader.cohort_token}",
            "baseline": f"/u/{stored[-1].unsubscribe_token}",
            "seconds": time.monotonic() - began,
        }


def cpu_per_page(app, client, paths: dict[str, str], runs: int, *, cold: bool = False) -> dict[str, float]:
    """Each page's median CPU milliseconds in this process (the web's share, whatever the machine's load; the
    database's own work not counted), asked for in turn; `cold` drops the shared snapshots before each request
    (every page then reads and renders the public part itself: a session read by one learner at a time)."""
    forget = None
    if cold:
        try:
            from drip.services.cohort import shared
        except ImportError:  # the code before the snapshot: every page is cold
            pass
        else:

            def forget() -> None:
                with app.app_context():
                    shared.snapshots().drop()

    spent: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, path in paths.items():
            if forget is not None:
                forget()
            began = time.process_time()
            client.get(path)
            spent[name].append((time.process_time() - began) * 1000)
    return {name: sorted(found)[len(found) // 2] for name, found in spent.items()}


def main(argv=None) -> int:
    """Seed, time the page beside its baseline, print a table; exit 1 with --strict when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.cohort_page", description=__doc__)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/drip_bench_cohort_page")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--answers", type=int, default=500)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--strict", action="store_true")
    options = parser.parse_args(argv)
    stack = Stack(options.database_url, options.redis_url, Path(tempfile.mkdtemp(prefix="drip-bench-cohort-")))
    stack.create()
    try:
        app = stack.app()
        ids = seed_cohort(app, options.learners, options.answers, options.questions)
        print(f"seeded {options.learners} learners in {ids['seconds']:.1f} s", file=sys.stderr)
        pages = {"cohort page": ids["cohort"], "baseline: unsubscribe page": ids["baseline"]}
        timed = time_pages(app.test_client(), pages, options.runs)
        status, _, page_p95 = timed["cohort page"]
        base_median = timed["baseline: unsubscribe page"][1]
        print(f"| page | status | median ms | p95 ms | × baseline median | target p95 {TARGET_MS:.0f} ms |")
        print("|---|---|---|---|---|---|")
        for name, (code, median, p95) in timed.items():
            verdict = "" if name != "cohort page" else ("ok" if p95 <= TARGET_MS else "MISSED")
            print(f"| {name} | {code} | {median:.1f} | {p95:.1f} | {median / base_median:.1f} | {verdict} |")
        client = app.test_client()
        warm = cpu_per_page(app, client, pages, options.runs)
        cold = cpu_per_page(app, client, {"cohort page": ids["cohort"]}, max(options.runs // 4, 5), cold=True)
        print(
            f"CPU of this process a request, median: cohort page {warm['cohort page']:.1f} ms "
            f"(its public part read and rendered for it: {cold['cohort page']:.1f} ms), "
            f"unsubscribe page {warm['baseline: unsubscribe page']:.1f} ms"
        )
        return 1 if options.strict and (page_p95 > TARGET_MS or status != 200) else 0
    finally:
        stack.drop()


if __name__ == "__main__":
    sys.exit(main())

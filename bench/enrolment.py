"""3. Enrolment: N learners from a CSV into a 10-step sequence (N x 10 deliveries), in seconds.

Drip: the CSV import a trainer's upload runs (drip/services/learners/imports.run_import: parse_csv,
bulk.store_learners, enrolment.add_enrolments, one commit). Baseline: the same parse_csv and the same
due times, but one ORM object per learner, enrolment and delivery (session.add each, one commit at
the end), on fewer learners, extrapolated linearly to N.
"""

from __future__ import annotations

import time
from datetime import time as clock
from datetime import timedelta

from sqlalchemy import func, select

from bench.common import Bench, Figure
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Trainer, TrainingSession, utcnow

ZONES = ("Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "")


def csv_text(count: int) -> str:
    """A learners file as a spreadsheet exports it: external id, name, phone, email, time zone."""
    from bench.seed import phone

    lines = ["external_id,name,phone,email,timezone"]
    lines += [
        f"HR-{i:06d},Learner {i} Example,{phone(i)},learner{i}@example.com,{ZONES[i % len(ZONES)]}"
        for i in range(count)
    ]
    return "\n".join(lines) + "\n"


def ten_step_session(steps: int = 10) -> tuple[Trainer, TrainingSession]:
    """The bench trainer, a sequence of `steps` steps (one delivery each), a session in 30 days using it.

    The starter sequence's steps (English only) without its quizzes (each re-asks twice) and
    follow-ups (one more delivery each), padded with reminders: `steps` deliveries per learner.
    """
    from dataclasses import replace

    from bench.seed import trainer
    from drip.services.programs.sequences import StepInput, create_sequence
    from drip.services.programs.sessions import create_session
    from drip.services.programs.starter import starter_steps

    owner = trainer()
    # Digests name their source by index: every step before the first quiz keeps its place.
    items = [replace(step, follow_up=None, translations=None) for step in starter_steps() if step.kind != "quiz"]
    while len(items) < steps:
        items.append(
            StepInput(
                "reminder",
                "sms",
                "end",
                f"P{14 * len(items)}D",
                "{{ first_name }}, one more practice round: what worked since last time?",
                local_time=clock(9),
            )
        )
    sequence = create_sequence(owner, name="Bench sequence", steps=items[:steps])
    starts_at = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    ts = create_session(
        owner,
        title="Feedback that lands",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        timezone="Europe/London",
        sequence_ids=[sequence.id],
    )
    return owner, ts


def _deliveries() -> int:
    count = db.session.scalar(select(func.count()).select_from(Delivery)) or 0
    db.session.rollback()
    return count


def drip_run(bench: Bench, count: int, steps: int) -> dict:
    """Import `count` learners through the product's CSV import; seconds and deliveries made."""
    from drip.services.learners.imports import keep_upload, run_import

    bench.stack.reset()
    with bench.stack.app().app_context():
        owner, ts = ten_step_session(steps)
        text = csv_text(count)
        upload = keep_upload(owner, text, filename="learners.csv", session_id=ts.id)
        started, cpu = time.perf_counter(), time.process_time()
        result = run_import(owner, upload, default_region="US", training_session=ts)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if not result.ok:
            raise RuntimeError(f"the import refused the file: {result.preview.errors[:3]}")
        return {"seconds": seconds, "cpu": cpu, "deliveries": _deliveries(), "enrolled": result.enrolled}


def baseline_run(bench: Bench, count: int, steps: int) -> dict:
    """The same file, one ORM object per row, committed once at the end."""
    from drip.services.programs.planning import Planner
    from drip.services.learners.upsert import parse_csv

    bench.stack.reset()
    with bench.stack.app().app_context():
        owner, ts = ten_step_session(steps)
        text = csv_text(count)
        started, cpu = time.perf_counter(), time.process_time()
        preview = parse_csv(text, default_region="US")
        planner = Planner(ts, utcnow())  # the same due times as Drip's
        for item in preview.learners:
            learner = Learner(
                trainer_id=owner.id,
                name=item.name,
                phone=item.phone,
                email=item.email,
                timezone=item.timezone,
                external_id=item.external_id,
            )
            enrollment = Enrollment(training_session=ts, learner=learner, source="csv")
            db.session.add_all([learner, enrollment])
            for step_id, planned in planner.for_zone(item.timezone).items():
                db.session.add(
                    Delivery(
                        enrollment=enrollment,
                        step_id=step_id,
                        training_session=ts,
                        learner=learner,
                        channel=planner.steps[step_id].channel,
                        due_at=planned.due_at,
                        status="scheduled" if planned.status != "skipped" else "skipped",
                    )
                )
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return {"seconds": seconds, "cpu": cpu, "deliveries": _deliveries()}


def measure(bench: Bench) -> list[Figure]:
    """Runs Drip and the baseline `runs` times each; returns the row of section 3."""
    sizes = bench.sizes
    n, m, steps = sizes.enrol_learners, sizes.enrol_baseline_learners, sizes.enrol_steps
    drip, base = [], []
    for run in range(sizes.runs):
        bench.say(f"enrolment: Drip run {run + 1}/{sizes.runs}, {n:,} learners x {steps} steps")
        drip.append(drip_run(bench, n, steps))
        bench.say(f"  -> {drip[-1]}")
        bench.say(f"enrolment: baseline run {run + 1}/{sizes.runs}, {m:,} learners")
        base.append(baseline_run(bench, m, steps))
        bench.say(f"  -> {base[-1]}")
    bench.stack.reset()
    bench.extras["enrolment"] = {"drip": drip, "baseline": base}
    note = (
        ""
        if all(r["deliveries"] == n * steps for r in drip)
        else "WRONG COUNT: " + ", ".join(str(r["deliveries"]) for r in drip)
    )
    label = f"(ORM one by one, {m:,} learners x{n / m:g} extrapolated)"
    return [
        Figure(
            "3",
            f"enrolment, {n:,} learners -> {n * steps:,} deliveries",
            "s",
            [r["seconds"] for r in drip],
            [r["seconds"] * n / m for r in base],
            label,
            "<= 3 s and >= 10x faster",
            lambda v, b: v <= 3 and b >= 10 * v,
            note,
        ),
        Figure(
            "3",
            "enrolment CPU in the app process (PostgreSQL's not included)",
            "s",
            [r["cpu"] for r in drip],
            [r["cpu"] * n / m for r in base],
            label,
        ),
    ]

"""A batch's messages cost the same number of queries for 1 delivery as for 200, for every step kind.

Counted: loading the batch, loading what its messages share (digest answers, testimonial quotes,
tracked link ids, the follow-on gate's facts) and rendering every message. Not counted: each
delivery's own claim and the outbox's write, which belong to sending it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from drip.domain.follow_ups import hold_reason
from drip.extensions import db
from drip.models import Delivery, LiveQuestion, Reply, Step
from drip.models import Testimonial as Quote
from drip.services.delivery.batch_facts import load_facts
from drip.services.delivery.batching import load_batch, message_for
from drip.services.programs.enrolment import enrol
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session
from tests.integration.test_engine_sending import NOW
from tests.support.engine_factory import make_learners

LINK = " More: https://example.com/{kind}"
FOLLOW_UP = {"after": "P1D", "body": "Still time to answer: https://example.com/again", "subject": "Again"}


def _steps(channel: str) -> list[StepInput]:
    def step(kind: str, offset: str, body: str, **fields) -> StepInput:
        subject = "About {{ session.title }}" if channel == "email" else None
        return StepInput(kind, channel, "start", offset, body + LINK.format(kind=kind), subject=subject, **fields)

    return [
        step("discussion", "-P6D", "What went well?", follow_up=FOLLOW_UP),
        step("poll", "-P5D", "Which one? {{ reply_hint }}", choices=["Mornings", "Evenings"], follow_up=FOLLOW_UP),
        step("quiz", "-P5D", "Which? {{ reply_hint }}", choices=["This", "That"], answer=0, explain="Because."),
        step("practice", "-P4D", "Try it.", follow_up=FOLLOW_UP),
        step("testimonial", "-P3D", "{{ testimonial or 'No quote yet.' }}"),
        step("digest", "-P2D", "{% for a in answers %}{{ a.text }} ({{ a.by }}) {% endfor %}", source=0),
        step("digest", "-P2D", "{% for a in answers %}{{ a.text }} {% endfor %}", source="questions"),
        step("reminder", "-P1D", "{{ session.title }} {{ session.starts_in }}."),
        step("info", "-PT2H", "Join at {{ session.join_url }}."),
        step("live_prompt", "PT0S", "Text {{ sms_number }}."),
    ]


@pytest.fixture(params=["sms", "email"])
def cohort(request, trainer):
    """A session of 200 learners with a step of every kind, approved answers, answered questions and a quote."""
    channel = request.param
    sequence = create_sequence(trainer, name="Every kind", send_window=None, steps=_steps(channel))
    earlier, ts = (
        create_session(
            trainer,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            timezone="UTC",
            sequence_ids=[sequence.id],
            join_url="https://meet.example.com/x",
        )
        for title, starts in (("Earlier", NOW - timedelta(days=20)), ("Now", NOW + timedelta(days=7)))
    )
    learners = make_learners(trainer, 200)
    enrol(ts, learners, now=NOW)
    steps = {(s.kind, s.digest_source): s for s in sequence.steps}
    discussion = steps[("discussion", None)]
    for learner in learners[:3]:
        db.session.add(
            Reply(
                trainer_id=trainer.id,
                session_id=ts.id,
                learner_id=learner.id,
                step_id=discussion.id,
                kind="discussion_reply",
                channel=channel,
                body=f"It went well for {learner.name}: https://example.com/mine",
                shared=True,
            )
        )
    db.session.add(LiveQuestion(session_id=ts.id, body="How long?", answer="Ten minutes."))
    db.session.add(
        Quote(
            trainer_id=trainer.id,
            learner_id=learners[0].id,
            session_id=earlier.id,
            quote="It worked.",
            by="Ana",
            channel=channel,
            status="consented",
            consented_at=NOW - timedelta(days=10),
        )
    )
    # The steps went out, so their re-asks and follow-ups reach the follow-on gate's later questions.
    db.session.execute(update(Delivery).where(Delivery.purpose == "step").values(sent_at=NOW))
    db.session.commit()
    return channel, ts


def _queries(app, ids: list[int]) -> tuple[int, list]:
    """How many statements loading and rendering the batch `ids` costs, and its messages."""
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(status="queued", job_id="count"))
    db.session.commit()
    app.extensions.pop("drip_tracked_links", None)  # as a new worker: every link id read from the database
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        batch = load_batch(ids, "count")
        facts = load_facts(batch, app.config, NOW)
        out = []
        for item in batch:
            held = hold_reason(item, facts, NOW)
            address = f"learner{item.learner_id}@example.com" if item.channel == "email" else "+14150000000"
            out.append(held or message_for(item, address, facts, NOW))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(status="scheduled", job_id=None))
    db.session.commit()
    return len(statements), out


def test_a_batch_of_200_costs_the_queries_of_a_batch_of_1(app, cohort):
    channel, ts = cohort
    rows = db.session.execute(
        select(Step.kind, Step.digest_source, Delivery.purpose, Delivery.attempt, Delivery.id)
        .join(Step, Step.id == Delivery.step_id)
        .where(Delivery.session_id == ts.id)
        .order_by(Delivery.id)
    ).all()
    groups: dict[tuple, list[int]] = {}
    for kind, source, purpose, attempt, delivery_id in rows:
        groups.setdefault((kind, source, purpose, attempt), []).append(delivery_id)
    assert {kind for kind, *_ in groups} == {
        "discussion", "poll", "quiz", "practice", "testimonial", "digest", "reminder", "info", "live_prompt"
    }  # fmt: skip
    assert {purpose for _, _, purpose, _ in groups} == {"step", "reask", "follow_up"}
    costs = {}
    for key, ids in groups.items():
        assert len(ids) == 200
        _queries(app, ids)  # the links exist from here on, as they do after a step's first batch
        one, [single] = _queries(app, ids[:1])
        many, messages = _queries(app, ids)
        costs[key] = (one, many)
        if key[2] == "step":  # the step itself always goes; its message tracks its links
            assert len(messages) == 200 and all("/l/" in m.body for m in messages), key
    assert all(one == many for one, many in costs.values()), costs
    # The quote went to every reader but its author; the gate held nothing it should have sent.
    quotes = [m.body for m in _queries(app, groups[("testimonial", None, "step", 0)])[1]]
    assert sum("It worked." in body for body in quotes) == 199

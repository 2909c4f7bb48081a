"""`{{ cohort_url }}` in a step: each learner gets their own working cohort page link, never rewritten as a tracked link."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, Enrollment, OutboxMessage, TrackedLink
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.delivery.send import send_claimed as send_batch
from drip.services.programs.enrolment import enrol
from tests.integration.test_engine_sending import LATER, NOW
from tests.support.engine_factory import make_learners, make_sequence, make_session

BODY = "Hi {{ first_name }}, read the others: {{ cohort_url }} and https://slides.example.com/deck"


def test_each_learner_gets_their_own_cohort_link(app, client, trainer):
    sequence = make_sequence(trainer, ["PT0S"], body=BODY)
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    learners = make_learners(trainer, 2)
    enrol(ts, learners, now=NOW)
    job = new_job_id()
    assert send_batch(claim_due(LATER, 100, job_id=job), job)["delivered"] == 2
    # The session ended long before today (NOW is fixed): its links expired after 90 days, until kept longer.
    first = db.session.scalar(select(Enrollment.cohort_token).limit(1))
    assert client.get(f"/c/{first}").status_code == 404
    ts.cohort_days_after = 3650
    db.session.commit()
    bodies = {m.delivery_id: m.body for m in db.session.scalars(select(OutboxMessage))}
    tokens = dict(db.session.execute(select(Enrollment.learner_id, Enrollment.cohort_token)).all())
    for delivery in db.session.scalars(select(Delivery)):
        body = bodies[delivery.id]
        assert f"http://127.0.0.1:5000/c/{tokens[delivery.learner_id]}" in body
        assert "slides.example.com" not in body and "/l/" in body  # the other link is still tracked
        path = re.search(r"http://127\.0\.0\.1:5000(/c/[\w-]+)", body).group(1)
        assert client.get(path).status_code == 200
    assert len(set(tokens.values())) == 2
    assert [link.url for link in db.session.scalars(select(TrackedLink))] == ["https://slides.example.com/deck"]


def test_the_starter_sends_read_the_others_in_discussion_practice_and_digests():
    from drip.domain.templates import render, sample_context
    from drip.services.programs.starter import starter_steps

    steps = starter_steps()
    link = sample_context()["cohort_url"]
    kinds = {}
    for step in steps:
        if link in render(step.body, sample_context()):
            kinds.setdefault(step.kind, 0)
            kinds[step.kind] += 1
    assert kinds == {"discussion": 1, "practice": 1, "digest": 2}
    # Without a link (an enrolment from before links existed), nothing dangles.
    assert all("group's page:" not in render(s.body, {**sample_context(), "cohort_url": ""}) for s in steps)

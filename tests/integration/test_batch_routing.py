"""A worker's batch of stored texts filed together (issue 28, inbound/batch_filing): a fixed number of
statements however many votes, the same rows and answers as one by one, and one by one when it fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from drip.extensions import db, redis_store
from drip.models import InboundMessage, InboundReceipt, Reply
from drip.services.board import redraws
from drip.services.inbound.apply import apply_pending_inbound
from drip.services.inbound.sender_batch import SenderBatch
from drip.services.programs.enrolment import enrol
from tests.integration.test_poll_votes_at_scale import _live_poll, _store_texts
from tests.integration.test_routing_v2 import poll_votes
from tests.support.engine_factory import make_learners
from tests.support.quiz_support import quiz_step, rows, send_due, session_with
from tests.support.statements import Statements
from tests.web.test_api_support import api  # noqa: F401  (fixture)


def _route_all(limit: int) -> tuple[int, list]:
    """One worker batch, the poll's chart drawn at once (its window open), as for the first vote of a storm."""
    assert redraws.settle()
    for key in redis_store.connection.scan_iter("drip:redraw:*"):
        redis_store.connection.delete(key)
    return apply_pending_inbound(limit)


@pytest.mark.parametrize(
    ("bodies", "sizes"),
    [(("1", "2"), (1, 200)), (("1", "2", "How do I start?"), (3, 198))],
    ids=["votes", "votes-and-questions"],
)
def test_routing_a_batch_of_200_texts_costs_the_statements_of_a_batch_of_1(app, client, trainer, api, bodies, sizes):
    ts, live, learners = _live_poll(trainer, sum(sizes))
    counts = []
    for group in (learners[: sizes[0]], learners[sizes[0] :]):
        _store_texts([(learner.phone, bodies[n % len(bodies)]) for n, learner in enumerate(group)])
        with Statements() as statements:
            claimed, answers = _route_all(200)
        questions = len(group) // 3 if len(bodies) == 3 else 0
        assert claimed == len(group) and len(answers) == questions  # the questions' acknowledgements
        # Votes and questions arriving mixed: still one insert a table.
        assert statements.inserts("inbound_messages") == statements.inserts("replies") == 1
        assert statements.inserts("live_questions") == (1 if questions else 0)
        counts.append(statements.count)
    assert counts[0] == counts[1], counts
    votes = [sum(1 for n in range(size) if bodies[n % len(bodies)] == choice) for choice in "12" for size in sizes]
    assert poll_votes(api, ts)[live.id] == [votes[0] + votes[1], votes[2] + votes[3]]
    assert (
        db.session.scalar(select(func.count()).select_from(InboundReceipt).where(InboundReceipt.applied_at.is_(None)))
        == 0
    )


def test_quiz_answers_filed_together_get_their_verdicts_and_end_their_reasks_as_one_by_one(app, trainer):
    ts = session_with(trainer, [quiz_step(follow_up={"after": "PT12H", "body": "Still with us?"})])
    ada, bo, cy = make_learners(trainer, 3)
    enrol(ts, [ada, bo, cy])
    send_due(rows(ada, "step")[0].due_at)
    _store_texts([(ada.phone, "B"), (bo.phone, "a"), (cy.phone, "Try it for real within days")])
    with Statements() as statements:
        claimed, answers = apply_pending_inbound()
    assert claimed == 3 and statements.inserts("replies") == 1  # filed together
    right, wrong = "Right! Using it soon is what makes it stay.", "Not quite: Using it soon is what makes it stay."
    assert sorted((a.to, a.body, a.kind) for a in answers) == sorted(
        [(ada.phone, right, "quiz_answer"), (bo.phone, wrong, "quiz_answer"), (cy.phone, right, "quiz_answer")]
    )
    for learner, reasks in ((ada, "skipped"), (bo, "scheduled"), (cy, "skipped")):
        assert {d.status for d in rows(learner, "reask")} == {reasks}
        assert {(d.status, d.error_code) for d in rows(learner, "follow_up")} == {("skipped", "answered")}
    chosen = db.session.execute(select(Reply.learner_id, Reply.kind, Reply.choice_index)).all()
    assert sorted(chosen) == sorted([(ada.id, "quiz_answer", 1), (bo.id, "quiz_answer", 0), (cy.id, "quiz_answer", 1)])
    # A second answer, in a later batch, gets no verdict (only the first answer to an ask does).
    _store_texts([(bo.phone, "B")])
    assert apply_pending_inbound() == (1, [])


def test_a_batch_that_cannot_be_filed_together_is_routed_one_by_one_each_once(app, client, trainer, api, monkeypatch):
    ts, live, learners = _live_poll(trainer, 3)
    _store_texts([(learner.phone, "2") for learner in learners])
    first = db.session.scalars(select(InboundReceipt).order_by(InboundReceipt.id)).first()
    # Another worker routed the first text meanwhile (its lease ran out): the batch still thinks it new.
    db.session.add(
        InboundMessage(
            channel="sms",
            provider_message_id=first.provider_message_id,
            from_address=learners[0].phone,
            body="2",
            raw=first.payload,
            routed_as="poll_vote",
        )
    )
    db.session.commit()
    monkeypatch.setattr(SenderBatch, "already_stored", lambda self, sid: False)
    with Statements() as statements:
        claimed, answers = apply_pending_inbound()
    assert claimed == 3 and answers == []
    assert statements.inserts("inbound_messages") >= 3  # the batch's insert failed, then one by one
    assert poll_votes(api, ts)[live.id] == [0, 2]  # the repeat is refused, the two others counted once
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 3
    assert (
        db.session.scalar(select(func.count()).select_from(InboundReceipt).where(InboundReceipt.applied_at.is_(None)))
        == 0
    )

"""Digests and testimonials end to end: approved answers only, privacy, opt-outs, consent and rotation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drip.domain import consent
from drip.extensions import db
from drip.models import Delivery, Learner, OutboxMessage, Step, utcnow
from drip.services.replies import sharing, testimonials
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.programs.enrolment import enrol
from drip.services.delivery.send import send_claimed as send_batch
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session
from tests.support.engine_factory import make_learners
from tests.support.inbound_factory import make_reply, post_sms
from tests.integration.test_engine_sending import NOW

DIGEST = "Three of you tried this:{% for a in answers %}\n- {{ a.text }} ({{ a.by }}){% endfor %}"


def _program(trainer, *, digest_by="first_name", source=0, channel="email", starts=NOW + timedelta(days=3)):
    steps = [
        StepInput("discussion", "email", "start", "-P2D", "What went well?", subject="Before"),
        StepInput("digest", channel, "start", "-P1D", DIGEST, subject="What others said", source=source),
        StepInput("testimonial", "sms", "start", "-PT1H", "{{ testimonial or 'No quote yet.' }}"),
    ]
    sequence = create_sequence(trainer, name="Digest test", send_window=None, steps=steps, digest_by=digest_by)
    ts = create_session(
        trainer,
        title="Feedback",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        timezone="UTC",
        sequence_ids=[sequence.id],
    )
    return sequence, ts


def _send(step: Step, _unused=None) -> dict:
    """Claim what is due up to this step's due time (earlier steps too, left unsent) and send this step's."""
    until = min(d.due_at for d in db.session.scalars(select(Delivery).where(Delivery.step_id == step.id)))
    job = new_job_id()
    ids = [d.id for d in db.session.scalars(select(Delivery).where(Delivery.step_id == step.id))]
    claimed = [i for i in claim_due(until, 500, job_id=job) if i in ids]
    return send_batch(claimed, job)


def _answer(ts, learner, step, body, *, shared=True):
    reply = make_reply(ts, learner, step, body, kind="discussion_reply", channel="email")
    if shared:
        sharing.set_shared([reply], True)
    return reply


def _bodies(step) -> dict[int, str]:
    rows = db.session.execute(
        select(Delivery.learner_id, OutboxMessage.body)
        .join(OutboxMessage, OutboxMessage.delivery_id == Delivery.id)
        .where(Delivery.step_id == step.id)
    )
    return dict(rows.all())


def test_a_digest_sends_only_approved_answers_never_a_private_or_opted_out_learners(app, trainer):
    sequence, ts = _program(trainer)
    discussion, digest, _ = sorted(sequence.steps, key=lambda s: s.position)
    ada, bo, cy, dee, eve = make_learners(trainer, 5)
    enrol(ts, [ada, bo, cy, dee, eve], now=NOW)
    _answer(ts, ada, discussion, "I asked before telling.")
    _answer(ts, bo, discussion, "Not approved yet.", shared=False)
    _answer(ts, cy, discussion, "Cy's private answer.")
    _answer(ts, dee, discussion, "Dee opted out since.")
    post_sms(app.test_client(), app, "PRIVATE", sender=cy.phone)
    dee_row = db.session.get(Learner, dee.id)
    dee_row.email_opted_out_at = utcnow()
    db.session.commit()

    assert _send(digest, ts.starts_at)["delivered"] == 4  # everyone but Dee, who opted out of email
    bodies = _bodies(digest)
    assert set(bodies) == {ada.id, bo.id, cy.id, eve.id}
    for body in bodies.values():
        assert "- I asked before telling. (Learner" in body
        assert "Not approved" not in body and "private" not in body and "Dee opted out" not in body


def test_anonymous_attribution_and_a_digest_with_nothing_approved_is_skipped(app, trainer):
    sequence, ts = _program(trainer, digest_by="colleague")
    discussion, digest, _ = sorted(sequence.steps, key=lambda s: s.position)
    [ada] = make_learners(trainer, 1)
    enrol(ts, [ada], now=NOW)
    reply = _answer(ts, ada, discussion, "Named nowhere.", shared=False)
    assert _send(digest, ts.starts_at) == {"not_ours": 0, "skipped": 1}
    skipped = db.session.scalar(select(Delivery).where(Delivery.step_id == digest.id))
    assert (skipped.status, skipped.error_message) == ("skipped", "nothing approved to share")

    sequence2, ts2 = _program(trainer, digest_by="colleague", starts=NOW + timedelta(days=4))
    enrol(ts2, [ada], now=NOW)
    discussion2, digest2, _ = sorted(sequence2.steps, key=lambda s: s.position)
    _answer(ts2, ada, discussion2, "Shared anonymously.")
    _send(digest2, ts2.starts_at)
    assert "- Shared anonymously. (a colleague)" in _bodies(digest2)[ada.id]
    assert reply.shared is False


def test_a_testimonial_reaches_the_next_cohort_only_after_yes_and_never_its_author(app, client, trainer):
    first_sequence, first = _program(trainer, starts=NOW - timedelta(days=20))
    author, other = make_learners(trainer, 2)
    enrol(first, [author, other], now=NOW - timedelta(days=30))
    report = make_reply(first, author, None, "I tried it the next morning and it worked.")
    asked = testimonials.ask(trainer, report)
    question = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == author.phone)).all()
    assert len(question) == 1 and "Reply YES" in question[0].body

    sequence, ts = _program(trainer, starts=NOW + timedelta(days=3))
    *_, quote_step = sorted(sequence.steps, key=lambda s: s.position)
    newcomers = make_learners(trainer, 2)
    enrol(ts, [author, *newcomers], now=NOW)
    _send(quote_step, ts.starts_at)
    before = _bodies(quote_step)
    assert set(before.values()) == {"No quote yet."}  # not consented yet: the fallback text

    post_sms(client, app, "YES", sender=author.phone)  # stored, then routed as a worker would
    thanks = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == author.phone).order_by(OutboxMessage.id)
    ).all()  # in the order sent: PostgreSQL returns an updated row wherever it now lies
    assert thanks[-1] == consent.thanks("en")
    db.session.refresh(asked)
    assert asked.status == "consented"
    assert db.session.get(Learner, author.id).sms_opted_out_at is None  # YES is still a harmless opt-in

    # The next cohort: the newcomers get the quote, its author never does.
    sequence3, ts3 = _program(trainer, starts=NOW + timedelta(days=5))
    *_, quote3 = sorted(sequence3.steps, key=lambda s: s.position)
    enrol(ts3, [author, *newcomers], now=NOW)
    _send(quote3, ts3.starts_at)
    after = _bodies(quote3)
    assert after[author.id] == "No quote yet."
    assert {after[n.id] for n in newcomers} == {"“I tried it the next morning and it worked.” (Learner)"}

    # Rotation: a learner who saw the only quote is not shown it again.
    sequence4, ts4 = _program(trainer, starts=NOW + timedelta(days=7))
    *_, quote4 = sorted(sequence4.steps, key=lambda s: s.position)
    enrol(ts4, newcomers[:1], now=NOW)
    _send(quote4, ts4.starts_at)
    assert _bodies(quote4) == {newcomers[0].id: "No quote yet."}


def test_discussion_emails_carry_the_privacy_link_and_clones_keep_their_digest_source(app, client, trainer):
    from drip.services.programs.sequences import clone_sequence

    sequence, ts = _program(trainer)
    discussion, digest, _ = sorted(sequence.steps, key=lambda s: s.position)
    [ada] = make_learners(trainer, 1)
    enrol(ts, [ada], now=NOW)
    _send(discussion)
    body = _bodies(discussion)[ada.id]
    assert "Rather not have your answer shared with the group? http://127.0.0.1:5000/p/" in body
    path = "/p/" + body.split("/p/")[1].split()[0]
    assert client.post(path).status_code == 303
    _answer(ts, ada, discussion, "Mine, kept private.")
    assert _send(digest) == {"not_ours": 0, "skipped": 1}  # the only approved answer is private

    copy = clone_sequence(sequence)
    copied_discussion, copied_digest, _ = sorted(copy.steps, key=lambda s: s.position)
    assert copied_digest.source_step_id == copied_discussion.id != discussion.id
    assert copy.digest_by == "first_name"


def test_a_questions_digest_sends_the_answered_questions_to_everyone_enrolled(app, trainer):
    from drip.models import LiveQuestion
    from drip.services.board import after_session

    steps = [StepInput("digest", "sms", "end", "P1D", DIGEST, source="questions")]
    sequence = create_sequence(trainer, name="Questions digest", send_window=None, steps=steps)
    starts = NOW + timedelta(days=1)
    ts = create_session(
        trainer,
        title="Feedback",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        timezone="UTC",
        sequence_ids=[sequence.id],
    )
    [digest] = sequence.steps
    asker, reader, gone = make_learners(trainer, 3)
    enrol(ts, [asker, reader, gone], now=NOW)
    db.session.get(Learner, gone.id).sms_opted_out_at = utcnow()
    answered = LiveQuestion(session_id=ts.id, learner_id=asker.id, body="What if they get defensive?")
    unanswered = LiveQuestion(session_id=ts.id, learner_id=asker.id, body="Left for later")
    db.session.add_all([answered, unanswered])
    db.session.commit()
    after_session.answer(answered, "Pause, and ask what they heard.")
    assert _send(digest) == {"not_ours": 0, "delivered": 2, "skipped": 1}
    bodies = _bodies(digest)
    assert set(bodies) == {asker.id, reader.id}
    for body in bodies.values():
        assert "- What if they get defensive? — Pause, and ask what they heard. (a colleague)" in body
        assert "Left for later" not in body and "Learner" not in body

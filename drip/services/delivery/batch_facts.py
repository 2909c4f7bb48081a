"""What a batch's messages share, read once per batch: digest answers, testimonial quotes, tracked link ids
and the follow-on gate's facts. Each is a fixed number of queries whatever the batch's size."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, null, select, true
from sqlalchemy.dialects import postgresql, sqlite

from drip.config import sms_number
from drip.domain import digests
from drip.domain.cohort import first_name_only
from drip.domain.delivery_message import links_of
from drip.domain.follow_ups import FOLLOWED_KINDS, LEARNER_REPLY_KINDS
from drip.domain.outgoing import Answer, BatchFacts, DeliveryToSend, Quote, StepImage
from drip.extensions import db
from drip.models import (
    Delivery,
    Enrollment,
    Learner,
    LiveQuestion,
    MediaItem,
    Reply,
    Step,
    Testimonial,
    TestimonialShown,
    TrackedLink,
    TrainingSession,
)
from drip.models.types import UTCDateTime

_cache_lock = threading.Lock()


def load_facts(batch: list[DeliveryToSend], config: Mapping[str, Any], now: datetime) -> BatchFacts:
    """The facts the batch's messages and follow-on gate need, in a fixed number of queries."""
    facts = BatchFacts(sms_number=sms_number(config))
    facts.digest_answers = digest_answers({digests.digest_key(i) for i in batch if i.kind == "digest"})
    sayers = [item for item in batch if item.kind == "testimonial"]
    if sayers:
        facts.quotes = digests.pick_quotes(sayers, _quotes({i.trainer_id for i in sayers}), _shown(sayers))
    # One draft per step as one kind of learner reads it: the links a trainer wrote are the same for every
    # learner of a step; one a draft did not foresee is looked up when its message is rendered.
    drafts = {(i.step_id, i.purpose, i.session_id, i.channel, i.learner_language): i for i in batch}
    urls = set().union(*(links_of(item, facts, config, now) for item in drafts.values())) if batch else set()
    facts.link_ids = link_ids(urls)
    _gate_facts(facts, [item for item in batch if item.purpose != "step"])
    facts.images = step_images(batch, config)
    db.session.rollback()  # a sending thread: hold no snapshot while the provider answers
    return facts


def step_images(batch: list[DeliveryToSend], config: Mapping[str, Any]) -> dict[int, StepImage]:
    """The pictures the batch's steps send, one query for all; bytes only for those an email carries inline."""
    wanted = {item.image_id for item in batch if item.image_id}
    if not wanted:
        return {}
    emailed = {item.image_id for item in batch if item.image_id and item.channel == "email"}
    columns = [MediaItem.id, MediaItem.token, MediaItem.content_type, MediaItem.filename, MediaItem.alt_text]
    query = select(*columns, case((MediaItem.id.in_(emailed), MediaItem.data), else_=null()) if emailed else null())
    rows = db.session.execute(query.where(MediaItem.id.in_(wanted), MediaItem.status == "stored"))
    base = str(config["PUBLIC_BASE_URL"]).rstrip("/")
    return {
        media_id: StepImage(media_id, f"{base}/m/{token}", content_type, filename, alt, data)
        for media_id, token, content_type, filename, alt, data in rows
    }


def digest_answers(keys: Iterable[tuple]) -> dict[tuple, list[dict]]:
    """(session id, source, source step id, attribution) → that digest's `answers` (two queries at most)."""
    keys, found = set(keys), {}
    asked = {session_id for session_id, source, _, _ in keys if source == "questions"}
    if asked:
        pairs: dict[int, list] = {}
        for session_id, body, answer in db.session.execute(
            select(LiveQuestion.session_id, LiveQuestion.body, LiveQuestion.answer)
            .where(
                LiveQuestion.session_id.in_(asked),
                LiveQuestion.answer.is_not(None),
                LiveQuestion.hidden.is_(False),
            )
            .order_by(LiveQuestion.created_at, LiveQuestion.id)
        ):
            pairs.setdefault(session_id, []).append((body, answer))
    sourced = {(session_id, step_id) for session_id, source, step_id, _ in keys if source != "questions" and step_id}
    candidates = _candidates(sourced) if sourced else {}
    for key in keys:
        session_id, source, step_id, attribution = key
        if source == "questions":
            found[key] = digests.question_answers(pairs.get(session_id, []))
        else:
            found[key] = digests.answers(candidates.get((session_id, step_id), []), attribution) if step_id else []
    return found


def _candidates(sourced: set[tuple[int, int]]) -> dict[tuple[int, int], list[digests.Candidate]]:
    query = (
        select(
            Reply.session_id,
            Reply.step_id,
            Reply.body,
            Reply.shared,
            Learner.name,
            Learner.sms_opted_out_at,
            Learner.email_opted_out_at,
            Enrollment.answers_private,
        )
        .join(Learner, Learner.id == Reply.learner_id)
        .outerjoin(
            Enrollment, and_(Enrollment.session_id == Reply.session_id, Enrollment.learner_id == Reply.learner_id)
        )
        .where(
            Reply.session_id.in_({s for s, _ in sourced}),
            Reply.step_id.in_({step for _, step in sourced}),
            Reply.kind.in_(digests.QUOTABLE),
            Reply.shared.is_(True),
        )
        .order_by(Reply.created_at, Reply.id)
    )
    found: dict[tuple[int, int], list[digests.Candidate]] = {}
    for session_id, step_id, body, shared, name, sms_out, email_out, private in db.session.execute(query):
        found.setdefault((session_id, step_id), []).append(
            digests.Candidate(
                text=body,
                first_name=first_name_only(name),
                shared=shared,
                private=bool(private),
                opted_out=sms_out is not None or email_out is not None,
            )
        )
    return found


def _quotes(trainer_ids: set[int]) -> list[Quote]:
    uses = (
        select(func.count(TestimonialShown.id))
        .where(TestimonialShown.testimonial_id == Testimonial.id)
        .correlate(Testimonial)
        .scalar_subquery()
    )
    query = (
        select(
            Testimonial.id,
            Testimonial.quote,
            Testimonial.by,
            Testimonial.trainer_id,
            Testimonial.learner_id,
            Testimonial.session_id,
            TrainingSession.starts_at,
            Testimonial.consented_at,
            uses,
        )
        .join(TrainingSession, TrainingSession.id == Testimonial.session_id)
        .where(Testimonial.trainer_id.in_(trainer_ids), Testimonial.status == "consented")
    )
    return [Quote(*row) for row in db.session.execute(query)]


def _shown(sayers: list[DeliveryToSend]) -> dict[int, set[int]]:
    shown: dict[int, set[int]] = {}
    for learner_id, testimonial_id in db.session.execute(
        select(TestimonialShown.learner_id, TestimonialShown.testimonial_id).where(
            TestimonialShown.learner_id.in_({item.learner_id for item in sayers})
        )
    ):
        shown.setdefault(learner_id, set()).add(testimonial_id)
    return shown


def link_ids(urls: set[str]) -> dict[str, int]:
    """URL → its tracked link id, creating the ones new to the database (committed at once)."""
    from flask import current_app

    cache = current_app.extensions.setdefault("drip_tracked_links", {})  # per app: links repeat in every message
    hashes = {url: hashlib.sha256(url.encode()).hexdigest() for url in urls}
    with _cache_lock:
        found = {url: cache[digest] for url, digest in hashes.items() if digest in cache}
    wanted = {hashes[url]: url for url in urls if url not in found}
    if wanted:
        query = select(TrackedLink.url_hash, TrackedLink.id).where(TrackedLink.url_hash.in_(wanted))
        known = dict(db.session.execute(query).all())
        new = [{"url_hash": digest, "url": url} for digest, url in wanted.items() if digest not in known]
        if new:  # another worker may be creating the same links: theirs stand
            dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
            db.session.execute(dialect.insert(TrackedLink).on_conflict_do_nothing(), new)
            db.session.commit()
            known = dict(db.session.execute(query).all())
        db.session.rollback()
        with _cache_lock:
            cache.update(known)
        found.update({url: known[digest] for digest, url in wanted.items()})
    return found


def _gate_facts(facts: BatchFacts, asks: list[DeliveryToSend]) -> None:
    """The asks, answers and silences the re-asks and follow-ups of a batch are weighed against."""
    if not asks:
        return
    for enrollment_id, step_id, purpose, sent_at in db.session.execute(
        select(Delivery.enrollment_id, Delivery.step_id, Delivery.purpose, Delivery.sent_at).where(
            Delivery.enrollment_id.in_({item.enrollment_id for item in asks}),
            Delivery.step_id.in_({item.step_id for item in asks}),
            Delivery.purpose.in_(("step", "reask")),
            Delivery.sent_at.is_not(None),
        )
    ):
        facts.asks.setdefault((enrollment_id, step_id), []).append((purpose, sent_at))
    learners = {item.learner_id for item in asks}
    for row in db.session.execute(
        select(Reply.step_id, Reply.learner_id, Reply.kind, Reply.delivery_id, Reply.choice_index)
        .where(Reply.step_id.in_({item.step_id for item in asks}), Reply.learner_id.in_(learners))
        .order_by(Reply.created_at, Reply.id)
    ):
        facts.answers.setdefault((row.step_id, row.learner_id), []).append(Answer(*row))
    follow_ups = [item for item in asks if item.purpose == "follow_up"]
    if follow_ups:
        _silences(facts, {item.session_id for item in follow_ups}, {item.learner_id for item in follow_ups})


def _silences(facts: BatchFacts, sessions: set[int], learners: set[int]) -> None:
    for session_id, learner_id, sent_at in db.session.execute(
        select(Delivery.session_id, Delivery.learner_id, Delivery.sent_at)
        .join(Step, Step.id == Delivery.step_id)
        .where(
            Delivery.session_id.in_(sessions),
            Delivery.learner_id.in_(learners),
            Delivery.purpose.in_(("step", "reask")),
            Step.kind.in_(FOLLOWED_KINDS),
            Delivery.sent_at.is_not(None),
        )
    ):
        facts.session_asks.setdefault((session_id, learner_id), []).append(sent_at)
    for model, kinds in ((Reply, Reply.kind.in_(LEARNER_REPLY_KINDS)), (LiveQuestion, true())):
        for session_id, learner_id, moment in db.session.execute(
            select(model.session_id, model.learner_id, func.max(model.created_at))
            .where(model.session_id.in_(sessions), model.learner_id.in_(learners), kinds)
            .group_by(model.session_id, model.learner_id)
        ):
            moment = UTCDateTime().process_result_value(moment, None)  # aggregates skip the column type
            key = (session_id, learner_id)
            facts.last_reply[key] = max(facts.last_reply.get(key, moment), moment)

"""The public part of a session's cohort page, read at most once a second in each process for all its readers.

Five hundred learners with the page open ask for several pages a second, and every one of them shows
the same prompts, the same approved answers of peers, the same slides and answered questions: only the
learner's own answers, votes, name and forms differ. Each web process reads that public part once per
MAX_AGE per session, language and moment (and the settings that decide what peers see), and hands the
same snapshot to every reader; the learner's own part is read per request (services.cohort.page). The
page renderer keeps what it makes of a snapshot in `rendered`, so the HTML of 500 answers is made once too.

A change made through this process (an approval, a post, a re-filing, a learner erased or made private)
is seen at once: a commit that wrote a reply, question, learner, enrolment, session or step drops this
process's snapshots, and the room refreshes' links (services.cohort.refresh) with them (`watch`). One made in another process (a worker filing a texted answer, another web
process approving one) reaches the page within MAX_AGE. Nothing here holds a learner's own text or an
answer peers may not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from drip.domain import cohort
from drip.domain.digests import ANONYMOUS
from drip.domain.words import say
from drip.extensions import db
from drip.models import Enrollment, Learner, LiveQuestion, Reply, Step, TrainingSession
from drip.services import accounts
from drip.services.cohort import refresh, room
from drip.services.cohort.recent import Recent
from drip.services.cohort.prompts import Answer, sent_prompt_steps
from drip.services.media import shown, slides
from drip.services.media.slides import Slide

MAX_AGE = 1.0  # seconds a snapshot is handed out again (a change in this process drops it at once)
KEY = "drip_cohort_shared"
WATCHED = (Reply, LiveQuestion, Learner, Enrollment, TrainingSession, Step)  # what a snapshot is read from


@dataclass(frozen=True)
class PromptStep:
    """A discussion or practice step sent so far (or the open poll), with what its text is made from."""

    id: int
    kind: str
    body: str
    subject: str | None
    choices: Any
    explain: str | None
    follow_up: Any
    translations: Any


@dataclass(frozen=True)
class SharedPart:
    """What every learner of a session reading in one language sees alike at one moment."""

    moment: str  # "before", "live" or "after"
    trainer_name: str = ""  # their first name, as prompts name them
    prompts: tuple[PromptStep, ...] = ()
    peers: Mapping[int, tuple[Answer, ...]] = field(default_factory=dict)  # step id → answers peers read
    slides: tuple[Slide, ...] = ()
    answered: tuple[room.RoomQuestion, ...] = ()
    poll: PromptStep | None = None
    rendered: dict = field(default_factory=dict, compare=False, hash=False)  # the page renderer's, made once


def moment(ts: TrainingSession, now: datetime) -> str:
    """What the room section of the page shows now: "before", "live" or "after"."""
    if room.is_live(ts, now):
        return "live"
    return "before" if now < ts.starts_at else "after"


def _step(step: Step) -> PromptStep:
    return PromptStep(
        step.id, step.kind, step.body, step.subject, step.choices, step.explain, step.follow_up, step.translations
    )


def _peers(ts: TrainingSession, steps: list[Step], language: str) -> dict[int, tuple[Answer, ...]]:
    """Each prompt's answers that peers may read (approved, or all under publish "all"), masked and attributed."""
    attribution = {s.id: s.sequence.digest_by for s in steps}
    rows = db.session.execute(
        select(
            Reply.id,
            Reply.step_id,
            Reply.body,
            Reply.shared,
            Reply.learner_id,
            Learner.name,
            Learner.sms_opted_out_at,
            Learner.email_opted_out_at,
            Enrollment.answers_private,
            Reply.inbound_message_id,
        )
        .join(Learner, Learner.id == Reply.learner_id)
        .outerjoin(
            Enrollment, (Enrollment.session_id == Reply.session_id) & (Enrollment.learner_id == Reply.learner_id)
        )
        .where(
            Reply.session_id == ts.id,
            Reply.step_id.in_(list(attribution)),
            Reply.kind.in_(cohort.PEER_KINDS),
            Learner.erased_at.is_(None),
            Reply.shared.is_(True) if ts.cohort_publish != "all" else True,
        )
        .order_by(Reply.created_at, Reply.id)
    ).all()
    kept = shown.pictures_for([row.inbound_message_id for row in rows])
    peers: dict[int, list[Answer]] = {step_id: [] for step_id in attribution}
    anonymous = say(language, ANONYMOUS)
    for reply_id, step_id, body, shared, author, name, sms_out, email_out, private, message_id in rows:
        text = (body or "").strip()
        urls = tuple(picture.url for picture in kept.get(message_id, []) if picture.url)
        if not text and not urls:
            continue
        if cohort.peers_see(
            shared=shared,
            private=bool(private),
            opted_out=sms_out is not None or email_out is not None,
            publish=ts.cohort_publish,
        ):
            by = cohort.attributed(cohort.first_name_only(name), attribution[step_id])
            by = anonymous if by == ANONYMOUS else by
            peers[step_id].append(Answer(reply_id, cohort.masked(text), by, pictures=urls, author=author))
    return {step_id: tuple(answers) for step_id, answers in peers.items()}


def read(ts: TrainingSession, language: str, now: datetime) -> SharedPart:
    """The public part of the session's page as of now, from the database (no snapshot)."""
    shown_moment = moment(ts, now)
    steps = sent_prompt_steps(ts)
    poll = room.open_poll(ts, now) if shown_moment == "live" else None
    trainer = accounts.trainer_by_id(ts.trainer_id)
    return SharedPart(
        moment=shown_moment,
        trainer_name=cohort.first_name_only(trainer.name if trainer else ""),
        prompts=tuple(_step(step) for step in steps),
        peers=_peers(ts, steps, language) if steps else {},
        slides=tuple(slides.visible(ts, now)),
        answered=tuple(room.answered_questions(ts)) if shown_moment == "after" else (),
        poll=_step(poll) if poll is not None else None,
    )


def snapshots() -> Recent:
    """This app's snapshots: key → (when, SharedPart) (each app, each test's included, starts with none)."""
    return current_app.extensions.setdefault(KEY, Recent(MAX_AGE))


def snapshot(ts: TrainingSession, language: str, now: datetime) -> SharedPart:
    """The public part of the session's page for readers in `language`, read at most once per MAX_AGE."""
    key = (
        ts.id,
        language,
        moment(ts, now),
        now >= ts.starts_at,  # the slides are shown from the start
        ts.cohort_publish,
        ts.moderation,
        ts.projector_poll_step_id,
        ts.slides_early,
    )
    return snapshots().get(key, lambda: read(ts, language, now))


def _noticed(session: Session, flush_context, instances=None) -> None:
    if any(isinstance(row, WATCHED) for rows in (session.new, session.dirty, session.deleted) for row in rows):
        session.info["cohort_changed"] = True


def _committed(session: Session) -> None:
    if session.info.pop("cohort_changed", False) and has_app_context():
        if (kept := current_app.extensions.get(KEY)) is not None:
            kept.drop()
        refresh.forget_links()  # and the room refreshes' links: an erased learner's token stops at once


def _rolled_back(session: Session) -> None:
    session.info.pop("cohort_changed", None)


def watch() -> None:
    """Drop this process's snapshots after any commit that wrote what they are read from (once per process)."""
    for name, listener in (("after_flush", _noticed), ("after_commit", _committed), ("after_rollback", _rolled_back)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)

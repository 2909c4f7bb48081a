"""What routing needs about a batch of stored texts' senders, loaded once per batch (issue 28).

A worker routes stored texts a batch at a time. Routing one text asked the database for the
provider id (a repeat?), the sessions open to walk-ins, the learner's live sessions, the steps sent
to them, which of those they already answered and the open poll each projector shows: six
statements a text. A SenderBatch loads the same for every sender of the batch in a fixed number of
statements, as plain values (a commit per text expires ORM objects; these stay valid), and lookup
consults it while it is current.

What a text changes about its sender (a vote answers a poll, a STOP opts the number out, a walk-in
joins) is keyed by the sender's number: so a batch answers for a number once, and a second text
from the same number in the batch is looked up afresh. Time-dependent filters (live now, sent within
the answer window) are applied per text, at its own arrival time, on rows loaded for the whole
batch's span.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import select

from drip.batch_statements import in_list
from drip.domain.routing import ANSWER_KINDS, ANSWER_WINDOW, CHOICE_KINDS, LIVE_MARGIN, SentStep, SessionWindow
from drip.extensions import db
from drip.models import Delivery, Enrollment, InboundMessage, Learner, Reply, Step, TrainingSession

_current: ContextVar[SenderBatch | None] = ContextVar("drip_sender_batch", default=None)


def current() -> SenderBatch | None:
    """The batch being routed in this thread, if any."""
    return _current.get()


@contextmanager
def routing(phones: list[str], sids: list[str], earliest: datetime, latest: datetime) -> Iterator[SenderBatch]:
    """Load what routing needs about these senders (texts arrived from earliest to latest) for the block."""
    batch = SenderBatch(phones, sids, earliest, latest)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)


class SenderBatch:
    """The senders of one batch: their learner ids, live-ish sessions, sent steps and answers."""

    def __init__(self, phones: list[str], sids: list[str], earliest: datetime, latest: datetime):
        self.open = True
        self._phones, self._answered_for, self._issued = set(phones), set(), set()
        self._seen_sids = set(
            db.session.scalars(
                select(InboundMessage.provider_message_id).where(
                    InboundMessage.channel == "sms", in_list(InboundMessage.provider_message_id, sids)
                )
            )
        )
        self._sids = set(sids)
        learners = db.session.scalars(select(Learner).where(in_list(Learner.phone, self._phones))).all()
        self._learner_ids = {learner.id for learner in learners}
        self._by_phone: dict[str, set[int]] = defaultdict(set)
        self._learners: dict[str, list[Learner]] = defaultdict(list)
        for learner in learners:
            self._by_phone[learner.phone].add(learner.id)
            self._learners[learner.phone].append(learner)
        self._sessions = self._load_sessions(earliest, latest)
        self._steps = self._load_steps(earliest)
        choice_rows = [row.delivery_id for rows in self._steps.values() for row in rows if row.kind in CHOICE_KINDS]
        kinds = [ANSWER_KINDS[kind] for kind in CHOICE_KINDS]
        self._answered = set(
            db.session.scalars(
                select(Reply.delivery_id).where(
                    in_list(Reply.delivery_id, choice_rows),
                    Reply.kind.in_(kinds),
                    Reply.choice_index.is_not(None),
                )
            )
            if choice_rows
            else ()
        )
        self._joinable = [
            SessionWindow(row.id, row.starts_at, row.ends_at, row.join_keyword)
            for row in db.session.execute(
                select(
                    TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.join_keyword
                )
                .where(TrainingSession.join_keyword.is_not(None), TrainingSession.join_keyword != "")
                .where(*_overlapping(earliest, latest))
            ).all()
        ]

    def _load_sessions(self, earliest: datetime, latest: datetime) -> dict[int, list[SessionWindow]]:
        rows = db.session.execute(
            select(
                Enrollment.learner_id,
                TrainingSession.id,
                TrainingSession.starts_at,
                TrainingSession.ends_at,
                TrainingSession.join_keyword,
                TrainingSession.projector_poll_step_id,
            )
            .join(TrainingSession, Enrollment.session_id == TrainingSession.id)
            .where(in_list(Enrollment.learner_id, self._learner_ids), Enrollment.unenrolled_at.is_(None))
            .where(*_overlapping(earliest, latest))
        ).all()
        shown = {row.projector_poll_step_id for row in rows if row.projector_poll_step_id is not None}
        polls = (
            db.session.execute(select(Step.id, Step.choices).where(Step.id.in_(shown), Step.kind == "poll")).all()
            if shown
            else ()
        )
        open_polls = {step_id for step_id, choices in polls if not choices}
        sessions: dict[int, list[SessionWindow]] = defaultdict(list)
        for row in rows:
            poll = row.projector_poll_step_id if row.projector_poll_step_id in open_polls else None
            sessions[row.learner_id].append(SessionWindow(row.id, row.starts_at, row.ends_at, row.join_keyword, poll))
        return sessions

    def _load_steps(self, earliest: datetime) -> dict[int, list]:
        rows = db.session.execute(
            select(
                Delivery.learner_id,
                Delivery.id.label("delivery_id"),
                Delivery.session_id,
                Delivery.channel,
                Delivery.sent_at,
                Step.id.label("step_id"),
                Step.kind,
                Step.choices,
                Step.translations,
            )
            .join(Step, Delivery.step_id == Step.id)
            .where(
                in_list(Delivery.learner_id, self._learner_ids),
                Delivery.sent_at.is_not(None),
                Delivery.sent_at >= earliest - ANSWER_WINDOW,
            )
        ).all()
        steps: dict[int, list] = defaultdict(list)
        for row in rows:
            steps[row.learner_id].append(row)
        return steps

    def only_learner(self, phone: str) -> Learner | None:
        """The one learner with this number, as loaded with the batch; None for none or several."""
        found = self._learners.get(phone, [])
        return found[0] if len(found) == 1 else None

    def close(self) -> None:
        """Answer nothing more (an email in the batch may change what a sender's texts mean)."""
        self.open = False

    def already_stored(self, sid: str) -> bool | None:
        """Whether a text with this provider id is stored; None when the batch cannot say."""
        return (sid in self._seen_sids) if self.open and sid in self._sids else None

    def answers_for(self, phone: str) -> bool:
        """Whether the batch answers for this number now; only once per number (see the module's docstring)."""
        if not self.open or phone not in self._phones or phone in self._answered_for:
            return False
        self._answered_for.add(phone)
        self._issued |= self._by_phone.get(phone, set())
        return True

    def context_parts(
        self, learner: Learner, now: datetime, read_as: Callable
    ) -> tuple[list[SessionWindow], list[SentStep]] | None:
        """The learner's live sessions and recent steps at `now`; None when the batch cannot say."""
        if not self.open or learner.id not in self._issued:
            return None
        self._issued.discard(learner.id)  # once: a second text of the number is routed on fresh rows
        sessions = [window for window in self._sessions.get(learner.id, []) if window.is_live(now)]
        steps = [
            SentStep(
                row.delivery_id,
                row.step_id,
                row.session_id,
                row.kind,
                row.channel,
                row.sent_at,
                tuple(row.choices or ()),
                answered=row.delivery_id in self._answered,
                read_as=read_as(row.translations, learner.language),
            )
            for row in self._steps.get(learner.id, [])
            if row.sent_at >= now - ANSWER_WINDOW
        ]
        return sessions, steps

    def joinable(self, now: datetime) -> list[SessionWindow] | None:
        """The sessions open to walk-ins at `now`; None when the batch cannot say."""
        if not self.open:
            return None
        return [window for window in self._joinable if window.is_live(now)]


def _overlapping(earliest: datetime, latest: datetime):
    """Sessions (not cancelled) live at some moment between earliest and latest."""
    return (
        TrainingSession.status != "cancelled",
        TrainingSession.starts_at <= latest + LIVE_MARGIN,
        TrainingSession.ends_at >= earliest - LIVE_MARGIN,
    )

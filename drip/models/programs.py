"""Sequences of steps, training sessions and enrolments."""

from __future__ import annotations

import secrets
from datetime import datetime, time

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, Time, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drip.extensions import db
from drip.models.learners import Learner
from drip.models.media import MediaItem, session_slides
from drip.models.types import UTCDateTime, utcnow


def new_cohort_token() -> str:
    """An unguessable token (192 bits) for a learner's personal cohort page link."""
    return secrets.token_urlsafe(24)


session_sequences = Table(
    "session_sequences",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("sequence_id", ForeignKey("sequences.id", ondelete="CASCADE"), primary_key=True),
)


class Sequence(db.Model):
    """A trainer's series of steps anchored to a session."""

    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Both null: no send window. Times are in the learner's zone. No column default: the
    # 08:00-21:00 default is the services' choice, and a default here would override an explicit None.
    send_window_start: Mapped[time | None] = mapped_column(Time)
    send_window_end: Mapped[time | None] = mapped_column(Time)
    # How digests attribute answers: "first_name", or "colleague" (anonymous, the default).
    digest_by: Mapped[str] = mapped_column(String(20), default="colleague", server_default="colleague")
    # The language the steps are written in, and learners without a supported one read.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Archived: out of the lists and the new-session form; sessions using it keep it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Only steps not deleted: a deleted step stays in the table so what it sent keeps its history.
    steps: Mapped[list["Step"]] = relationship(
        back_populates="sequence",
        order_by="Step.position",
        cascade="all, delete-orphan",
        primaryjoin="and_(Sequence.id == Step.sequence_id, Step.deleted_at.is_(None))",
    )


class Step(db.Model):
    """One message of a sequence: what, by which channel, when relative to the session."""

    __tablename__ = "steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # poll quiz testimonial discussion live_prompt practice reminder digest info
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    anchor: Mapped[str] = mapped_column(String(10))  # start | end
    offset: Mapped[str] = mapped_column(String(40))  # signed ISO 8601 duration
    # The trainer's short name for the step ("Interest poll"); without one the admin says kind and moment.
    label: Mapped[str | None] = mapped_column(String(80))
    local_time: Mapped[time | None] = mapped_column(Time)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str] | None] = mapped_column(JSON)
    if_late: Mapped[str] = mapped_column(String(10), default="skip")  # skip | send
    # Quiz: the 0-based index of the right choice, the explanation sent with the verdict, and how
    # long after an unanswered or wrong ask it is asked again (ISO 8601 duration).
    answer: Mapped[int | None] = mapped_column()
    explain: Mapped[str | None] = mapped_column(Text)
    retry_after: Mapped[str | None] = mapped_column(String(40))
    # {"after": "P2D", "body": ..., "channel": ..., "subject": ...}: sent to those who did not answer.
    follow_up: Mapped[dict | None] = mapped_column(JSON)
    # {"es": {"body", "subject"?, "choices"?, "explain"?, "follow_up"?}}: the step in other languages.
    translations: Mapped[dict | None] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Digests: "step" (answers to source_step) or "questions" (live questions answered afterwards).
    digest_source: Mapped[str | None] = mapped_column(String(20))
    source_step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="SET NULL"))
    # A picture from the trainer's library sent with the step (MMS, a link, or inline in email).
    # use_alter: media_items reaches back to steps (through inbound messages and deliveries).
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_items.id", ondelete="SET NULL", use_alter=True), index=True
    )

    sequence: Mapped[Sequence] = relationship(back_populates="steps")
    source_step: Mapped["Step | None"] = relationship(remote_side=[id], foreign_keys=[source_step_id])


class TrainingSession(db.Model):
    """A workshop or webinar that steps are anchored to."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    join_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled | cancelled
    # Walk-ins text this word during the live window to join the board.
    join_keyword: Mapped[str | None] = mapped_column(String(40), index=True)
    # The SMS answer to a live question, set per session by the trainer; empty: the moderation's own
    # words (catalog.MODERATIONS), so the learner is told what really happens to their question.
    acknowledgement: Mapped[str] = mapped_column(Text, default="")
    # "approve": questions reach the projector once the trainer approves them; "open": at once.
    moderation: Mapped[str] = mapped_column(String(10), default="approve", server_default="approve")
    # How the board and projector order questions: "time" (newest first) or "votes" (most voted first).
    question_order: Mapped[str] = mapped_column(String(10), default="time", server_default="time")
    # The poll the projector shows instead of the questions; None: the questions.
    projector_poll_step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="SET NULL"))
    # The cohort page: whose answers peers see ("approved" by the trainer, or "all") and how many
    # days after the session's end its links keep working.
    cohort_publish: Mapped[str] = mapped_column(String(10), default="approved", server_default="approved")
    cohort_days_after: Mapped[int] = mapped_column(default=90, server_default="90")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The cohort page shows the session's slides from its start, or from enrolment when True.
    slides_early: Mapped[bool] = mapped_column(default=False, server_default=false())

    sequences: Mapped[list[Sequence]] = relationship(secondary=session_sequences)
    # Written by services/media/slides (with each slide's position), read here in that order.
    slides: Mapped[list[MediaItem]] = relationship(
        secondary=session_slides, order_by=session_slides.c.position, viewonly=True
    )
    enrollments: Mapped[list["Enrollment"]] = relationship(back_populates="training_session")


class Enrollment(db.Model):
    """A learner taking part in a session."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("session_id", "learner_id"),
        # What a delivery's foreign key refers to: its enrolment with that enrolment's session and learner.
        Index("ix_enrollments_id_session_learner", "id", "session_id", "learner_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (session_id, learner_id) serves lookups by session. With one,
    # PostgreSQL's generic plan for a delivery's key check, made while the table is small, walked
    # every enrolment of the session for each delivery (bench/README.md, migration i28_enrolment_index).
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="admin")  # admin csv api walk_in
    # The learner asked (PRIVATE, or the link in an email) that digests never quote them here.
    answers_private: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Unenrolled: kept, with what was sent, but nothing more goes out and the session no longer lists them.
    unenrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The personal cohort page link (/c/<token>); reissuing replaces it, so the old link dies.
    cohort_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=new_cohort_token)
    # How often the learner opened their cohort page (a read), and when last.
    cohort_views: Mapped[int] = mapped_column(default=0, server_default="0")
    cohort_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    training_session: Mapped[TrainingSession] = relationship(back_populates="enrollments")
    learner: Mapped[Learner] = relationship()

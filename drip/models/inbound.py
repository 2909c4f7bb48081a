"""What learners send back: raw inbound messages, live questions and replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drip.extensions import db
from drip.models.learners import Learner
from drip.models.types import UTCDateTime, utcnow


class InboundMessage(db.Model):
    """One SMS or email received, kept raw whatever it turned out to be."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    provider_message_id: Mapped[str] = mapped_column(String(300))  # MessageSid or Message-ID
    from_address: Mapped[str] = mapped_column(String(254), index=True)
    to_address: Mapped[str] = mapped_column(String(254), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[dict] = mapped_column(JSON)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"), index=True)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("trainers.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="SET NULL"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    # What routing made of it: live_question, poll_vote, practice_report, ... or opt_out.
    routed_as: Mapped[str] = mapped_column(String(30), default="unclassified")
    # False for an email whose sender nothing vouches for (no reply token, SPF and DKIM not passed
    # for the From domain): kept and shown as unverified, never counted as the learner's answer.
    sender_verified: Mapped[bool] = mapped_column(default=True, server_default=true())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    learner: Mapped[Learner | None] = relationship()


class LiveQuestion(db.Model):
    """A question texted during a session, on the trainer's board."""

    __tablename__ = "live_questions"
    __table_args__ = (Index("ix_live_questions_session_created", "session_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(default=False)
    starred: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    approved: Mapped[bool] = mapped_column(default=False)
    # The trainer's answer, written on the board after the session; a `questions` digest sends it.
    answer: Mapped[str | None] = mapped_column(Text)
    answered_after_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Learners' votes from the cohort page, kept as a counter beside the QuestionVote rows so
    # boards sort and show it without counting rows.
    votes: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    learner: Mapped[Learner | None] = relationship()


class Reply(db.Model):
    """A practice report, discussion reply, poll vote or unclassified message; or the trainer's answer."""

    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_session_kind", "session_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="SET NULL"), index=True)
    # Indexed: routing asks which polls and quizzes sent were answered, every batch (i28_reply_delivery).
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"))
    # practice_report | discussion_reply | poll_vote | quiz_answer | unclassified | trainer_reply
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text, default="")
    choice_index: Mapped[int | None] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Approved by the trainer for a digest to the cohort.
    shared: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    learner: Mapped[Learner | None] = relationship()


class QuestionVote(db.Model):
    """One learner seconding a live question from the cohort page; theirs to take back."""

    __tablename__ = "question_votes"
    __table_args__ = (UniqueConstraint("question_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("live_questions.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpenPollWord(db.Model):
    """A word of an open poll's answers, once per voter: how many of the voter's answers hold it.

    The projector's word cloud counts these rows (services/board/poll_words.py, their only writer),
    never the answers themselves. A voter is the learner, or the answer (-its id) without one.
    """

    __tablename__ = "open_poll_words"
    __table_args__ = (UniqueConstraint("session_id", "step_id", "voter", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    voter: Mapped[int] = mapped_column()
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    word: Mapped[str] = mapped_column(String(64))
    answers: Mapped[int] = mapped_column(default=1, server_default="1")

"""What the send path carries: one delivery's data, the facts its batch loaded once, the rendered message.

Pure data. A field a step, learner or session gains (a language, translations, an image, a cohort
link) is one more defaulted field of DeliveryToSend, filled by the batch loader's query; anything
shared by the deliveries of a batch (digest answers, quotes, link ids, the follow-on gate's facts)
is one more field of BatchFacts, loaded once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

ChannelName = Literal["sms", "email"]


@dataclass(frozen=True)
class InlineImage:
    """A picture an email carries as an attachment its HTML shows by Content-ID (seen with remote images blocked)."""

    content_id: str
    filename: str
    content_type: str
    data: bytes
    url: str = ""  # the same picture at its public address (the outbox shows it from there)


@dataclass(frozen=True)
class StepImage:
    """A step's picture from the library, loaded once per batch (`data` only when an email needs the bytes)."""

    id: int
    url: str  # PUBLIC_BASE_URL/m/<token>: Twilio fetches it for an MMS
    content_type: str
    filename: str
    alt: str
    data: bytes | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message ready to hand to a provider."""

    delivery_id: int | None
    channel: ChannelName
    to: str
    body: str
    subject: str | None = None
    html: str | None = None
    reply_to: str | None = None
    # A read-only view: the message is shared between retry attempts and threads.
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    status_callback: str | None = None
    media_urls: tuple[str, ...] = ()  # an MMS: pictures Twilio fetches and sends with the text
    inline_images: tuple[InlineImage, ...] = ()  # an email's pictures, shown by cid: in its HTML


@dataclass(frozen=True)
class DeliveryToSend:
    """Everything a sending thread needs about one delivery, loaded with the batch."""

    delivery_id: int
    claim: str
    channel: str
    reply_token: str
    learner_id: int
    learner_name: str
    learner_timezone: str | None
    unsubscribe_token: str
    trainer_id: int
    trainer_name: str
    kind: str
    body: str
    subject: str | None
    choices: list | None
    session_title: str
    starts_at: datetime
    session_timezone: str
    join_url: str
    step_id: int
    session_id: int
    digest_source: str | None
    source_step_id: int | None
    digest_by: str
    due_at: datetime | None = None
    purpose: str = "step"
    follow_up: dict | None = None
    ends_at: datetime | None = None
    # The follow-on gate's own facts about this row (re-asks and follow-ups only use them).
    enrollment_id: int | None = None
    step_deleted_at: datetime | None = None
    unenrolled_at: datetime | None = None
    retry_after: str | None = None
    answer: int | None = None
    cohort_token: str | None = None  # the enrolment's cohort page link (`cohort_url`)
    image_id: int | None = None  # a picture from the library sent with the step
    # Languages: the learner's tag, the sequence's language and the step's translations (domain/translations.py).
    learner_language: str | None = None
    sequence_language: str = "en"
    translations: dict | None = None

    @classmethod
    def of_row(cls, row, offset: timedelta | None = None) -> DeliveryToSend:
        """One from the batch query's row (every field, in order), due `offset` earlier (onto another
        clock), without the generated __init__'s 37 frozen-attribute assignments or a copy to move
        its due time (dataclasses.replace): 6 % of a sending worker's CPU together."""
        item = object.__new__(cls)
        values = item.__dict__
        values.update(zip(_FIELD_NAMES, row, strict=True))
        if offset and values["due_at"] is not None:
            values["due_at"] -= offset  # frozen: filled once, before anyone sees it
        return item


_FIELD_NAMES = tuple(f.name for f in fields(DeliveryToSend))


@dataclass(frozen=True)
class Quote:
    """A consented testimonial, with what decides who may read it."""

    id: int
    text: str
    by: str
    trainer_id: int
    learner_id: int | None
    session_id: int | None
    session_starts_at: datetime
    consented_at: datetime | None
    uses: int

    @property
    def shown_as(self) -> str:
        """The quote as a testimonial step shows it."""
        return f"“{self.text}” ({self.by})" if self.by else f"“{self.text}”"


@dataclass(frozen=True)
class Answer:
    """A learner's reply to a step, as the follow-on gate weighs it."""

    step_id: int
    learner_id: int
    kind: str
    delivery_id: int | None
    choice_index: int | None


@dataclass
class BatchFacts:
    """What the deliveries of one batch share, loaded once for the whole batch."""

    sms_number: str = ""  # the number learners text (`sms_number` in a body)

    # (session id, source, source step id, attribution) → the digest's `answers`.
    digest_answers: dict[tuple, list[dict]] = field(default_factory=dict)
    # delivery id → the quote its testimonial step shows (None: no quote left for this reader).
    quotes: dict[int, Quote | None] = field(default_factory=dict)
    # URL → its tracked link id.
    link_ids: dict[str, int] = field(default_factory=dict)
    # (enrollment id, step id) → [(purpose, sent_at)] of the asks that went out.
    asks: dict[tuple[int, int], list[tuple[str, datetime]]] = field(default_factory=dict)
    # (step id, learner id) → the learner's answers to that step, oldest first.
    answers: dict[tuple[int, int], list[Answer]] = field(default_factory=dict)
    # (session id, learner id) → send times of the asks awaiting answers, and their last reply.
    session_asks: dict[tuple[int, int], list[datetime]] = field(default_factory=dict)
    last_reply: dict[tuple[int, int], datetime] = field(default_factory=dict)
    # media id → the step picture, loaded once for every delivery of the batch that sends it.
    images: dict[int, StepImage] = field(default_factory=dict)

    def quote_shown(self, item: DeliveryToSend) -> dict | None:
        """The testimonials_shown row of a testimonial delivery that showed a quote, else None."""
        quote = self.quotes.get(item.delivery_id) if item.kind == "testimonial" else None
        if quote is None:
            return None
        return {"testimonial_id": quote.id, "learner_id": item.learner_id, "delivery_id": item.delivery_id}

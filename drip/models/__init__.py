"""Typed ORM rows; business rules live in domain/ and services/."""

from drip.models.accounts import ApiToken, Trainer
from drip.models.deliveries import FINAL, PENDING, STATUSES, Delivery, OutboxMessage, ProviderEvent
from drip.models.inbound import InboundMessage, LiveQuestion, OpenPollWord, QuestionVote, Reply
from drip.models.media import MediaItem, session_slides
from drip.models.learners import AuditEvent, Learner, OptOutEvent, SuppressedAddress
from drip.models.receipts import InboundReceipt
from drip.models.refilings import Refiling
from drip.models.reads import DeliveryRead, TrackedLink
from drip.models.programs import Enrollment, Sequence, Step, TrainingSession, session_sequences
from drip.models.testimonials import Testimonial, TestimonialShown
from drip.models.types import UTCDateTime, utcnow

__all__ = [
    "ApiToken",
    "Trainer",
    "Delivery",
    "OutboxMessage",
    "ProviderEvent",
    "FINAL",
    "PENDING",
    "STATUSES",
    "InboundMessage",
    "InboundReceipt",
    "LiveQuestion",
    "OpenPollWord",
    "QuestionVote",
    "Reply",
    "Refiling",
    "Learner",
    "MediaItem",
    "session_slides",
    "OptOutEvent",
    "AuditEvent",
    "SuppressedAddress",
    "Enrollment",
    "Sequence",
    "Step",
    "TrainingSession",
    "session_sequences",
    "DeliveryRead",
    "TrackedLink",
    "Testimonial",
    "TestimonialShown",
    "UTCDateTime",
    "utcnow",
]

"""Digests: which approved answers a cohort sees, how they are attributed, and what fits in an SMS."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from drip.domain import catalog
from drip.domain.sms_segments import sms_segments
from drip.domain.words import mark, say

SOURCES = ("step", "questions")
ATTRIBUTIONS = ("first_name", "colleague")
ANONYMOUS = mark("a colleague")  # said in the reader's language (in_language)


def in_language(answers: Sequence[dict], language: str) -> list[dict]:
    """A digest's answers for a reader of `language`: "a colleague" in their words, first names as they are."""
    return [
        {**answer, "by": say(language, ANONYMOUS)} if answer.get("by") == ANONYMOUS else answer for answer in answers
    ]


SMS_SEGMENT_LIMIT = 4  # an SMS digest keeps to this many billed segments; emails carry every answer
SOURCE_KINDS = ("discussion", "practice")  # the steps a digest may share answers of
QUOTABLE = ("discussion_reply", "practice_report")  # the replies to them, which a trainer may approve
NOTHING_APPROVED = catalog.NOTHING_APPROVED  # the skip Reason of a digest with nothing to quote


@dataclass(frozen=True)
class Candidate:
    """An answer the digest might quote, with what decides whether it may."""

    text: str
    first_name: str
    shared: bool
    private: bool
    opted_out: bool


def answers(candidates: Iterable[Candidate], attribution: str) -> list[dict[str, str]]:
    """The `answers` template variable: approved answers only, never a private or opted-out learner's."""
    out = []
    for c in candidates:
        text = " ".join(c.text.split())
        if c.shared and not c.private and not c.opted_out and text:
            by = c.first_name if attribution == "first_name" and c.first_name else ANONYMOUS
            out.append({"text": text, "by": by})
    return out


def question_answers(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The `answers` of a `questions` digest: each question with the trainer's answer; askers stay anonymous."""
    return [
        {
            "text": f"{' '.join(q.split())} — {' '.join(a.split())}",
            "question": " ".join(q.split()),
            "answer": " ".join(a.split()),
            "by": ANONYMOUS,
        }
        for q, a in pairs
        if a and a.strip()
    ]


def fit_sms(
    items: Sequence[dict[str, str]], render: Callable[[list[dict[str, str]]], str], limit: int = SMS_SEGMENT_LIMIT
) -> tuple[str, int]:
    """The SMS rendered with as many answers as fit in `limit` segments (at least one, shortened if need be)."""
    count = len(items)
    text = render(list(items))
    while count > 1 and sms_segments(text).segments > limit:
        count -= 1
        text = render(list(items[:count]))
    if count == 1 and sms_segments(text).segments > limit:
        # One long answer (an email reply, say): cut it rather than send a message Twilio would refuse.
        first = dict(items[0])
        while len(first["text"]) > 20 and sms_segments(text).segments > limit:
            first["text"] = first["text"][: int(len(first["text"]) * 0.9)].rstrip() + "…"
            text = render([first])
    return text, count


def digest_source(kind: str, source: object) -> tuple[str | None, str | None]:
    """("questions" | "step" | None, a problem or None) for a step's `source` field."""
    if kind != "digest":
        return None, ("only digests have a source" if source is not None else None)
    if source == "questions":
        return "questions", None
    if isinstance(source, int) and not isinstance(source, bool):
        return "step", None
    return None, 'a digest needs a source: a discussion or practice step, or "questions"'


def source_problem(source, digest) -> str | None:
    """Why `source` (a step, or None) cannot feed the digest step `digest`; None when it can."""
    if source is None or source is digest:
        return "must name another step of this sequence"
    if source.kind not in SOURCE_KINDS:
        return "must be a discussion or practice step"
    return None


class NothingToShare(Exception):
    """A digest with no approved answer: skipped with that reason, never sent empty."""


def digest_key(item) -> tuple:
    """What a digest delivery's `answers` depend on: every learner of the same key reads the same ones."""
    return (item.session_id, item.digest_source, item.source_step_id, item.digest_by)


def pick_quotes(items: Sequence, quotes: Sequence, shown: dict[int, set[int]]) -> dict[int, object]:
    """delivery id → the quote each testimonial delivery shows (None when none is left for its reader).

    A quote from an earlier cohort of the same trainer, never the reader's own nor one they saw, the
    least shown first; each pick counts as shown for the rest of the batch (the rotation)."""
    uses = {quote.id: quote.uses for quote in quotes}
    floor = datetime.min.replace(tzinfo=timezone.utc)
    picked: dict[int, object] = {}
    for item in items:
        seen = shown.setdefault(item.learner_id, set())
        fits = [
            q
            for q in quotes
            if q.trainer_id == item.trainer_id
            and q.session_id is not None
            and q.session_id != item.session_id
            and q.session_starts_at < item.starts_at
            and q.learner_id is not None
            and q.learner_id != item.learner_id
            and q.id not in seen
        ]
        chosen = min(fits, key=lambda q: (uses[q.id], q.consented_at or floor, q.id), default=None)
        if chosen is not None:
            uses[chosen.id] += 1
            seen.add(chosen.id)
        picked[item.delivery_id] = chosen
    return picked

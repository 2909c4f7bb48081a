"""What a digest quotes: the approved answers, or the answered questions, of one session."""

from __future__ import annotations

from drip.domain import digests
from drip.domain.digests import NothingToShare
from drip.services.delivery.batch_facts import digest_answers

__all__ = ["NothingToShare", "answers"]


def answers(session_id: int, source: str | None, source_step_id: int | None, attribution: str) -> list[dict]:
    """The `answers` of a digest in this session; NothingToShare when nothing may be quoted."""
    key = (session_id, source, source_step_id, attribution)
    found = digest_answers([key])[key]
    if not found:
        raise NothingToShare(digests.NOTHING_APPROVED.text)
    return found

"""Whose learner a text comes from when several trainers' learners share the number.

The text goes to the trainer whose step it answers or whose session is live; when no single
one decides (none, or several), every trainer sharing the number gets it. Guessing by the
nearest session let one trainer pull another's learner's texts onto their own board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drip.domain import catalog
from drip.domain.keywords import classify_keyword
from drip.domain.routing import Route, SessionWindow, route
from drip.models import Learner
from drip.services.inbound import lookup

# Routes that show the text answers this learner's own step (its reply kinds), session (a live
# question) or a session's join keyword.
DECISIVE = frozenset({*catalog.answer_kinds().values(), "live_question", "join"})


@dataclass(frozen=True)
class Recipient:
    """A learner a text is filed for, and what it is for them."""

    learner: Learner
    route: Route


def recipients(
    body: str, phone: str, now: datetime, joinable: list[SessionWindow], *, trainer_id: int | None = None
) -> list[Recipient]:
    """The learners this text is for, the first one primary; empty for a number nobody has."""
    candidates = lookup.learners_by_phone(phone, trainer_id=trainer_id)
    if not candidates:
        return []
    if len(candidates) == 1 or classify_keyword(body):
        # STOP, START and HELP are about the number itself: they are applied once.
        learner = candidates[0] if len(candidates) == 1 else lookup.pick_one(candidates, now)
        return [_routed(learner, body, now, joinable)]
    routed = [_routed(learner, body, now, joinable) for learner in candidates]
    decisive = [recipient for recipient in routed if recipient.route.kind in DECISIVE]
    return decisive or routed


def _routed(learner: Learner, body: str, now: datetime, joinable: list[SessionWindow]) -> Recipient:
    context = lookup.context_for(learner, now)
    return Recipient(learner, route(body, channel="sms", context=context, now=now, joinable_sessions=joinable))

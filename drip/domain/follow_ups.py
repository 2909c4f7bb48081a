"""Follow-ups for silence: a message `after` a step to learners who have not answered it, unless they went quiet.

Pure. A learner who left the last QUIET_AFTER asks of a session unanswered is "quiet": they get no
more follow-ups (the main steps go on) until any reply brings them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from drip.domain import catalog
from drip.domain.durations import parse_offset
from drip.domain.outgoing import BatchFacts, DeliveryToSend
from drip.domain.quiz import DEFAULT_RETRY_AFTER, reask_offsets

# Steps that await answers, and so may have follow-ups (DESIGN.md, "follow_up").
FOLLOWED_KINDS = tuple(catalog.answer_kinds())
QUIET_AFTER = 3
MAX_BODY = 1600
LEARNER_REPLY_KINDS = catalog.learner_reply_kinds()


def quiet_since(asks: Iterable[datetime], last_reply: datetime | None) -> datetime | None:
    """When the learner went quiet: the first of QUIET_AFTER or more asks since their last reply, else None."""
    unanswered = sorted(moment for moment in asks if last_reply is None or moment > last_reply)
    return unanswered[0] if len(unanswered) >= QUIET_AFTER else None


def too_soon(last_ask: datetime, due_at: datetime, delay: str) -> bool:
    """Whether a re-ask or follow-up is due less than half its delay after the last ask actually went out.

    After a backlog (workers down for days) the quiz, its re-asks and its follow-up all fall due
    at once; only the first goes, so asks never pile up. Due times, not the clock: sending late
    within a normal gap is still fine.
    """
    offset = parse_offset(delay)
    return due_at - last_ask < timedelta(seconds=(offset.days * 86400 + offset.seconds) / 2)


def check(kind: str, channel: str, follow_up) -> tuple[dict | None, dict[str, str]]:
    """The normalised follow_up ({after, body, channel, subject}) of a step, and a reason per bad field."""
    if follow_up is None:
        return None, {}
    if kind not in FOLLOWED_KINDS:
        return None, {"follow_up": f"only {', '.join(FOLLOWED_KINDS)} steps await answers, so only they follow up"}
    if not isinstance(follow_up, Mapping):
        return None, {"follow_up": "give after and body"}
    errors: dict[str, str] = {}
    unknown = sorted(set(follow_up) - {"after", "body", "channel", "subject"})
    if unknown:
        errors["follow_up"] = f"unknown fields: {', '.join(map(str, unknown))}"
    after = follow_up.get("after")
    try:
        offset = parse_offset(after) if isinstance(after, str) else None
        if offset is None or offset.negative or not (offset.days or offset.seconds):
            raise ValueError("must be a positive duration after the step, like P2D or PT30S")
        after = str(offset)
    except ValueError as error:
        errors["follow_up.after"] = str(error)
    body = follow_up.get("body")
    body = body.strip("\n").replace("\r\n", "\n") if isinstance(body, str) else ""
    if not body.strip():
        errors["follow_up.body"] = "write the follow-up message"
    elif len(body) > MAX_BODY:
        errors["follow_up.body"] = f"at most {MAX_BODY} characters"
    fchannel = follow_up.get("channel") or channel
    if fchannel not in ("sms", "email"):
        errors["follow_up.channel"] = "must be sms or email"
    subject = follow_up.get("subject")
    subject = subject.strip() if isinstance(subject, str) and fchannel == "email" else None
    if "follow_up.body" not in errors:
        from drip.domain.templates import validate

        for reason in validate(body, subject=subject or None):
            errors.setdefault("follow_up.body", reason)
    return {"after": after, "body": body, "channel": fchannel, "subject": subject or None}, errors


def follow_ons(kind: str, retry_after: str | None, follow_up: Mapping | None) -> list[tuple[str, int, str]]:
    """(purpose, attempt, delay after the step) of every delivery a step adds: its re-asks and its follow-up."""
    slots = []
    if kind == "quiz":
        slots += [("reask", attempt, str(delay)) for attempt, delay in reask_offsets(retry_after)]
    if follow_up and follow_up.get("after"):
        slots.append(("follow_up", 0, follow_up["after"]))
    return slots


def answered_right(answers, right: int | None) -> bool:
    """Whether the learner's first answer to some ask of a quiz was right (a later correction does not count)."""
    first: dict[int | None, int | None] = {}
    for answer in answers:
        if answer.kind == "quiz_answer":
            first.setdefault(answer.delivery_id, answer.choice_index)
    return right is not None and right in first.values()


def hold_reason(item: DeliveryToSend, facts: BatchFacts, now: datetime) -> tuple[str, str] | None:
    """Why a claimed re-ask or follow-up must not go out now (code, reason), or None to send it."""
    if item.purpose == "step":
        return None
    # Deleting a step or unenrolling withdraws these; one claimed meanwhile still must not go.
    if item.step_deleted_at is not None:
        return catalog.STEP_DELETED.code, catalog.STEP_DELETED.text
    if item.unenrolled_at is not None:
        return catalog.UNENROLLED.code, catalog.UNENROLLED.text
    asks = facts.asks.get((item.enrollment_id, item.step_id), [])
    if not any(purpose == "step" for purpose, _ in asks):
        return catalog.NOT_ASKED.code, catalog.NOT_ASKED.text
    # A re-ask counts from the last ask; a follow-up from the step itself.
    if item.purpose == "reask":
        delay, last = item.retry_after or DEFAULT_RETRY_AFTER, max(sent_at for _, sent_at in asks)
    else:
        delay, last = item.follow_up["after"], next(sent_at for purpose, sent_at in asks if purpose == "step")
    if item.due_at is not None and too_soon(last, item.due_at, delay):
        return catalog.PILED.code, catalog.PILED.text
    answers = facts.answers.get((item.step_id, item.learner_id), [])
    if item.purpose == "reask":
        return (
            (catalog.ANSWERED_RIGHT.code, catalog.ANSWERED_RIGHT.text) if answered_right(answers, item.answer) else None
        )
    if any(answer.kind in LEARNER_REPLY_KINDS for answer in answers):
        return catalog.ANSWERED.code, catalog.ANSWERED.text
    key = (item.session_id, item.learner_id)
    since = quiet_since([at for at in facts.session_asks.get(key, []) if at <= now], facts.last_reply.get(key))
    if since is not None:
        return catalog.QUIET.code, f"quiet since {since:%Y-%m-%d %H:%M} UTC: {catalog.QUIET.text}"
    return None

"""PATCH /replies/{id} and PATCH /questions/{id}: re-file an inbound text as another kind."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from drip.models import LiveQuestion
from drip.services.ownership import owned_reply
from drip.services.replies import refile, refile_reads
from drip.web.api.auth import current_trainer
from drip.web.api.engagement import apply_shared
from drip.web.api.errors import invalid_fields, not_found
from drip.web.api.operations import operation
from drip.web.api.activity_resources import QuestionOut, ReplyOut
from drip.web.api.schemas import Body, Id

Kind = Literal[refile.KINDS]


class RefileFields(Body):
    """Where the text goes: a kind, and for a vote or quiz answer the step and choice it answers."""

    step_id: Annotated[
        Id | None,
        Field(description="The step it answers (a poll for poll_vote, ...); defaults to the step it answered before."),
    ] = None
    choice_index: Annotated[
        int | None,
        Field(
            ge=0,
            le=99,
            description="0-based choice of a poll_vote or quiz_answer; defaults to the choice its text names.",
        ),
    ] = None


class ReplyPatch(RefileFields):
    """A change to a learner's reply: `kind` re-files it (live_question moves it onto the board), `shared` approves it."""

    kind: Kind | None = None
    shared: Annotated[
        bool | None,
        Field(
            description="Approve a discussion reply or practice report for the session's digests (false withdraws it)."
        ),
    ] = None
    session_id: Annotated[
        Id | None, Field(description="For a reply tied to no session yet: the session it goes to.")
    ] = None


class QuestionPatch(RefileFields):
    """`kind` re-files a live question as a reply of that kind (live_question changes nothing)."""

    kind: Kind


def _refiled(moved) -> QuestionOut | ReplyOut:
    return QuestionOut.of(moved) if isinstance(moved, LiveQuestion) else ReplyOut.of(moved)


def _refile_reply(reply, body: ReplyPatch):
    try:
        return refile.refile_reply(
            reply,
            body.kind,
            by=current_trainer(),
            step_id=body.step_id,
            choice_index=body.choice_index,
            session_id=body.session_id,
        )
    except refile.RefileInvalid as error:
        raise invalid_fields({error.field: str(error)}) from None


@operation(
    "PATCH",
    "/replies/<int:reply_id>",
    summary="Change a reply",
    body=ReplyPatch,
    response=ReplyOut,
    also={201: QuestionOut},
)
def patch_reply_api(reply_id: int, body: ReplyPatch):
    """Re-file a learner's reply with `{kind}` (and `step_id`, `choice_index` for a vote). Tallies follow.
    `{shared: true}` approves a discussion reply or practice report for its session's digests (a digest
    quotes only approved answers, never a private or opted-out learner's); `false` withdraws it.
    It stays a reply (200, the reply) or, with `live_question`, moves onto the session's board
    (201, the new question; the reply's id no longer exists). Every move is recorded."""
    reply = owned_reply(current_trainer(), reply_id)
    if reply is None:
        raise not_found("reply")
    if body.kind is None and body.shared is None:
        raise invalid_fields({"kind": "say what to change"})
    if body.shared is not None:
        apply_shared(reply, body.shared)
    if body.kind is None:
        return ReplyOut.of(reply)
    moved = _refile_reply(reply, body)
    return (_refiled(moved), 201) if isinstance(moved, LiveQuestion) else _refiled(moved)


@operation(
    "PATCH",
    "/questions/<int:question_id>",
    summary="Re-file a live question",
    body=QuestionPatch,
    response=QuestionOut,
    also={201: ReplyOut},
)
def patch_question_api(question_id: int, body: QuestionPatch):
    """Re-file a live question as a reply of `kind` (201, the new reply; it leaves the board at once),
    or keep it (`live_question`: 200, unchanged). PATCH /replies/{id} with `live_question` moves it back."""
    question = refile_reads.owned_question(current_trainer(), question_id)
    if question is None:
        raise not_found("question")
    try:
        moved = refile.refile_question(
            question, body.kind, by=current_trainer(), step_id=body.step_id, choice_index=body.choice_index
        )
    except refile.RefileInvalid as error:
        raise invalid_fields({error.field: str(error)}) from None
    return (_refiled(moved), 201) if not isinstance(moved, LiveQuestion) else _refiled(moved)

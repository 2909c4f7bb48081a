"""What happened in a session: deliveries, live questions, replies and poll results."""

from __future__ import annotations

from drip.services.pages import api_reads
from drip.services.pages.paging import CursorInvalid
from drip.web.api.operations import operation
from drip.web.api.paging import bad_cursor, links
from drip.services.media import shown
from drip.web.api.activity_resources import DeliveryOut, QuestionOut, ReplyOut
from drip.web.api.results import (
    OpenAnswer,
    WordCount,
    ChoiceResult,
    DeliveryList,
    PollResult,
    PollResultsOut,
    QuestionList,
    ReplyList,
)
from drip.web.api.schemas import DeliveriesQuery, PageQuery, RepliesQuery
from drip.web.api.sessions import owned_or_404


@operation(
    "GET",
    "/sessions/<int:session_id>/deliveries",
    summary="List deliveries",
    query=DeliveriesQuery,
    response=DeliveryList,
)
def list_deliveries_api(session_id: int, query: DeliveriesQuery) -> DeliveryList:
    """Every message scheduled for the session's learners, by due time: learner, step, channel,
    due_at, status, sent_at, provider message id and error. Filter with `status` and `step_id`."""
    ts = owned_or_404(session_id)
    try:
        page = api_reads.deliveries(
            ts, status=query.status, step_id=query.step_id, limit=query.limit, cursor=query.cursor
        )
    except CursorInvalid as error:
        raise bad_cursor(error) from None
    return DeliveryList(items=[DeliveryOut.of(d) for d in page.items], **links(page))


@operation(
    "GET", "/sessions/<int:session_id>/questions", summary="List live questions", query=PageQuery, response=QuestionList
)
def list_questions_api(session_id: int, query: PageQuery) -> QuestionList:
    """Questions learners texted while the session was live, in the order they came in, with the
    trainer's marks (answered, starred, hidden, approved)."""
    ts = owned_or_404(session_id)
    try:
        page = api_reads.questions(ts, limit=query.limit, cursor=query.cursor)
    except CursorInvalid as error:
        raise bad_cursor(error) from None
    return QuestionList(items=[QuestionOut.of(q) for q in page.items], **links(page))


@operation("GET", "/sessions/<int:session_id>/replies", summary="List replies", query=RepliesQuery, response=ReplyList)
def list_replies_api(session_id: int, query: RepliesQuery) -> ReplyList:
    """Practice reports, discussion replies, poll votes and unclassified replies from the session's
    learners, oldest first. Filter with `kind`."""
    ts = owned_or_404(session_id)
    try:
        page = api_reads.replies(ts, kind=query.kind, limit=query.limit, cursor=query.cursor)
    except CursorInvalid as error:
        raise bad_cursor(error) from None
    pictures = shown.pictures_for([r.inbound_message_id for r in page.items])
    return ReplyList(items=[ReplyOut.of(r, pictures.get(r.inbound_message_id)) for r in page.items], **links(page))


@operation("GET", "/sessions/<int:session_id>/poll-results", summary="Poll results", response=PollResultsOut)
def poll_results_api(session_id: int) -> PollResultsOut:
    """Votes per choice for each poll step of the session. Each learner's latest vote for a choice
    counts once; answers that matched no choice are counted as `unmatched`. Open polls (no choices)
    give their `answers` and `words` ([{word, count}], a word counted once per learner)."""
    ts = owned_or_404(session_id)
    polls = [
        PollResult(
            step_id=poll.step.id,
            sequence_id=poll.step.sequence_id,
            body=poll.step.body,
            choices=[
                ChoiceResult(index=i, number=i + 1, text=text, votes=poll.tally.counts[i])
                for i, text in enumerate(poll.tally.choices)
            ],
            votes=poll.tally.voters if poll.open is None else poll.open["voters"],
            unmatched=poll.unmatched if poll.open is None else 0,
            open=poll.open is not None,
            answers=None if poll.open is None else [OpenAnswer(**answer) for answer in poll.open["answers"]],
            words=None if poll.open is None else [WordCount(**word) for word in poll.open["words"]],
        )
        for poll in api_reads.poll_results(ts)
    ]
    return PollResultsOut(session_id=ts.id, polls=polls)

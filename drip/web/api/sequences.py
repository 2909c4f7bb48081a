"""POST/GET /sequences, GET /sequences/{id} and the starter payload."""

from __future__ import annotations

from drip.models import Sequence
from drip.services.pages import api_reads
from drip.services.ownership import owned
from drip.services.pages.paging import CursorInvalid
from drip.services.programs.sequences import SequenceInvalid, create_sequence
from drip.services.programs.starter import STARTER_NAME, starter_steps
from drip.services.programs.step_fields import AUTHORED, StepInput, fields_of
from drip.web.api.auth import current_trainer
from drip.web.api.errors import invalid_fields, not_found
from drip.web.api.operations import operation
from drip.web.api.paging import bad_cursor, links
from drip.web.api.resources import SequenceOut
from drip.web.api.results import SequenceList
from drip.web.api.schemas import FollowUpIn, PageQuery, SequenceIn, SendWindowIn, StepIn, as_time
from drip.web.api.translation_schemas import TranslationIn, dump


@operation("POST", "/sequences", summary="Create a sequence", body=SequenceIn, response=SequenceOut, status=201)
def create_sequence_api(body: SequenceIn) -> SequenceOut:
    """Create a sequence and its steps. Bodies and subjects are Jinja templates checked by rendering
    them with a sample learner: a template that does not render is refused with 422, naming the step."""
    steps = [
        StepInput(
            **fields_of(
                s,
                AUTHORED,
                local_time=as_time(s.local_time),
                follow_up=s.follow_up.model_dump() if s.follow_up else None,
                translations=dump(s.translations),
            )
        )
        for s in body.steps
    ]
    window = body.send_window.as_window() if body.send_window is not None else None
    try:
        sequence = create_sequence(
            current_trainer(),
            name=body.name,
            send_window=window,
            steps=steps,
            digest_by=body.digest_by,
            language=body.language,
        )
    except SequenceInvalid as error:
        raise invalid_fields(error.errors) from None
    return SequenceOut.of(sequence)


@operation("GET", "/sequences", summary="List sequences", query=PageQuery, response=SequenceList)
def list_sequences_api(query: PageQuery) -> SequenceList:
    """The token's trainer's sequences, oldest first, each with its steps."""
    try:
        page = api_reads.sequences(current_trainer(), limit=query.limit, cursor=query.cursor)
    except CursorInvalid as error:
        raise bad_cursor(error) from None
    return SequenceList(items=[SequenceOut.of(s) for s in page.items], **links(page))


@operation("GET", "/sequences/starter", summary="The starter sequence, ready to POST", response=SequenceIn)
def starter_sequence_api() -> SequenceIn:
    """The ready-made "Make training stick" sequence as a request body: POST it to /sequences as it
    is, or edit it first. Nothing is stored by this call."""
    steps = [
        StepIn(
            **fields_of(
                s,
                AUTHORED,
                local_time=s.local_time.strftime("%H:%M") if s.local_time else None,
                follow_up=FollowUpIn(**s.follow_up) if s.follow_up else None,
                translations={code: TranslationIn(**item) for code, item in s.translations.items()}
                if s.translations
                else None,
            )
        )
        for s in starter_steps()
    ]
    return SequenceIn(name=STARTER_NAME, send_window=SendWindowIn(start="08:00", end="21:00"), steps=steps)


@operation("GET", "/sequences/<int:sequence_id>", summary="Get a sequence", response=SequenceOut)
def get_sequence_api(sequence_id: int) -> SequenceOut:
    """One sequence with its steps in the order they go out."""
    sequence = owned(Sequence, sequence_id, current_trainer())
    if sequence is None:
        raise not_found("sequence")
    return SequenceOut.of(sequence)

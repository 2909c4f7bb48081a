"""POST/GET /sessions, GET/PATCH /sessions/{id}, POST /sessions/{id}/cancel."""

from __future__ import annotations

from collections.abc import Iterable

from drip.domain import cohort
from drip.models import TrainingSession, utcnow
from drip.services.pages import api_reads
from drip.services.ownership import owned
from drip.services.programs import sessions as sessions_service
from drip.services.pages.paging import CursorInvalid
from drip.web.api.auth import current_trainer
from drip.web.api.errors import ApiError, invalid_fields, not_found
from drip.web.api.operations import operation
from drip.web.api.paging import bad_cursor, links
from drip.web.api.resources import SessionOut
from drip.web.api.results import CancelledOut, SessionList
from drip.web.api.schemas import PageQuery, SessionIn, SessionPatch


def session_out(ts: TrainingSession, enrolled: int | None = None) -> SessionOut:
    """The response for one session, with its phase now."""
    if enrolled is None:
        enrolled = api_reads.enrolled_counts([ts.id])[ts.id]
    return SessionOut.of(ts, phase=sessions_service.session_phase(ts, utcnow()), enrolled=enrolled)


def owned_or_404(session_id: int) -> TrainingSession:
    """The token's trainer's session, or a 404 (also for another trainer's session)."""
    ts = owned(TrainingSession, session_id, current_trainer())
    if ts is None:
        raise not_found("session")
    return ts


def _require_sequences(sequence_ids: Iterable[int]) -> None:
    missing = api_reads.missing_sequences(current_trainer(), sequence_ids)
    if missing:
        raise ApiError(404, f"No sequence with the id(s) {', '.join(map(str, missing))}.")


def _cohort_page(body) -> cohort.Settings | None:
    if body is None:
        return None
    return cohort.Settings(publish=body.publish, days_after=body.days_after, slides_early=body.slides_early)


@operation(
    "POST", "/sessions", summary="Create a session", body=SessionIn, response=SessionOut, status=201, errors=(404,)
)
def create_session_api(body: SessionIn) -> SessionOut:
    """Create a session and attach sequences to it (404 when a sequence id is not the trainer's).
    Learners enrolled later get one delivery per step."""
    _require_sequences(body.sequence_ids)
    try:
        ts = sessions_service.create_session(
            current_trainer(),
            title=body.title,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            timezone=body.timezone,
            join_url=body.join_url,
            sequence_ids=list(dict.fromkeys(body.sequence_ids)),
            cohort_page=_cohort_page(body.cohort_page),
            moderation=body.moderation,
            slide_ids=body.slide_ids,
        )
    except sessions_service.SessionInvalid as error:
        raise invalid_fields(error.errors) from None
    return session_out(ts, enrolled=0)


@operation("GET", "/sessions", summary="List sessions", query=PageQuery, response=SessionList)
def list_sessions_api(query: PageQuery) -> SessionList:
    """The token's trainer's sessions, oldest first."""
    try:
        page = api_reads.sessions(current_trainer(), limit=query.limit, cursor=query.cursor)
    except CursorInvalid as error:
        raise bad_cursor(error) from None
    counts = api_reads.enrolled_counts(ts.id for ts in page.items)
    return SessionList(items=[session_out(ts, counts[ts.id]) for ts in page.items], **links(page))


@operation("GET", "/sessions/<int:session_id>", summary="Get a session", response=SessionOut)
def get_session_api(session_id: int) -> SessionOut:
    """One session: its times in its own time zone, phase, sequences and how many are enrolled."""
    return session_out(owned_or_404(session_id))


@operation(
    "PATCH",
    "/sessions/<int:session_id>",
    summary="Change a session",
    body=SessionPatch,
    response=SessionOut,
    errors=(409,),
)
def update_session_api(session_id: int, body: SessionPatch) -> SessionOut:
    """Change a session. Moving starts_at or ends_at reschedules every step not yet sent; changing
    sequence_ids replaces the attached sequences. A cancelled session cannot be changed (409)."""
    ts = owned_or_404(session_id)
    if ts.status == "cancelled":
        raise ApiError(409, "This session is cancelled and can no longer be changed.")
    if body.sequence_ids is not None:
        _require_sequences(body.sequence_ids)
    try:
        sessions_service.update_session(
            ts,
            title=body.title,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            timezone=body.timezone,
            join_url=body.join_url,
            sequence_ids=None if body.sequence_ids is None else list(dict.fromkeys(body.sequence_ids)),
            cohort_page=_cohort_page(body.cohort_page),
            moderation=body.moderation,
            slide_ids=body.slide_ids,
        )
    except sessions_service.SessionInvalid as error:
        raise invalid_fields(error.errors) from None
    return session_out(ts)


@operation("POST", "/sessions/<int:session_id>/cancel", summary="Cancel a session", response=CancelledOut)
def cancel_session_api(session_id: int) -> CancelledOut:
    """Cancel a session: every delivery not yet sent is skipped. Cancelling again changes nothing."""
    ts = owned_or_404(session_id)
    skipped = sessions_service.cancel_session(ts)
    base = session_out(ts)
    return CancelledOut(**base.model_dump(), skipped_deliveries=skipped)

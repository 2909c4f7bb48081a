"""/sessions/{id}/enrollments: enrol (all rows valid or nothing stored; enrolling again changes nothing) and list."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from pydantic import ValidationError
from drip.services.learners.upsert import LearnerInput, LearnerInvalid, validate_learner
from drip.services.programs.enrolment import EnrolmentRace, enrol_inputs
from drip.web.api.auth import current_trainer
from drip.web.api.errors import ApiError, field_name, invalid_rows, problems
from drip.web.api.operations import operation
from drip.services.cohort import roster
from drip.web.api.results import EnrolledLearnerOut, EnrolledRow, EnrollmentList, EnrollmentOut, EnrollmentsOut
from drip.web.api.schemas import EnrollmentsIn
from drip.web.api.sessions import owned_or_404


def _check(row: Mapping[str, Any]) -> LearnerInput:
    """One row as the learners service normalises it (E.164 phone, known time zone...)."""
    return validate_learner(row, default_region=current_app.config.get("DEFAULT_REGION", "US"))


def _explain(error: ValidationError) -> ApiError | None:
    """Word a body error as bad rows when every problem lies inside a row, checking the other rows too."""
    rows: dict[int, dict[str, str]] = {}
    for problem, detail in zip(problems(error), error.errors(include_url=False)):
        location = detail["loc"]
        if len(location) < 2 or location[0] != "learners" or not isinstance(location[1], int):
            return None
        rows.setdefault(location[1], {})[field_name(location[2:]) or "row"] = problem.message
    # The rows pydantic accepted may still hold a phone or email the learners service refuses.
    for index, row in enumerate(json.loads(request.get_data())["learners"]):
        if index not in rows:
            try:
                _check(row)
            except LearnerInvalid as invalid:
                rows[index] = invalid.errors
    return invalid_rows(rows)


def _checked_rows(body: EnrollmentsIn) -> list[LearnerInput]:
    checked, bad = [], {}
    for index, row in enumerate(body.learners):
        try:
            checked.append(_check(row.model_dump()))
        except LearnerInvalid as error:
            bad[index] = error.errors
    if bad:
        raise invalid_rows(bad)
    return checked


@operation(
    "POST",
    "/sessions/<int:session_id>/enrollments",
    summary="Enrol learners",
    body=EnrollmentsIn,
    response=EnrollmentsOut,
    status=201,
    also={200: EnrollmentsOut},
    errors=(409,),
    explain=_explain,
)
def enrol_learners_api(session_id: int, body: EnrollmentsIn) -> tuple[EnrollmentsOut, int]:
    """Enrol up to 1000 learners, each getting one delivery per step of the session's sequences.
    The same learner (same external_id, else phone, else email) is stored once and enrolled once:
    enrolling again changes nothing and the row says `already_enrolled`. Answers 201 when someone
    was newly enrolled, 200 when everyone already was. If any row is invalid, nothing is stored and
    the 422 lists each bad row by its 0-based index with an error per field."""
    ts = owned_or_404(session_id)
    try:
        learners, seen = enrol_inputs(current_trainer(), ts, _checked_rows(body), source="api")
    except EnrolmentRace:
        raise ApiError(
            409, "These learners were being enrolled by another call at the same time; send the request again."
        ) from None
    rows = []
    for index, (learner, created) in enumerate(learners):
        rows.append(
            EnrolledRow(
                index=index,
                learner_id=learner.id,
                external_id=learner.external_id,
                name=learner.name,
                status="already_enrolled" if learner.id in seen else "enrolled",
                learner_created=created,
            )
        )
        seen.add(learner.id)
    newly = sum(row.status == "enrolled" for row in rows)
    return EnrollmentsOut(enrolled=newly, already_enrolled=len(rows) - newly, learners=rows), 201 if newly else 200


@operation("GET", "/sessions/<int:session_id>/enrollments", summary="Enrolled learners", response=EnrollmentList)
def list_enrollments_api(session_id: int) -> EnrollmentList:
    """Each learner enrolled in the session: `learner` (id, external_id, name, language), `state` (as in
    engagement), `cohort_url` (their personal cohort page link) and `cohort_views` (how many times they
    opened it)."""
    ts = owned_or_404(session_id)
    return EnrollmentList(
        items=[
            EnrollmentOut(
                learner=EnrolledLearnerOut(
                    id=row.learner.id,
                    external_id=row.learner.external_id,
                    name=row.learner.name,
                    language=row.learner.language,
                ),
                state=row.state,
                cohort_url=row.cohort_url or None,
                cohort_views=row.cohort_views,
            )
            for row in roster.enrolled(ts, current_app.config)
        ]
    )

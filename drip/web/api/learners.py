"""Learners' data rights through the API: export everything held about one learner, or erase them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from drip.models import Learner
from drip.services.learners import rights as learner_rights
from drip.web.api.auth import current_trainer
from drip.web.api.errors import not_found
from drip.web.api.operations import operation


class LearnerExport(BaseModel):
    """Everything Drip holds about a learner: their details, enrolments, messages, replies, questions, opt-outs, and `records`: every row of every table holding their data."""

    learner: dict[str, Any]
    enrollments: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    replies: list[dict[str, Any]]
    live_questions: list[dict[str, Any]]
    inbound_messages: list[dict[str, Any]]
    opt_outs: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]]


class ErasedOut(BaseModel):
    """An erased learner: the id stays (counts keep it), personal data and texts are gone."""

    id: int
    erased_at: str
    skipped_deliveries: int


def _owned(learner_id: int) -> Learner:
    learner = learner_rights.find_learner(current_trainer().id, learner_id)
    if learner is None:
        raise not_found("learner")
    return learner


@operation("GET", "/learners/<int:learner_id>/export", summary="Export a learner's data", response=LearnerExport)
def export_learner_api(learner_id: int) -> LearnerExport:
    """Everything Drip holds about the learner, as JSON; recorded in the trainer's audit log."""
    return LearnerExport(**learner_rights.export_learner(_owned(learner_id), via="api"))


@operation("DELETE", "/learners/<int:learner_id>", summary="Erase a learner", response=ErasedOut)
def erase_learner_api(learner_id: int) -> ErasedOut:
    """Erase the learner's personal data and texts; counts stay, an opt-out survives as a hash.
    Messages not yet sent are skipped. Erasing again changes nothing. Recorded in the audit log."""
    learner = _owned(learner_id)
    skipped = 0 if learner.erased_at else learner_rights.erase_learner(learner, via="api")
    return ErasedOut(id=learner.id, erased_at=learner.erased_at.isoformat(), skipped_deliveries=skipped)

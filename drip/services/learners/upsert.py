"""Learners: checking what a trainer typed or imported, and storing it once per person."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from drip.database import any_of
from drip.extensions import db
from drip.models import Learner, Trainer, utcnow
from drip.domain.learners import (
    FIELDS,
    LearnerInput,
    LearnerInvalid,
    known_timezone,
    normalise_email,
    normalise_phone,
    validate_learner,
)
from drip.domain.learner_csv import MAX_CSV_ROWS, CsvError, CsvPreview, CsvRow, decode_upload, parse_csv
from drip.services.learners import suppression

__all__ = [
    "FIELDS",
    "LearnerInput",
    "LearnerInvalid",
    "validate_learner",
    "known_timezone",
    "normalise_phone",
    "normalise_email",
    "parse_csv",
    "decode_upload",
    "CsvPreview",
    "CsvRow",
    "CsvError",
    "MAX_CSV_ROWS",
    "upsert_learners",
    "add_learner",
]
_LOOKUP_CHUNK = 500  # keeps IN (...) lists well under every database's parameter limit


_GIVEN = ("phone", "email", "timezone", "external_id", "language")  # replaced only when the input has one


def take_given(learner, item: LearnerInput) -> bool:
    """Copy what the input gives onto a learner (a row or a stored one); whether its number is new.

    Only what was given replaces what is stored: an import without emails keeps known emails."""
    learner.name = item.name
    new_number = bool(item.phone) and item.phone != learner.phone
    for key in _GIVEN:
        if getattr(item, key):
            setattr(learner, key, getattr(item, key))
    return new_number


def _existing(trainer: Trainer, inputs: list[LearnerInput]) -> list[Learner]:
    """The trainer's learners sharing an external id, phone or email with any input."""
    found: dict[int, Learner] = {}
    for column, attribute in ((Learner.external_id, "external_id"), (Learner.phone, "phone"), (Learner.email, "email")):
        keys = sorted({getattr(i, attribute) for i in inputs if getattr(i, attribute)})
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            query = select(Learner).where(
                Learner.trainer_id == trainer.id, any_of(column, keys[start : start + _LOOKUP_CHUNK])
            )
            for learner in db.session.scalars(query):
                found[learner.id] = learner
    return sorted(found.values(), key=lambda learner: learner.id)


class _Index:
    """Finds the stored learner an input means: same external id, else same phone, else same email."""

    def __init__(self, learners: Iterable[Learner]):
        self.by = {"external_id": {}, "phone": {}, "email": {}}
        for learner in learners:
            self.add(learner)

    def add(self, learner: Learner) -> None:
        for key, table in self.by.items():
            value = getattr(learner, key)
            if value:
                table.setdefault(value, learner)

    def match(self, item: LearnerInput) -> Learner | None:
        if item.external_id:
            learner = self.by["external_id"].get(item.external_id)
            if learner is not None:
                return learner
        for key in ("phone", "email"):
            learner = self.by[key].get(getattr(item, key)) if getattr(item, key) else None
            # A different external id means a different person, even on a shared phone.
            if learner is not None and not (item.external_id and learner.external_id):
                return learner
        return None


def add_learner(trainer: Trainer, item: LearnerInput) -> tuple[Learner, bool]:
    """Store one learner a trainer typed in (an existing one with the same phone, email or id is updated); commits."""
    [(learner, created)] = upsert_learners(trainer, [item])
    db.session.commit()
    return learner, created


def upsert_learners(trainer: Trainer, inputs: Iterable[LearnerInput]) -> list[tuple[Learner, bool]]:
    """Create or update each learner of `trainer`; flushes but does not commit (the caller owns the transaction)."""
    items = list(inputs)
    index = _Index(_existing(trainer, items))
    results: list[tuple[Learner, bool]] = []
    renumbered: list[Learner] = []
    for item in items:
        learner = index.match(item)
        created = learner is None
        if learner is None:
            learner = Learner(trainer_id=trainer.id, name=item.name)
            db.session.add(learner)
        new_number = take_given(learner, item)
        index.add(learner)
        results.append((learner, created))
        if new_number and not created:
            renumbered.append(learner)
    suppression.apply_to([learner for learner, created in results if created] + renumbered, utcnow())
    db.session.flush()
    return results

"""Storing many learners at once (a CSV import): plain rows instead of ORM objects, a fixed number of
statements however many learners.

Matches inputs to stored learners as `upsert.upsert_learners` does (same external id, else same
phone, else same email; a different external id is someone else) and applies the same opt-outs,
then inserts the new learners in one multi-row INSERT (ids returned in input order) and updates
only the columns an input changed on the others. A 10,000-row file made 10,000 Learner objects,
flushed by the unit of work: 1.5 s of CPU before any row was stored (bench/README.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from drip.database import any_of, insert_rows, next_ids
from drip.extensions import db
from drip.models import Learner, Trainer, utcnow
from drip.services.learners import suppression
from drip.services.learners.upsert import LearnerInput, _Index, _LOOKUP_CHUNK, take_given

__all__ = ["StoredLearner", "store_learners"]

# Everything matching and the opt-out rules read or write; an input never changes the rest.
_FIELDS = (
    "name",
    "external_id",
    "phone",
    "email",
    "timezone",
    "language",
    "sms_opted_out_at",
    "email_opted_out_at",
)


class StoredLearner:
    """A learner as a plain row: what enrolment and the import's counts need."""

    __slots__ = ("id", "trainer_id", *_FIELDS)

    def __init__(self, id: int | None, trainer_id: int, **values):
        self.id, self.trainer_id = id, trainer_id
        for field in _FIELDS:
            setattr(self, field, values.get(field))

    def values(self) -> tuple:
        """The stored fields, in _FIELDS order."""
        return tuple(getattr(self, field) for field in _FIELDS)


def _existing(trainer: Trainer, inputs: list[LearnerInput]) -> list[StoredLearner]:
    """The trainer's learners sharing an external id, phone or email with any input, as rows."""
    columns = [Learner.id, *(getattr(Learner, field) for field in _FIELDS)]
    found: dict[int, StoredLearner] = {}
    whole = db.engine.dialect.name == "postgresql"  # one array parameter, however many keys
    for column, attribute in ((Learner.external_id, "external_id"), (Learner.phone, "phone"), (Learner.email, "email")):
        keys = sorted({getattr(i, attribute) for i in inputs if getattr(i, attribute)})
        step = max(len(keys), 1) if whole else _LOOKUP_CHUNK
        for start in range(0, len(keys), step):
            query = select(*columns).where(Learner.trainer_id == trainer.id, any_of(column, keys[start : start + step]))
            for row in db.session.execute(query):
                if row.id not in found:
                    found[row.id] = StoredLearner(row.id, trainer.id, **dict(zip(_FIELDS, row[1:])))
    return sorted(found.values(), key=lambda learner: learner.id)


def store_learners(
    trainer: Trainer,
    inputs: Iterable[LearnerInput],
    *,
    chunk: int = 500,
    progress: Callable[[int], object] | None = None,
) -> list[tuple[StoredLearner, bool]]:
    """Create or update each learner of `trainer` as upsert_learners does, without ORM objects; does not commit.

    The new learners are inserted `chunk` at a time, `progress(learners stored so far)` after each."""
    items = list(inputs)
    db.session.flush()  # the statements below must see what the caller's session holds
    known = _existing(trainer, items)
    before = {learner.id: learner.values() for learner in known}
    index = _Index(known)
    results: list[tuple[StoredLearner, bool]] = []
    new: list[StoredLearner] = []
    renumbered: list[StoredLearner] = []
    for item in items:
        learner = index.match(item)
        created = learner is None
        if learner is None:
            learner = StoredLearner(None, trainer.id)
            new.append(learner)
        new_number = take_given(learner, item)
        index.add(learner)
        results.append((learner, created))
        if new_number and not created:
            renumbered.append(learner)
    now = utcnow()
    suppression.apply_to(new + renumbered, now)
    _update(known, before)
    stored = len(items) - len(new)
    for start in range(0, len(new), chunk):
        _insert(new[start : start + chunk], now)
        if progress is not None:
            progress(stored + min(start + chunk, len(new)))
    return results


def _insert(new: list[StoredLearner], now: datetime) -> None:
    if not new:
        return
    rows = [
        {"trainer_id": learner.trainer_id, "created_at": now, **dict(zip(_FIELDS, learner.values()))} for learner in new
    ]
    if db.engine.dialect.name == "postgresql":
        # Ids from the table's sequence first, then one COPY: a multi-row INSERT of 500 learners is a
        # 5,000-parameter statement psycopg parses in Python, 0.1 s each (bench/README.md).
        ids = next_ids(Learner, len(new))
        for learner, row, learner_id in zip(new, rows, ids):
            learner.id = row["id"] = learner_id
        insert_rows(Learner, rows)
        return
    table = Learner.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for learner, learner_id in zip(new, db.session.execute(statement, rows).scalars()):
        learner.id = learner_id


def _update(known: list[StoredLearner], before: dict[int, tuple]) -> None:
    """One executemany per set of changed columns: a column an input left alone is never written."""
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for learner in known:
        now = learner.values()
        changed = tuple(field for field, old, new in zip(_FIELDS, before[learner.id], now) if old != new)
        if changed:
            groups[changed].append({"learner_id": learner.id, **{f"new_{f}": getattr(learner, f) for f in changed}})
    for changed, rows in groups.items():
        statement = (
            update(Learner.__table__)
            .where(Learner.__table__.c.id == bindparam("learner_id"))
            .values({field: bindparam(f"new_{field}") for field in changed})
        )
        db.session.execute(statement, rows)

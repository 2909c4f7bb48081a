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

__all__ = ["LearnerStore", "StoredLearner", "store_learners"]

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


def _existing(trainer: Trainer, inputs: list[LearnerInput], skip: set[int]) -> list[StoredLearner]:
    """The trainer's learners sharing an external id, phone or email with any input (those in `skip`
    left out), as rows."""
    columns = [Learner.id, *(getattr(Learner, field) for field in _FIELDS)]
    found: dict[int, StoredLearner] = {}
    whole = db.engine.dialect.name == "postgresql"  # one array parameter, however many keys
    for column, attribute in ((Learner.external_id, "external_id"), (Learner.phone, "phone"), (Learner.email, "email")):
        keys = sorted({getattr(i, attribute) for i in inputs if getattr(i, attribute)})
        step = max(len(keys), 1) if whole else _LOOKUP_CHUNK
        for start in range(0, len(keys), step):
            query = select(*columns).where(Learner.trainer_id == trainer.id, any_of(column, keys[start : start + step]))
            for row in db.session.execute(query):
                if row.id not in found and row.id not in skip:
                    found[row.id] = StoredLearner(row.id, trainer.id, **dict(zip(_FIELDS, row[1:])))
    return sorted(found.values(), key=lambda learner: learner.id)


class _RankedIndex(_Index):
    """_Index's answers when the stored learners arrive chunk by chunk: a stored learner outranks what
    the file made or changed, and a lower id another stored one, as if all had been indexed first."""

    def __init__(self):
        super().__init__([])
        self.ranks: dict[tuple[str, str], tuple[int, int]] = {}
        self.made = 0

    def add_stored(self, learner: StoredLearner) -> None:
        """Index a learner as the database held it before the import."""
        self._put(learner, (0, learner.id))

    def add(self, learner) -> None:
        """Index a learner the file made or changed (only keys no one holds yet)."""
        self.made += 1
        self._put(learner, (1, self.made))

    def _put(self, learner, rank: tuple[int, int]) -> None:
        for key, table in self.by.items():
            value = getattr(learner, key)
            if value and rank < self.ranks.get((key, value), (2, 0)):
                table[value] = learner
                self.ranks[key, value] = rank


class LearnerStore:
    """Stores a file's learners a chunk at a time, in the caller's transaction, with the same outcome as
    storing them all at once: new learners are inserted with each chunk; a stored learner an input
    changes is written, and its opt-outs applied, only by `finish` (a later row may change it again).

    A learner inserted with an earlier chunk and matched again later is updated by `finish` too; only
    its opt-out may then come from the address it was inserted with (a checked file never does this:
    no two of its rows share an id, a phone or an email)."""

    def __init__(self, trainer: Trainer):
        db.session.flush()  # the statements below must see what the caller's session holds
        self.trainer = trainer
        self.now = utcnow()
        self.index = _RankedIndex()
        self.seen: set[int] = set()  # ids of every learner indexed
        self.known: list[StoredLearner] = []
        self.before: dict[int, tuple] = {}
        self.renumbered: list[StoredLearner] = []
        self.inserted: dict[int, tuple] = {}  # learners this store inserted: their values as inserted

    def add(self, inputs: Iterable[LearnerInput]) -> list[tuple[StoredLearner, bool]]:
        """Match and store these inputs (new learners inserted now); (learner, created) in input order."""
        items = list(inputs)
        for learner in _existing(self.trainer, items, self.seen):
            self.before[learner.id] = learner.values()
            self.known.append(learner)
            self.seen.add(learner.id)
            self.index.add_stored(learner)
        results: list[tuple[StoredLearner, bool]] = []
        new: list[StoredLearner] = []
        for item in items:
            learner = self.index.match(item)
            created = learner is None
            if learner is None:
                learner = StoredLearner(None, self.trainer.id)
                new.append(learner)
            elif learner.id in self.inserted and learner.id not in self.before:
                self.before[learner.id] = self.inserted[learner.id]
                self.known.append(learner)
            new_number = take_given(learner, item)
            self.index.add(learner)
            results.append((learner, created))
            if new_number and not created:
                self.renumbered.append(learner)
        suppression.apply_to(new, self.now)
        _insert(new, self.now)
        for learner in new:
            self.inserted[learner.id] = learner.values()
        self.seen.update(learner.id for learner in new)
        return results

    def finish(self) -> None:
        """Write what the inputs changed on stored learners."""
        suppression.apply_to(self.renumbered, self.now)
        _update(self.known, self.before)


def store_learners(
    trainer: Trainer,
    inputs: Iterable[LearnerInput],
    *,
    chunk: int = 500,
    progress: Callable[[int], object] | None = None,
) -> list[tuple[StoredLearner, bool]]:
    """Create or update each learner of `trainer` as upsert_learners does, without ORM objects; does not commit.

    The learners are stored `chunk` at a time, `progress(inputs stored so far)` after each."""
    items = list(inputs)
    store = LearnerStore(trainer)
    results: list[tuple[StoredLearner, bool]] = []
    for start in range(0, len(items), chunk):
        results += store.add(items[start : start + chunk])
        if progress is not None:
            progress(len(results))
    store.finish()
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

"""Storing learners once per person: an upsert on the database (moved from tests/unit, which stays pure)."""

from __future__ import annotations

import pytest

from drip.services.learners.bulk import store_learners
from drip.services.learners.upsert import LearnerInput, upsert_learners

# The same rules whether one learner is stored (ORM objects) or a file of them (plain rows, imports).
both = pytest.mark.parametrize("upsert_learners", [upsert_learners, store_learners], ids=["orm", "bulk"])


@both
def test_upsert_creates_then_updates_the_same_person(app, trainer, upsert_learners):
    from drip.extensions import db

    first = upsert_learners(
        trainer, [LearnerInput("Ana", "+12015550123", None), LearnerInput("Bo", None, "bo@example.com")]
    )
    db.session.commit()
    assert [created for _, created in first] == [True, True]
    again = upsert_learners(
        trainer,
        [
            LearnerInput("Ana Lima", "+12015550123", "ana@example.com"),
            LearnerInput("Bo", None, "bo@example.com", "UTC"),
        ],
    )
    db.session.commit()
    assert [created for _, created in again] == [False, False]
    ana, bo = again[0][0], again[1][0]
    assert (ana.id, ana.name, ana.email) == (first[0][0].id, "Ana Lima", "ana@example.com")
    assert bo.timezone == "UTC"


@both
def test_external_id_wins_and_differs_means_someone_else(app, trainer, upsert_learners):
    from drip.extensions import db

    [(ana, _)] = upsert_learners(trainer, [LearnerInput("Ana", "+12015550123", None, external_id="A1")])
    [(same, created)] = upsert_learners(trainer, [LearnerInput("Ana L", "+12015550124", None, external_id="A1")])
    assert same.id == ana.id and not created and same.phone == "+12015550124"
    # A shared phone with a different external id is a different person (a family phone).
    [(other, created)] = upsert_learners(trainer, [LearnerInput("Kid", "+12015550124", None, external_id="A2")])
    assert created and other.id != ana.id
    db.session.commit()


@both
def test_duplicates_in_one_call_make_one_learner(app, trainer, upsert_learners):
    results = upsert_learners(trainer, [LearnerInput("Ana", "+12015550123"), LearnerInput("Ana L", "+12015550123")])
    assert results[0][0] is results[1][0] and [c for _, c in results] == [True, False]


@both
def test_another_trainers_learners_are_never_matched(app, trainer, upsert_learners):
    from drip.services import accounts

    other = accounts.create_trainer("other@example.com", "another long password", "Otto")
    [(mine, _)] = upsert_learners(trainer, [LearnerInput("Ana", "+12015550123")])
    [(theirs, created)] = upsert_learners(other, [LearnerInput("Ana", "+12015550123")])
    assert created and theirs.id != mine.id and theirs.trainer_id == other.id


def test_bulk_rows_read_back_as_stored_learners(app, trainer):
    from drip.extensions import db
    from drip.models import Learner

    stored = store_learners(
        trainer,
        [
            LearnerInput("Ana", "+12015550123", "ana@example.com", "Europe/Paris", "A1", "es"),
            LearnerInput("Bo", None, "bo@example.com"),
        ],
        chunk=1,
    )
    db.session.commit()
    rows = {learner.id: learner for learner in db.session.scalars(db.select(Learner))}
    assert sorted(rows) == sorted(learner.id for learner, _ in stored)
    ana, bo = rows[stored[0][0].id], rows[stored[1][0].id]
    assert (ana.trainer_id, ana.name, ana.phone, ana.email, ana.timezone, ana.external_id, ana.language) == (
        trainer.id,
        "Ana",
        "+12015550123",
        "ana@example.com",
        "Europe/Paris",
        "A1",
        "es",
    )
    assert (bo.phone, bo.timezone, bo.sms_opted_out_at) == (None, None, None)
    assert ana.unsubscribe_token and bo.unsubscribe_token and ana.unsubscribe_token != bo.unsubscribe_token
    assert ana.created_at is not None


def test_bulk_writes_only_what_an_input_changed(app, trainer):
    """A re-import changing nothing writes nothing; a change writes that column only (a STOP stored
    meanwhile in another column is never overwritten with what was read before it)."""
    from sqlalchemy import event

    from drip.extensions import db

    store_learners(trainer, [LearnerInput("Ana", "+12015550123", "ana@example.com", external_id="A1")])
    db.session.commit()
    updates: list[str] = []
    listen = lambda *args: updates.append(args[2]) if args[2].lstrip().upper().startswith("UPDATE") else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        [(same, created)] = store_learners(trainer, [LearnerInput("Ana", "+12015550123", None, external_id="A1")])
        assert not created and same.email == "ana@example.com" and updates == []
        store_learners(trainer, [LearnerInput("Ana Lima", None, None, external_id="A1")])
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    db.session.commit()
    [statement] = updates
    assert "name" in statement and "phone" not in statement and "opted_out" not in statement

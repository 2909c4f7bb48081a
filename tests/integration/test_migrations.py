"""The migrations build the schema the models describe, server defaults included."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from drip.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_poll_words_migration_counts_the_answers_already_given(app_config, tmp_path):
    from flask_migrate import downgrade, upgrade

    from drip import create_app
    from drip.domain import word_cloud
    from drip.models import OpenPollWord, Reply
    from drip.services import accounts
    from drip.services.board import poll_words
    from tests.support.inbound_factory import make_learner, make_session, make_step

    old = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'before.db'}"})
    with old.app_context():
        upgrade(revision="i21_server_defaults")
        trainer = accounts.create_trainer("old@example.com", "correct horse battery", "Old Trainer")
        ts, poll = make_session(trainer), make_step(trainer, "poll")
        chosen = make_step(trainer, "poll", choices=["Yes", "No"])
        ada, bo = make_learner(trainer, "Ada L"), make_learner(trainer, "Bo C", phone="+14155550102")
        said = [(ada, poll, "Practice, practice!"), (ada, poll, "more PRACTICE"), (bo, poll, "practice feedback")]
        said += [(None, poll, "feedback from a stranger"), (bo, chosen, "Yes practice")]
        db.session.add_all(
            Reply(
                session_id=ts.id, step_id=step.id, learner_id=who and who.id, kind="poll_vote", channel="sms", body=body
            )
            for who, step, body in said
        )
        db.session.commit()
        upgrade()
        raw = [(r.learner_id or -r.id, r.body) for r in db.session.query(Reply).filter_by(step_id=poll.id)]
        assert poll_words.counted(ts.id, poll.id) == word_cloud.cloud(raw)
        assert db.session.query(OpenPollWord).filter_by(voter=ada.id, word="practice").one().answers == 2
        assert db.session.query(OpenPollWord).filter_by(step_id=chosen.id).count() == 0  # a poll with choices
        downgrade(revision="i21_server_defaults")
        db.session.remove()
        db.engine.dispose()


def test_the_delivery_keys_migration_keeps_every_row_and_checks_enrolment_session_and_learner_at_once(
    app_config, tmp_path
):
    import pytest
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select, text
    from sqlalchemy.exc import IntegrityError

    from drip import create_app
    from drip.models import Delivery, Learner, Reply, utcnow
    from drip.services import accounts
    from tests.support.inbound_factory import make_learner, make_reply, make_session, make_step, sent_delivery

    def counts():
        deliveries = db.session.scalar(select(func.count()).select_from(Delivery))
        pointed = db.session.scalar(select(func.count()).select_from(Reply).where(Reply.delivery_id.is_not(None)))
        return deliveries, pointed

    old = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'before.db'}"})
    with old.app_context():
        upgrade(revision="i24_poll_words")
        trainer = accounts.create_trainer("old@example.com", "correct horse battery", "Old Trainer")
        ts, step = make_session(trainer), make_step(trainer, "practice")
        ada, bo = make_learner(trainer, "Ada L"), make_learner(trainer, "Bo C", phone="+14155550102")
        for learner in (ada, bo):
            delivery = sent_delivery(ts, learner, step, provider_message_id=f"SM-{learner.id}")
            make_reply(ts, learner, step, "Noted", delivery_id=delivery.id)
        ada_id, ts_id, other_id, step_id = ada.id, ts.id, make_session(trainer, title="Another").id, step.id
        db.session.remove()
        upgrade()
        # SQLite rebuilt the table: the replies pointing at it kept their deliveries.
        assert counts() == (2, 2)
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        enrolment, learner_id = db.session.execute(
            select(Delivery.enrollment_id, Delivery.learner_id).where(Delivery.learner_id == ada_id)
        ).one()
        wrong = dict(enrollment_id=enrolment, step_id=step_id, channel="sms", due_at=utcnow(), status="scheduled")
        for session_id, learner in ((other_id, learner_id), (ts_id, learner_id + 1)):
            db.session.add(Delivery(**wrong, session_id=session_id, learner_id=learner, attempt=9))
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
        db.session.delete(db.session.get(Learner, ada_id))  # through the enrolment
        db.session.commit()
        assert counts() == (1, 1)
        downgrade(revision="i24_poll_words")
        assert counts() == (1, 1)
        db.session.remove()
        db.engine.dispose()


# A plausible value for a NOT NULL column of the first schema, by name, then by type.
_FIRST_RELEASE_VALUES = {
    "channel": "sms",
    "status": "scheduled",
    "kind": "discussion",
    "anchor": "start",
    "offset": "PT0S",
    "if_late": "send",
    "source": "csv",
    "timezone": "UTC",
    "action": "stop",
}


def _a_row(table) -> dict:
    from datetime import datetime

    from sqlalchemy import JSON, Boolean, DateTime, Integer

    row = {}
    for column in table.columns:
        if column.nullable and not column.primary_key and not column.foreign_keys:
            continue
        if column.name in _FIRST_RELEASE_VALUES:
            row[column.name] = _FIRST_RELEASE_VALUES[column.name]
        elif isinstance(column.type, Integer):
            row[column.name] = 1  # the one row of every table, so every key points at it
        elif isinstance(column.type, DateTime):
            row[column.name] = datetime(2026, 1, 5, 9, 0)
        elif isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, JSON):
            row[column.name] = {}
        else:
            row[column.name] = f"{table.name}-{column.name}"[: getattr(column.type, "length", None) or 200]
    return row


def test_an_sqlite_install_of_the_first_release_keeps_every_row_through_every_migration(app_config, tmp_path):
    """SQLite rebuilds a table to change its constraints; with foreign keys on, dropping the old table
    would delete what points at it (a session's enrolments and deliveries). Migrations run with them off."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, func, select

    from drip import create_app

    old = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'first.db'}"})
    with old.app_context():
        upgrade(revision="cd14907ba832")
        first = MetaData()
        first.reflect(bind=db.engine)
        tables = [t for t in first.sorted_tables if t.name != "alembic_version"]
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(table.insert(), _a_row(table))
        upgrade()
        now = MetaData()
        now.reflect(bind=db.engine)
        with db.engine.connect() as connection:
            counts = {t.name: connection.scalar(select(func.count()).select_from(now.tables[t.name])) for t in tables}
        assert counts == {t.name: 1 for t in tables}
        assert {"training_sessions", "enrollments", "deliveries"} <= set(counts)
        db.session.remove()
        db.engine.dispose()

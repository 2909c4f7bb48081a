"""Finding 2: opted-out addresses of erased learners were kept as unsalted SHA-256, reversible by enumeration."""

from __future__ import annotations

from sqlalchemy import text

from drip.domain.address_hash import address_hash, key_from, plain_hash
from drip.extensions import db
from drip.models import SuppressedAddress, Trainer, utcnow
from drip.services.learners import suppression
from drip.services.learners.upsert import LearnerInput, upsert_learners

PHONE = "+14155550101"


def test_a_stored_hash_is_keyed_so_trying_every_number_finds_nothing(app):
    suppression.suppress("sms", PHONE, utcnow())
    db.session.commit()
    [row] = db.session.scalars(db.select(SuppressedAddress)).all()
    assert row.address_hash != plain_hash("sms", PHONE)  # what an attacker with the table could compute
    assert row.address_hash == address_hash("sms", PHONE, key_from(app.config))
    assert address_hash("sms", PHONE, key_from({"SECRET_KEY": "another deployment"})) != row.address_hash
    assert suppression.is_suppressed("sms", PHONE) and not suppression.is_suppressed("sms", "+14155550102")


def test_its_own_setting_keys_it_when_set():
    assert key_from({"SUPPRESSION_KEY": "k1", "SECRET_KEY": "s"}) == b"k1"
    assert key_from({"SECRET_KEY": "s"}) != key_from({"SECRET_KEY": "t"})


def test_the_migration_rekeys_existing_plain_hashes(app_config, tmp_path):
    from flask_migrate import upgrade

    from drip import create_app

    config = {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"}
    old = create_app(config)
    with old.app_context():
        upgrade(revision="i12_lurker")
        with db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO suppressed_addresses (channel, address_hash, created_at) VALUES ('sms', :h, :t)"),
                {"h": plain_hash("sms", PHONE), "t": utcnow().replace(tzinfo=None)},
            )
        upgrade()
        assert suppression.is_suppressed("sms", PHONE)
        trainer_id = db.session.execute(
            text(
                "INSERT INTO trainers (email, name, password_hash, contact_line, is_operator, session_version, "
                "created_at) VALUES ('t@example.com', 'T', 'x', '', 0, 1, :t) RETURNING id"
            ),
            {"t": utcnow().replace(tzinfo=None)},
        ).scalar_one()
        trainer = db.session.get(Trainer, trainer_id)
        [(again, created)] = upsert_learners(trainer, [LearnerInput("Ada", PHONE, None)])
        assert created and again.sms_opted_out_at is not None
        db.session.remove()
        db.engine.dispose()

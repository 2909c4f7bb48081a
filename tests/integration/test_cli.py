"""`flask drip` commands."""
from sqlalchemy import select

from drip.extensions import db
from drip.models import ApiToken, Trainer
from drip.services import accounts


def test_create_trainer_and_token(runner):
    result = runner.invoke(args=["drip", "create-trainer", "Ann@Example.com", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    trainer = db.session.scalar(select(Trainer))
    assert trainer.email == "ann@example.com"
    assert trainer.password_hash != "s3cret-pass"

    result = runner.invoke(args=["drip", "create-token", "ann@example.com"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("drip_")
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash
    assert accounts.trainer_for_token(token).id == trainer.id
    assert accounts.trainer_for_token(token + "x") is None


def test_create_trainer_twice_is_refused(runner):
    runner.invoke(args=["drip", "create-trainer", "ann@example.com", "--password", "s3cret-pass"])
    result = runner.invoke(args=["drip", "create-trainer", "ann@example.com", "--password", "other-pass"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_create_token_for_unknown_trainer(runner):
    result = runner.invoke(args=["drip", "create-token", "nobody@example.com"])
    assert result.exit_code != 0
    assert "No trainer" in result.output

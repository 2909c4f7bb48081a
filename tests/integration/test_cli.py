"""`flask drip` commands."""

from sqlalchemy import select

from drip.extensions import db
from drip.models import ApiToken, Trainer
from drip.services import accounts


def test_create_trainer_and_token(runner):
    result = runner.invoke(args=["drip", "create-trainer", "Ann@Example.com", "--password", "plum tractor velvet"])
    assert result.exit_code == 0, result.output
    trainer = db.session.scalar(select(Trainer))
    assert trainer.email == "ann@example.com"
    assert trainer.password_hash != "plum tractor velvet"

    result = runner.invoke(args=["drip", "create-token", "ann@example.com"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("drip_")
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash
    assert accounts.trainer_for_token(token).id == trainer.id
    assert accounts.trainer_for_token(token + "x") is None


def test_create_trainer_twice_is_refused(runner):
    runner.invoke(args=["drip", "create-trainer", "ann@example.com", "--password", "plum tractor velvet"])
    result = runner.invoke(args=["drip", "create-trainer", "ann@example.com", "--password", "other-pass"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_create_token_for_unknown_trainer(runner):
    result = runner.invoke(args=["drip", "create-token", "nobody@example.com"])
    assert result.exit_code != 0
    assert "No trainer" in result.output


def test_dispatch_hands_due_deliveries_to_the_queue(runner, trainer):
    from datetime import timedelta

    from sqlalchemy import update

    from drip.models import Delivery, utcnow
    from drip.queues import send_queue
    from drip.services.programs.enrolment import enrol
    from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session

    session_row = make_session(trainer, [make_sequence(trainer, ["PT0S", "P1D"])], utcnow() + timedelta(hours=2))
    enrol(session_row, make_learners(trainer, 3))
    first_step = min(d.step_id for d in deliveries())
    db.session.execute(update(Delivery).where(Delivery.step_id == first_step).values(due_at=utcnow()))
    db.session.commit()

    result = runner.invoke(args=["drip", "dispatch"])
    assert result.exit_code == 0, result.output
    assert "3 handed to workers" in result.output
    assert sorted(d.status for d in deliveries()) == ["queued"] * 3 + ["scheduled"] * 3
    assert send_queue().count == 1  # one job for the whole batch

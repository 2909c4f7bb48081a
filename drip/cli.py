"""`flask drip ...` commands for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from drip.services import accounts

drip_cli = AppGroup("drip", help="Drip administration.")


@drip_cli.command("create-trainer")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.password_option("--password", help="Prompted when omitted.")
@click.option("--operator", is_flag=True, help="Runs the deployment: sees its secrets in Settings.")
def create_trainer(email: str, name: str, password: str, operator: bool) -> None:
    """Create a trainer account (an operator with --operator)."""
    try:
        trainer = accounts.create_trainer(email, password, name, operator=operator)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {'operator' if operator else 'trainer'} {trainer.email}")


@drip_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to tell tokens apart.")
def create_token(email: str, name: str) -> None:
    """Print a new API token for a trainer."""
    trainer = accounts.find_trainer(email)
    if trainer is None:
        raise click.ClickException(f"No trainer with the email {email}")
    click.echo(accounts.create_token(trainer, name))


@drip_cli.command("seed-demo")
def seed_demo() -> None:
    """Create the demo trainer, starter sequence and a session (once)."""
    from drip.services.programs.demo import seed

    try:
        for line in seed():
            click.echo(line)
    except accounts.AccountError as error:  # the only password given from outside: DRIP_DEMO_PASSWORD
        raise click.ClickException(f"The demo password (DRIP_DEMO_PASSWORD) is refused: {error}") from error


@drip_cli.command("reset-demo")
def reset_demo() -> None:
    """Bring the demo back to its start (only the demo trainer's data is removed)."""
    from drip.services.programs.demo import reset

    for line in reset():
        click.echo(line)


@drip_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (tests).")
def worker(burst: bool) -> None:
    """Run an RQ worker that also runs the scheduler and the dispatcher (`kill -USR1` prints its threads)."""
    import faulthandler
    import signal

    from drip.worker import run_worker

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # where a stuck worker is stuck, on stderr
    run_worker(burst=burst)


@drip_cli.command("dispatch")
def dispatch() -> None:
    """Run one recovery pass and one dispatch tick now (workers do this on their own)."""
    from drip.services.delivery.dispatch import dispatch_due
    from drip.services.delivery.recovery import recover

    recovered = recover()
    handed = dispatch_due()
    click.echo(f"{recovered.unknown} marked unknown, {recovered.rescheduled} queued again, {handed} handed to workers")


def init_app(app: Flask) -> None:
    """Register the `flask drip` commands."""
    app.cli.add_command(drip_cli)

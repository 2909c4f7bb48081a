"""Sessions that end, login throttling that holds under concurrency, password strength (findings 5, 6, 11)."""

from __future__ import annotations

import threading

import pytest

from drip import create_app
from drip.services import accounts
from drip.services.login_throttle import ADDRESS, PAIR
from tests.conftest import csrf_token, login

PASSWORD = "correct horse battery"


def _copy_of_cookie(client):
    return client.get_cookie("session").value


def _status_with_cookie(app, value, path: str = "/", method: str = "GET", data=None) -> int:
    """A request from another browser holding this cookie (its own app context: no shared g or identity map)."""
    with app.app_context():
        other = app.test_client()
        other.set_cookie("session", value)
        return other.open(path, method=method, data=data).status_code


def test_an_old_cookie_is_dead_after_sign_out(app, client, trainer):
    login(client)
    stolen = _copy_of_cookie(client)
    assert _status_with_cookie(app, stolen) == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert _status_with_cookie(app, stolen) == 302
    assert _status_with_cookie(app, stolen, "/settings/") == 302
    # Nor can it mint an API token.
    assert _status_with_cookie(app, stolen, "/settings/tokens", "POST", {"name": "mine"}) in (302, 400)
    assert len(accounts.find_trainer(trainer.email).tokens) == 0


def test_a_password_change_ends_every_session(app, client, trainer):
    login(client)
    stolen = _copy_of_cookie(client)
    accounts.change_password(trainer, PASSWORD, "plum tractor velvet")
    assert _status_with_cookie(app, stolen) == 302
    with pytest.raises(accounts.AccountError):
        accounts.change_password(trainer, "not it", "another plum tractor")
    with pytest.raises(accounts.AccountError):
        accounts.change_password(trainer, "plum tractor velvet", "password")
    assert _attempt(app, trainer.email, "plum tractor velvet", "192.0.2.1") == 302


def test_cookies_are_secure_when_served_over_https(app_config, _migrated):
    https = create_app({**app_config, "PUBLIC_BASE_URL": "https://drip.example.org"})
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    assert create_app(app_config).config["SESSION_COOKIE_SECURE"] is False


def test_concurrent_wrong_passwords_get_only_five_checks(app, trainer):
    results: list[accounts.LoginResult] = []
    start = threading.Barrier(24)
    email = trainer.email

    def guess():
        with app.app_context():
            start.wait()
            results.append(accounts.authenticate(email, "wrong guess", "203.0.113.9"))

    threads = [threading.Thread(target=guess) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 24
    assert sum(1 for r in results if r.retry_after == 0) == PAIR.attempts
    assert accounts.authenticate(email, PASSWORD, "203.0.113.9").trainer is None  # locked for this address


def _attempt(app, email, password, address):
    with app.app_context():
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return login(client, email, password).status_code


def test_unknown_emails_answer_like_known_ones(app, trainer):
    known = [_attempt(app, trainer.email, "wrong guess", "198.51.100.1") for _ in range(PAIR.attempts + 1)]
    unknown = [_attempt(app, "nobody@example.com", "wrong guess", "198.51.100.1") for _ in range(PAIR.attempts + 1)]
    assert known == unknown == [401] * PAIR.attempts + [429]


def test_a_stranger_cannot_lock_the_trainer_out(app, trainer):
    for _ in range(PAIR.attempts + 1):
        _attempt(app, trainer.email, "wrong guess", "198.51.100.7")
    assert _attempt(app, trainer.email, PASSWORD, "198.51.100.7") == 429
    assert _attempt(app, trainer.email, PASSWORD, "192.0.2.44") == 302  # the trainer, elsewhere


def test_one_address_spraying_many_emails_is_throttled(app, trainer):
    codes = [_attempt(app, f"user{i}@example.com", "wrong guess", "198.51.100.9") for i in range(ADDRESS.attempts + 1)]
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
    assert _attempt(app, trainer.email, PASSWORD, "192.0.2.45") == 302


@pytest.mark.parametrize("weak", ["password", " " * 8, "aaaaaaaaaaaa", "new@example.com", "short"])
def test_weak_passwords_are_refused(app, weak):
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_trainer("new@example.com", weak)
    assert "password" in str(refused.value).lower() or "characters" in str(refused.value)
    assert accounts.find_trainer("new@example.com") is None


def test_the_operator_flag_is_set_from_the_cli(runner):
    result = runner.invoke(
        args=["drip", "create-trainer", "ops@example.com", "--operator", "--password", "plum tractor velvet"]
    )
    assert result.exit_code == 0, result.output
    assert accounts.find_trainer("ops@example.com").is_operator


def test_successful_sign_ins_from_one_address_do_not_use_up_its_allowance(app):
    from werkzeug.security import generate_password_hash

    from drip.extensions import db
    from drip.models import Trainer

    shared = generate_password_hash("plum tractor velvet")  # one hash for all: the test is about counting
    db.session.add_all(
        Trainer(email=f"t{n}@example.com", name=f"T{n}", password_hash=shared) for n in range(ADDRESS.attempts + 5)
    )
    db.session.commit()
    codes = [
        _attempt(app, f"t{n}@example.com", "plum tractor velvet", "198.51.100.20") for n in range(ADDRESS.attempts + 5)
    ]
    assert set(codes) == {302}

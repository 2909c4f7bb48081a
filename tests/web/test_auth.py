"""Login, logout, the login wall and CSRF."""

from sqlalchemy import func, select

from drip.extensions import db
from drip.models import Trainer
from tests.conftest import csrf_token, login


def test_admin_page_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_login_with_right_password_reaches_dashboard(client, trainer):
    response = login(client)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Hello Tess Trainer" in page.get_data(as_text=True)


def test_wrong_password_is_refused(client, trainer):
    response = login(client, password="wrong password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_account(client, trainer):
    for _ in range(5):
        login(client, password="wrong password")
    response = login(client)  # even the right password is refused while locked
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, trainer):
    response = client.post("/login", data={"email": trainer.email, "password": "correct horse battery"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Trainer)) == 1


def test_logout_needs_post_with_csrf(logged_in):
    assert logged_in.post("/logout").status_code == 400
    assert logged_in.get("/").status_code == 200
    response = logged_in.post("/logout", data={"csrf_token": csrf_token(logged_in, "/")})
    assert response.status_code == 302
    assert logged_in.get("/").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client, trainer):
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": trainer.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_unknown_page_renders_404_in_layout(logged_in):
    response = logged_in.get("/no-such-page")
    assert response.status_code == 404
    assert "Not Found" in response.get_data(as_text=True)
    assert "navbar" in response.get_data(as_text=True)

"""GET /healthz names what is down."""

from drip import create_app
from drip.extensions import db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(app_config, _migrated):
    # A port nothing listens on stands for a stopped Redis.
    app = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/healthz")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["down"] == ["redis"]
    assert body["checks"]["database"] == "ok"

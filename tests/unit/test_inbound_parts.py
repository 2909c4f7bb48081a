"""Pure pieces of the inbound side: the projector's anonymous copy, CSV cells, the webhook token."""

from __future__ import annotations

from drip.services.board.stream import anonymous
from drip.services.inbound.receive import sms_webhook_token
from drip.services.replies.export import _cell


def test_the_projector_copy_has_no_name_and_no_hidden_text():
    shown = anonymous({"id": 1, "body": "Why?", "learner_name": "Ada", "hidden": False})
    hidden = anonymous({"id": 2, "body": "rude", "learner_name": "Bob", "hidden": True})
    assert shown == {"id": 1, "body": "Why?", "hidden": False}
    assert hidden == {"id": 2, "body": "", "hidden": True}


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    assert [_cell(v) for v in ("=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "fine", None, 3)] == [
        "'=1+1",
        "'+44 20",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "fine",
        "",
        "3",
    ]


def test_the_webhook_token_is_stable_per_secret_key():
    config = {"SMS_PROVIDER": "outbox", "SECRET_KEY": "abc", "TWILIO_AUTH_TOKEN": ""}
    assert sms_webhook_token(config) == sms_webhook_token(dict(config))

"""The ingest baseline: a trivial Flask app answering the webhook paths (empty TwiML, 204) (the ceiling)."""

from __future__ import annotations

from flask import Flask, Response

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def create_app() -> Flask:
    """An app with the same webhook paths and /healthz, doing no work at all."""
    app = Flask(__name__)

    @app.post("/webhooks/twilio/sms")
    def twilio_sms():
        return Response(EMPTY_TWIML, mimetype="application/xml")

    @app.post("/webhooks/twilio/status")
    def twilio_status():
        return "", 204

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app

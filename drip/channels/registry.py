"""Which channel sends SMS and which sends email, chosen by configuration, one instance per process."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask, current_app

from drip.channels.base import Channel
from drip.domain import catalog
from drip.channels.outbox import OutboxChannel

_lock = threading.Lock()
log = logging.getLogger(__name__)


class ChannelNotConfigured(RuntimeError):
    """A provider is selected but its credentials or sender are missing."""


def _twilio(config: dict[str, Any]) -> Channel:
    from drip.channels.twilio_sms import TwilioSms

    missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not config.get(k)]
    if not (config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
        missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise ChannelNotConfigured(f"SMS provider twilio needs {', '.join(missing)}")
    return TwilioSms(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        from_number=config.get("TWILIO_FROM_NUMBER") or None,
        messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        api_base=config.get("TWILIO_API_BASE") or "https://api.twilio.com",
        timeout=float(config.get("PROVIDER_TIMEOUT_SECONDS") or 10),
    )


def _sendgrid(config: dict[str, Any]) -> Channel:
    from drip.channels.sendgrid_email import SendGridEmail

    missing = [k for k in ("SENDGRID_API_KEY", "SENDGRID_FROM_EMAIL") if not config.get(k)]
    if missing:
        raise ChannelNotConfigured(f"email provider sendgrid needs {', '.join(missing)}")
    return SendGridEmail(
        config["SENDGRID_API_KEY"],
        config["SENDGRID_FROM_EMAIL"],
        api_host=config.get("SENDGRID_API_HOST") or "https://api.sendgrid.com",
        timeout=float(config.get("PROVIDER_TIMEOUT_SECONDS") or 10),
    )


# Channels beyond SMS and email: name -> a builder taking the app's config (see register()).
_BUILDERS: dict[str, Any] = {}


def register(name: str, builder) -> None:
    """Make channel `name` (a row of domain/catalog.CHANNELS) send through `builder(config)`'s Channel."""
    _BUILDERS[name] = builder


def unregister(name: str) -> None:
    """Forget a registered channel (tests that added one)."""
    _BUILDERS.pop(name, None)


def _build(kind: str, app: Flask) -> Channel:
    config = app.config
    if kind in _BUILDERS:
        return _BUILDERS[kind](config)
    provider = config.get("SMS_PROVIDER" if kind == "sms" else "EMAIL_PROVIDER") or "outbox"
    if provider == "outbox":
        return OutboxChannel(kind, app.extensions["drip_outbox_record"])
    if kind == "sms" and provider == "twilio":
        return _twilio(config)
    if kind == "email" and provider == "sendgrid":
        return _sendgrid(config)
    raise ChannelNotConfigured(f"unknown {kind} provider {provider!r}")


def _cache(app: Flask) -> dict[str, Any]:
    cache = app.extensions.get("drip_channels") or app.extensions.setdefault(
        "drip_channels", {"pid": os.getpid(), "channels": {}}
    )
    if cache["pid"] != os.getpid():
        # A forked child must not share the parent's pooled sockets: start afresh.
        cache["pid"], cache["channels"] = os.getpid(), {}
    return cache["channels"]


def channel_for(kind: str) -> Channel:
    """The channel for "sms", "email" or a registered one: the provider when configured, else the outbox."""
    if catalog.channel(kind) is None:
        raise ValueError(f"channel must be one of {', '.join(catalog.names(catalog.CHANNELS))} (got {kind!r})")
    app = current_app._get_current_object()
    channels = _cache(app)
    channel = channels.get(kind)
    if channel is None:
        with _lock:  # one pooled client per process, even when many sending threads ask at once
            channel = channels.get(kind)
            if channel is None:
                channel = channels[kind] = _build(kind, app)
    return channel


def warm_channels(app: Flask) -> None:
    """Build the SMS and email channels now (a worker starting), not in the first batch's sending threads:
    importing and building twilio's client is most of a second of CPU. A channel not configured stays
    unbuilt, and its sends fail as they always have."""
    with app.app_context():
        for kind in ("sms", "email"):
            try:
                channel_for(kind)
            except ChannelNotConfigured as error:
                log.warning("%s channel not built at start: %s", kind, error)


def sender_key(kind: str) -> str | None:
    """Who a provider sees as the sender (rate limits are per sending number); None for the outbox."""
    channel = channel_for(kind)
    if catalog.channel(kind).rate_limited and not isinstance(channel, OutboxChannel):
        return getattr(channel, "from_number", None) or getattr(channel, "messaging_service_sid", None)
    return None


def close_channels(app: Flask | None = None) -> None:
    """Close the pooled provider clients of this process (worker shutdown, tests)."""
    app = app or current_app._get_current_object()
    channels = _cache(app)
    with _lock:
        for channel in channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
        channels.clear()

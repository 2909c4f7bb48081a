"""The one place environment variables are read."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from dotenv import load_dotenv

DEFAULT_TO = "+15005550006"  # Twilio's magic test number: the "Drip number" when none is configured


def default_public_base_url(env: Mapping[str, str]) -> str:
    """The URL the web process answers on when PUBLIC_BASE_URL is unset: it follows PORT."""
    return f"http://127.0.0.1:{env.get('PORT') or '5000'}"


def instance_path() -> Path:
    """Where SQLite, the generated secret key and the embedded Valkey live."""
    return Path(os.environ.get("DRIP_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def _secret_key(folder: Path) -> str:
    """Return SECRET_KEY, generating it into instance/ on first run so restarts keep sessions."""
    key_file = folder / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _default_database_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'drip.db'}"


def _normalise_database_url(url: str) -> str:
    """Accept the postgres:// URLs PaaS hosts hand out and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def cohort_reader_processes() -> int:
    """gunicorn workers that serve the cohort page besides WEB_CONCURRENCY's (DRIP_COHORT_READER_PROCESSES, 1).
    gunicorn's master reads it (drip/reader_processes.py), before any app exists."""
    load_dotenv(override=False)
    raw = os.environ.get("DRIP_COHORT_READER_PROCESSES", "1").strip()
    if not raw.isdigit():
        raise SystemExit(
            f"DRIP_COHORT_READER_PROCESSES must be a whole number (0 serves readers in the web workers): {raw!r}"
        )
    return int(raw)


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the app configuration from the environment (and `.env`), then apply overrides."""
    load_dotenv(override=False)
    env = os.environ
    folder = instance_path()
    twilio_sid = env.get("TWILIO_ACCOUNT_SID", "")
    sendgrid_key = env.get("SENDGRID_API_KEY", "")
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(folder),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(env.get("DATABASE_URL") or _default_database_url(folder)),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or default_public_base_url(env)).rstrip("/"),
        "SMS_PROVIDER": env.get("DRIP_SMS_PROVIDER") or ("twilio" if twilio_sid else "outbox"),
        "EMAIL_PROVIDER": env.get("DRIP_EMAIL_PROVIDER") or ("sendgrid" if sendgrid_key else "outbox"),
        "TWILIO_ACCOUNT_SID": twilio_sid,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER", ""),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        "TWILIO_API_BASE": env.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/"),
        "SENDGRID_API_KEY": sendgrid_key,
        "SENDGRID_FROM_EMAIL": env.get("SENDGRID_FROM_EMAIL", ""),
        "SENDGRID_API_HOST": env.get("SENDGRID_API_HOST", "https://api.sendgrid.com").rstrip("/"),
        "SENDGRID_INBOUND_SECRET": env.get("SENDGRID_INBOUND_SECRET", ""),
        "SENDGRID_EVENT_PUBLIC_KEY": env.get("SENDGRID_EVENT_PUBLIC_KEY", ""),
        "INBOUND_EMAIL_DOMAIN": env.get("DRIP_INBOUND_EMAIL_DOMAIN", ""),
        "SMS_RATE": float(env.get("DRIP_SMS_RATE", "1")),
        "DEFAULT_REGION": env.get("DRIP_DEFAULT_REGION", "US").upper(),
        # Links in step bodies go out as /l/ tracked links, so reading can be measured.
        "TRACK_LINKS": env.get("DRIP_TRACK_LINKS", "1").strip().lower() not in ("0", "false", "no", "off"),
        # How long a delivery may stay `sending` before we call it `unknown`: longer
        # than a send with all its retries can take.
        "SENDING_LEASE_SECONDS": float(env.get("DRIP_SENDING_LEASE_SECONDS", "300")),
        "DISPATCH_INTERVAL_SECONDS": float(env.get("DRIP_DISPATCH_INTERVAL", "0.5")),
        "DISPATCH_BATCH_SIZE": int(env.get("DRIP_DISPATCH_BATCH_SIZE", "200")),
        "SEND_CONCURRENCY": int(env.get("DRIP_SEND_CONCURRENCY", "64")),
        # Seconds to wait for Twilio or SendGrid to answer one request before it counts as a timeout
        # (then retried); channel_for passes it to the provider clients.
        "PROVIDER_TIMEOUT_SECONDS": float(env.get("DRIP_PROVIDER_TIMEOUT", "10")),
        # How often each worker looks for deliveries left `sending` or `queued` by a dead worker or lost job.
        "RECOVERY_INTERVAL_SECONDS": float(env.get("DRIP_RECOVERY_INTERVAL", "5")),
        # simple: jobs run in the worker process (threads, pooled connections); fork: RQ's work horse per job.
        "WORKER_CLASS": env.get("DRIP_WORKER_CLASS", "simple"),
        # Bearer token of GET /metrics; unset, /metrics answers 404.
        # A request body that sends nothing for this long is given up (408): slow clients keep no slot.
        "BODY_IDLE_SECONDS": float(env.get("DRIP_BODY_TIMEOUT", "5")),
        # Cohort-page requests (/c/...) let into each web process at once; the others wait their turn up to
        # COHORT_READER_WAIT seconds, then answer 503 with Retry-After. 0 lets them all in (no gate).
        "COHORT_READER_SLOTS": int(env.get("DRIP_COHORT_READER_SLOTS", "2")),
        "COHORT_READER_WAIT": float(env.get("DRIP_COHORT_READER_WAIT", "5")),
        "COHORT_READER_RETRY_AFTER": int(env.get("DRIP_COHORT_READER_RETRY_AFTER", "5")),
        # Keys the hashes of erased learners' opted-out addresses; unset, derived from SECRET_KEY.
        "SUPPRESSION_KEY": env.get("DRIP_SUPPRESSION_KEY", ""),
        "METRICS_TOKEN": env.get("DRIP_METRICS_TOKEN", ""),
        # How long a worker holds stored webhooks it claimed; a killed worker's claims expire after it.
        "WEBHOOK_LEASE_SECONDS": float(env.get("DRIP_WEBHOOK_LEASE_SECONDS", "10")),
        "DEMO_MINUTES_PER_DAY": float(env.get("DRIP_DEMO_MINUTES_PER_DAY", "1")),
        # JSON API calls allowed per token in each window of seconds; 0 turns the limit off.
        "API_RATE_LIMIT": int(env.get("DRIP_API_RATE_LIMIT", "120")),
        "API_RATE_WINDOW": float(env.get("DRIP_API_RATE_WINDOW", "60")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }
    if overrides:
        config.update(overrides)
    # Over HTTPS the cookies never travel in the clear (a test or proxy may still set them itself).
    https = str(config["PUBLIC_BASE_URL"]).lower().startswith("https://")
    config.setdefault("SESSION_COOKIE_SECURE", https)
    config.setdefault("REMEMBER_COOKIE_SECURE", https)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = env.get("SECRET_KEY") or _secret_key(Path(config["INSTANCE_PATH"]))
    return config


def sms_number(config: Mapping[str, Any]) -> str:
    """The number learners text: the Twilio sender, the phone simulator's in outbox mode, else empty."""
    if config.get("TWILIO_FROM_NUMBER"):
        return config["TWILIO_FROM_NUMBER"]
    if config.get("SMS_PROVIDER") == "outbox":
        return DEFAULT_TO  # the simulator owns the pretend number
    return ""  # a Messaging Service picks the sender from its pool: no single number to print

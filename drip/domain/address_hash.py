"""Hashes of opted-out addresses that outlive an erased learner: keyed, so a phone number cannot be found by trying them all."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def plain_hash(channel: str, address: str) -> str:
    """SHA-256 of the normalised address (E.164 phone, lower-case email): the unkeyed first stage."""
    value = address.strip().lower() if channel == "email" else address.strip()
    return hashlib.sha256(f"{channel}:{value}".encode()).hexdigest()


def keyed(plain: str, key: bytes) -> str:
    """The stored form: an HMAC-SHA-256 of the plain hash (so stored plain hashes can be re-keyed)."""
    return hmac.digest(key, plain.encode(), "sha256").hex()  # one call: an import hashes 20,000 addresses


def key_from(config: Mapping) -> bytes:
    """The key: DRIP_SUPPRESSION_KEY when set, else derived from SECRET_KEY."""
    if own := str(config.get("SUPPRESSION_KEY") or ""):
        return own.encode()
    secret = str(config.get("SECRET_KEY") or "")
    if not secret:
        raise RuntimeError("SECRET_KEY or DRIP_SUPPRESSION_KEY is needed to hash opted-out addresses")
    return hmac.new(secret.encode(), b"drip suppressed addresses", hashlib.sha256).digest()


def address_hash(channel: str, address: str, key: bytes) -> str:
    """The stored hash of one address."""
    return keyed(plain_hash(channel, address), key)

"""Tracked links: finding URLs in a message, signed /l/ tokens, and telling scanners from learners."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from drip.domain.words import say

# The same shape compose.text_to_html links, minus trailing punctuation a sentence puts after a URL.
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_SIGNATURE_CHARS = 12  # base32: 60 bits, unguessable yet short enough for an SMS, and never a "-"
# A link followed this soon after the message went out, without a cookie, is a mail or SMS scanner.
SCANNER_DELAY = timedelta(seconds=10)
SCANNER_AGENTS = (
    "bot",
    "crawler",
    "spider",
    "preview",
    "scanner",
    "proofpoint",
    "mimecast",
    "barracuda",
    "safelinks",
    "urldefense",
    "facebookexternalhit",
    "whatsapp",
    "slackbot",
    "twitterbot",
    "skypeuripreview",
    "googleimageproxy",
    "yahoomailproxy",
    "headlesschrome",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
)


def learners_urls(texts: Iterable[str | None]) -> frozenset[str]:
    """The URLs inside learners' words a message quotes (digest answers, testimonials, names)."""
    return frozenset(url for text in texts if text for url in URL.findall(text))


def is_learners(url: str, theirs: frozenset[str]) -> bool:
    """Whether a URL found in a rendered message is (part of) one a learner wrote: it goes out as text."""
    return any(own in url or url in own for own in theirs)


def rewrite(text: str, tracked: Callable[[str], str], theirs: frozenset[str] = frozenset()) -> str:
    """The text with every http(s) URL of the trainer's replaced by tracked(url); learners' URLs stay text."""
    return URL.sub(lambda m: m.group(0) if is_learners(m.group(0), theirs) else tracked(m.group(0)), text)


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _signature(secret: str, payload: str, purpose: str) -> str:
    mac = hmac.new(secret.encode(), f"drip {purpose} {payload}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode().lower()[:_SIGNATURE_CHARS]


def token(secret: str, delivery_id: int, link_id: int, purpose: str = "link") -> str:
    """The /l/ token naming one link of one delivery, signed so no one can forge another's."""
    payload = f"{_b36(delivery_id)}-{_b36(link_id)}"
    return f"{payload}-{_signature(secret, payload, purpose)}"


def parse_token(secret: str, value: str, purpose: str = "link") -> tuple[int, int] | None:
    """(delivery_id, link_id) of a genuine token (signed for this purpose), else None."""
    # Mail clients and our own HTML part may take a sentence's full stop into the link: it is never part of it.
    value = value.rstrip(".,;:!?)]'\"")
    parts = value.split("-")
    if len(value) > 60 or len(parts) != 3 or not all(parts):
        return None
    payload = f"{parts[0]}-{parts[1]}"
    if not hmac.compare_digest(_signature(secret, payload, purpose), parts[2]):
        return None
    try:
        return int(parts[0], 36), int(parts[1], 36)
    except ValueError:
        return None


def scanner_flag(
    *, method: str, user_agent: str, has_cookie: bool, sent_at: datetime | None, now: datetime
) -> str | None:
    """Why a click looks like a link scanner or a preview (kept, never counted as a read); None for a person."""
    if method.upper() == "HEAD":
        return "head"
    agent = (user_agent or "").lower()
    if not agent or any(marker in agent for marker in SCANNER_AGENTS):
        return "scanner_agent"
    if not has_cookie and sent_at is not None and now - sent_at < SCANNER_DELAY:
        return "too_soon"
    return None


PRIVATE = "private"  # the purpose of a privacy link's token


def privacy_line(base_url: str, secret: str, delivery_id: int, language: str = "en") -> str:
    """The line of a discussion or practice email that lets the learner keep their answer private."""
    value = token(secret, delivery_id, 0, PRIVATE)
    link = f"{base_url.rstrip('/')}/p/{value}"
    return say(language, "Rather not have your answer shared with the group? %(link)s", link=link)

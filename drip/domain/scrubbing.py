"""Removing one person's data from stored JSON (webhook payloads, provider events) without breaking its shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Keys of provider payloads that carry a person's address, words, device or location, whoever it is.
PERSONAL_KEYS = frozenset(
    {
        "from",
        "to",
        "body",
        "email",
        "envelope",
        "headers",
        "html",
        "text",
        "subject",
        "ip",
        "useragent",
        "user_agent",
        "url",
        "fromcity",
        "fromstate",
        "fromzip",
        "fromcountry",
        "tocity",
        "tostate",
        "tozip",
        "tocountry",
        "sender_ip",
        "attachment-info",
    }
)
MIN_QUOTE = 8  # shorter texts ("yes", "2") are too common to hunt for in other people's data


def needles(identifiers: Iterable[str | None], texts: Iterable[str | None] = ()) -> list[str]:
    """What identifies one person, folded for matching: their addresses and name, and their longer texts."""
    found = {value.strip().casefold() for value in identifiers if value and value.strip()}
    found |= {value.strip().casefold() for value in identifiers if value and value.startswith("+")}
    found |= {value.strip().lstrip("+") for value in identifiers if value and value.startswith("+")}
    found |= {" ".join(text.split()).casefold() for text in texts if text and len(text.strip()) >= MIN_QUOTE}
    return sorted(value for value in found if value)


def mentions(value: str, wanted: list[str]) -> bool:
    """Whether a text contains any of the person's identifiers or texts."""
    folded = " ".join(value.split()).casefold()
    return any(needle in folded for needle in wanted)


def scrub(value: Any, wanted: list[str]) -> Any:
    """The JSON value without personal keys, and with every string that mentions the person emptied."""
    if isinstance(value, dict):
        return {key: scrub(item, wanted) for key, item in value.items() if str(key).casefold() not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [scrub(item, wanted) for item in value]
    if isinstance(value, str) and mentions(value, wanted):
        return ""
    return value


def unquote(text: str, quotes: list[str], placeholder: str = "[erased]") -> str:
    """The text with each of these quotes (a person's words, quoted to others) replaced by a placeholder."""
    for quote in sorted(quotes, key=len, reverse=True):
        if len(quote) >= MIN_QUOTE and quote in text:
            text = text.replace(quote, placeholder)
    return text

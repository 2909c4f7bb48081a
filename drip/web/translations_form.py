"""The step form's language tabs: a step's `translations` as form fields ("tr-es-body") and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drip.domain.languages import SUPPORTED

# The parts of a step a tab translates, as the form names them (follow-up parts flattened).
PARTS = ("body", "subject", "choices", "explain", "follow_body", "follow_subject")
MAX_FIELD = 20_000


def field_name(code: str, part: str) -> str:
    """The form field of one part of one language's tab, e.g. "tr-es-body"."""
    return f"tr-{code}-{part}"


def from_step(translations: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """The tabs' values for a stored step's translations, all as text."""
    tabs = {}
    for code, item in (translations or {}).items():
        follow = item.get("follow_up") or {}
        tabs[code] = {
            "body": item.get("body") or "",
            "subject": item.get("subject") or "",
            "choices": "\n".join(item.get("choices") or []),
            "explain": item.get("explain") or "",
            "follow_body": follow.get("body") or "",
            "follow_subject": follow.get("subject") or "",
        }
    return tabs


def from_request(form: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The tabs as submitted; a language whose fields are all empty is left out."""
    tabs = {}
    for code in SUPPORTED:
        values = {part: str(form.get(field_name(code, part), ""))[:MAX_FIELD] for part in PARTS}
        if any(value.strip() for value in values.values()):
            tabs[code] = values
    return tabs


def to_input(tabs: Mapping[str, Mapping[str, str]], *, email: bool) -> dict[str, dict] | None:
    """The step's `translations` as the sequences service checks them (what a tab leaves empty is left out)."""
    translations = {}
    for code, values in tabs.items():
        item: dict[str, Any] = {"body": values.get("body", "")}
        if email and values.get("subject", "").strip():
            item["subject"] = values["subject"]
        choices = [line.strip() for line in values.get("choices", "").splitlines() if line.strip()]
        if choices:
            item["choices"] = choices
        if values.get("explain", "").strip():
            item["explain"] = values["explain"]
        if values.get("follow_body", "").strip():
            item["follow_up"] = {"body": values["follow_body"]}
            if values.get("follow_subject", "").strip():
                item["follow_up"]["subject"] = values["follow_subject"]
        translations[code] = item
    return translations or None

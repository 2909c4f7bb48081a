"""A step in other languages: checking its `translations`, and picking the text a learner reads.

`translations` is {"es": {"body", "subject"?, "choices"?, "explain"?, "follow_up"?: {"body",
"subject"?}}, …} (DESIGN.md, "Step fields"). Checked like the step itself, field by field, so a
translation never fails at send time; a learner without one gets the step's own text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from drip.domain import templates
from drip.domain.languages import SUPPORTED, primary

MAX_CHOICE = 200
MAX_EXPLAIN = 500
_FIELDS = frozenset({"body", "subject", "choices", "explain", "follow_up"})


@dataclass(frozen=True)
class StepShape:
    """What of a step a translation may translate: its shape (text or email), choices, quiz, follow-up."""

    sms: bool
    choices: Sequence[str] | None = None
    quiz: bool = False
    follow_up: Mapping[str, Any] | None = None


def _text(value: Any) -> str:
    return value.strip("\n").replace("\r\n", "\n") if isinstance(value, str) else ""


def _body(value: Any, subject: str | None, *, sms: bool, where: str, errors: dict[str, str]) -> str:
    body = _text(value)
    for reason in templates.validate(body, subject=subject, sms=sms):
        key = f"{where}.subject" if reason.startswith("Subject: ") else f"{where}.body"
        errors.setdefault(key, reason.removeprefix("Subject: "))
    return body


def _choices(value: Any, shape: StepShape, where: str, errors: dict[str, str]) -> list[str] | None:
    if value is None:
        return None
    if not shape.choices:
        errors[f"{where}.choices"] = "only polls and quizzes with choices have choices to translate"
        return None
    items = [c.strip() for c in value if isinstance(c, str)] if isinstance(value, list) else []
    if len(items) != len(shape.choices) or not all(items) or any(len(c) > MAX_CHOICE for c in items):
        errors[f"{where}.choices"] = (
            f"give the {len(shape.choices)} choices in the step's order, each 1 to 200 characters"
        )
        return None
    return items


def _explain(value: Any, shape: StepShape, where: str, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not shape.quiz:
        errors[f"{where}.explain"] = "only quizzes have an explanation"
    elif not isinstance(value, str) or len(value.strip()) > MAX_EXPLAIN:
        errors[f"{where}.explain"] = f"must be text of at most {MAX_EXPLAIN} characters"
    else:
        return value.strip() or None
    return None


def _follow_up(value: Any, shape: StepShape, where: str, errors: dict[str, str]) -> dict | None:
    if value is None:
        return None
    if not shape.follow_up:
        errors[f"{where}.follow_up"] = "the step has no follow-up to translate"
        return None
    if not isinstance(value, Mapping) or set(value) - {"body", "subject"}:
        errors[f"{where}.follow_up"] = "give body (and subject for an email follow-up)"
        return None
    email = shape.follow_up.get("channel") == "email" or (shape.follow_up.get("channel") is None and not shape.sms)
    subject = value.get("subject").strip() if email and isinstance(value.get("subject"), str) else None
    body = _body(value.get("body"), subject or None, sms=not email, where=f"{where}.follow_up", errors=errors)
    return {"body": body, "subject": subject or None}


def check(translations: Any, shape: StepShape) -> tuple[dict[str, dict] | None, dict[str, str]]:
    """The normalised translations of a step (None when there are none), and a reason per bad field
    ("translations.es.body")."""
    if translations is None or translations == {}:
        return None, {}
    if not isinstance(translations, Mapping):
        return None, {"translations": 'give an object of languages, like {"es": {"body": …}}'}
    errors: dict[str, str] = {}
    checked: dict[str, dict] = {}
    for raw_code, item in translations.items():
        code = raw_code.strip().lower() if isinstance(raw_code, str) else ""
        where = f"translations.{raw_code}"
        if code not in SUPPORTED:
            errors[where] = f"Drip writes in {', '.join(SUPPORTED)}; translate into one of those"
            continue
        if not isinstance(item, Mapping) or set(item) - _FIELDS:
            errors[where] = f"give {', '.join(sorted(_FIELDS))} (body is required)"
            continue
        subject = _text(item.get("subject")).strip() if not shape.sms else None
        values = {"body": _body(item.get("body"), subject or None, sms=shape.sms, where=where, errors=errors)}
        if subject:
            values["subject"] = subject
        for key, checker in (("choices", _choices), ("explain", _explain), ("follow_up", _follow_up)):
            value = checker(item.get(key), shape, where, errors)
            if value is not None:
                values[key] = value
        checked[code] = values
    return (checked or None), errors


def missing(translations: Mapping[str, Any] | None, languages: Sequence[str], own: str) -> list[str]:
    """Which of `languages` a step has no text for (neither a translation nor its own language)."""
    have = set(translations or {}) | {own}
    return [code for code in languages if code not in have]


def translated_choices(translations: Mapping[str, Any] | None, learner_language: str | None) -> tuple[str, ...]:
    """A step's choices as a learner of this language read them; () when they read the step's own."""
    code = primary(learner_language)
    # A learner whose language Drip does not write reads the sequence's language: the step's own text.
    if code not in SUPPORTED or not translations:
        return ()
    return tuple((translations.get(code) or {}).get("choices") or ())


@dataclass(frozen=True)
class StepText:
    """The text of a step one learner reads: body, subject, choices, explanation, follow-up."""

    body: str
    subject: str | None
    choices: Sequence[str] | None
    explain: str | None
    follow_up: Mapping[str, Any] | None


def pick(language: str, own: StepText, translations: Mapping[str, Any] | None) -> StepText:
    """The step in `language` when it is translated into it, else its own text (field by field)."""
    item = (translations or {}).get(language)
    if not item:
        return own
    follow_up = own.follow_up
    if own.follow_up and item.get("follow_up"):
        follow_up = {**own.follow_up, **{k: v for k, v in item["follow_up"].items() if v}}
    return StepText(
        body=item.get("body") or own.body,
        subject=item.get("subject") or own.subject,
        choices=item.get("choices") or own.choices,
        explain=item.get("explain") or own.explain,
        follow_up=follow_up,
    )

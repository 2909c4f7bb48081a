"""Checking one learner's fields: name, phone (E.164), email, time zone, external id."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any, Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from drip.domain.languages import MAX_TAG, check_tag
from drip.domain.quick_checks import e164_phone, plain_email

FIELDS = ("name", "phone", "email", "timezone", "external_id", "language")
_MAX_LENGTH = {"name": 200, "phone": 40, "email": 254, "timezone": 64, "external_id": 200, "language": MAX_TAG}


@dataclass(frozen=True)
class LearnerInput:
    """A learner as checked and normalised: phone in E.164, email lower-cased, a known time zone."""

    name: str
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None
    external_id: str | None = None
    language: str | None = None  # a BCP 47 tag in canonical case; None: the sequence's language


class LearnerInvalid(ValueError):
    """A learner that cannot be stored, with one message per field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


@functools.lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def known_timezone(name: str) -> str | None:
    """The canonical IANA name for `name` (any case), or None when there is no such zone."""
    return _zones_by_lower_name().get(name.strip().lower())


def normalise_phone(raw: str, default_region: str) -> str:
    """A phone number in E.164, or ValueError with the reason a trainer can act on."""
    quick = e164_phone(raw)
    if quick is not None:
        return quick
    try:
        number = phonenumbers.parse(raw, (default_region or "US").upper())
    except phonenumbers.NumberParseException:
        raise ValueError(f"“{raw}” is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        if raw.strip().startswith(("+", "00")):  # the country code was given: the region hint would mislead
            region = phonenumbers.region_code_for_country_code(number.country_code)
            raise ValueError(
                f"“{raw}” is not a valid phone number for +{number.country_code} ({region}): check the digits"
            )
        raise ValueError(
            f"“{raw}” is not a valid phone number (numbers without +country code are read as {default_region})"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """A syntactically valid email address, lower-cased so the same person matches; else ValueError."""
    quick = plain_email(raw)
    if quick is not None:
        return quick
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"“{raw}” is not a valid email address: {error}") from None
    return checked.normalized.lower()


def _text(data: Mapping[str, Any], key: str, errors: dict[str, str]) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        errors[key] = "must be text"
        return ""
    text = str(value).strip()
    if len(text) > _MAX_LENGTH[key]:
        errors[key] = f"is longer than {_MAX_LENGTH[key]} characters"
        return ""
    return text


def validate_learner(data: Mapping[str, Any], *, default_region: str) -> LearnerInput:
    """Check one learner's fields; raise LearnerInvalid listing every problem at once."""
    errors: dict[str, str] = {}
    values = {key: _text(data, key, errors) for key in FIELDS}
    if not values["name"] and "name" not in errors:
        errors["name"] = "a name is required"
    phone = email = timezone = None
    if values["phone"]:
        try:
            phone = normalise_phone(values["phone"], default_region)
        except ValueError as error:
            errors["phone"] = str(error)
    if values["email"]:
        try:
            email = normalise_email(values["email"])
        except ValueError as error:
            errors["email"] = str(error)
    if values["timezone"]:
        timezone = known_timezone(values["timezone"])
        if timezone is None:
            errors["timezone"] = f"“{values['timezone']}” is not a known time zone (use a name like Europe/Paris)"
    language = None
    if values["language"]:
        try:
            language = check_tag(values["language"])
        except ValueError as error:
            errors["language"] = str(error)
    if not values["phone"] and not values["email"] and "phone" not in errors and "email" not in errors:
        errors["phone"] = "give a phone number or an email address (or both)"
    if errors:
        raise LearnerInvalid(errors)
    return LearnerInput(
        name=values["name"],
        phone=phone,
        email=email,
        timezone=timezone,
        external_id=values["external_id"] or None,
        language=language,
    )

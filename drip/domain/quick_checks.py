"""Cheap first answers for the two costly checks of a learner row, never a different answer.

A 10,000-row import spent 0.9 s in phonenumbers and email_validator (bench/README.md). Each function
here either returns what the full check would return for the same input, or None, and then the caller
runs the full check (which also writes every error message: these never refuse anything).
`tests/unit/test_quick_checks.py` holds both sides against each other on every region's numbers.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneMetadata

_E164 = re.compile(r"\+([1-9][0-9]{2,16})")
# An ASCII dot-atom (RFC 5322 3.2.3): the form email_validator accepts as it is, whatever the domain.
_DOT_ATOM = re.compile(r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+)*")
_HOST = re.compile(r"[a-zA-Z0-9.\-]+")
_MAX_ADDRESS = 254  # RFC 5321 4.5.3.1.3, as email_validator counts it


def e164_phone(raw: str) -> str | None:
    """`raw` itself when it is a valid number already written in E.164, else None (not known here).

    phonenumbers.parse of "+<country code><national number>" gives exactly that pair unless the
    national number starts with 0 (kept as Italian leading zeros) or with what the country strips as
    a national prefix: those, and everything not in this form, go to the full parse."""
    match = _E164.fullmatch(raw)
    if match is None:
        return None
    digits = match[1]
    for size in (1, 2, 3):  # country codes are prefix-free: the first known prefix is the one
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    if not 2 <= len(national) <= 17 or national[0] == "0" or _strips_prefix(country_code, national):
        return None
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    return raw if phonenumbers.is_valid_number(number) else None


def _strips_prefix(country_code: int, national: str) -> bool:
    pattern = _prefix_for_parsing(country_code)
    return pattern is not None and pattern.match(national) is not None


@functools.lru_cache(maxsize=None)
def _prefix_for_parsing(country_code: int) -> re.Pattern | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    prefix = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(prefix) if prefix else None


def plain_email(raw: str) -> str | None:
    """The address as email_validator normalises it, lower-cased, when its part before the @ is a plain
    ASCII dot-atom and its domain plain ASCII; else None. The domain is checked once per distinct domain."""
    local, at, domain = raw.partition("@")
    if not at or len(raw) > _MAX_ADDRESS or not _DOT_ATOM.fullmatch(local) or not _HOST.fullmatch(domain):
        return None
    checked_domain = _domain(domain)
    if checked_domain is None:
        return None
    address = f"{local}@{checked_domain}"
    return address.lower() if len(address) <= _MAX_ADDRESS else None


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None

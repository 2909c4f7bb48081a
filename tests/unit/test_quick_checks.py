"""The quick checks answer as the full libraries do, or not at all: every region's numbers, tricky addresses."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberType

from drip.domain.learners import normalise_email, normalise_phone
from drip.domain.quick_checks import e164_phone, plain_email


def _full_phone(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _numbers() -> list[str]:
    """Every region's example numbers of every type in E.164, then each one bent: a national prefix
    or a zero put in, a digit more, a digit less, a digit changed; and random digits."""
    examples = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in vars(PhoneNumberType).values():
            if isinstance(kind, int):
                example = phonenumbers.example_number_for_type(region, kind)
                if example is not None:
                    examples.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            examples.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    rng = random.Random(28)
    out = set(examples)
    for number in examples:
        code = str(phonenumbers.parse(number).country_code)
        national = number[1 + len(code) :]
        out |= {
            f"+{code}0{national}",
            f"+{code}1{national}",
            f"+{code}{national}7",
            number[:-1],
            number[:-1] + str((int(number[-1]) + 1) % 10),
        }
    out |= {"+" + str(rng.randrange(10**9, 10**15)) for _ in range(3000)}
    out |= {f"+1{rng.randrange(2 * 10**9, 10**10)}" for _ in range(2000)}
    return sorted(out)


def test_a_quick_phone_answer_is_the_full_answer():
    numbers = _numbers()
    answered = 0
    for raw in numbers:
        quick = e164_phone(raw)
        if quick is not None:
            answered += 1
            assert quick == _full_phone(raw), raw
    assert answered > len(numbers) / 4  # it does answer the common case


@pytest.mark.parametrize("raw", ["+14155552671", "+442071838750", "+33612345678", "+61412345678"])
def test_common_numbers_are_answered_quickly(raw):
    assert e164_phone(raw) == raw == _full_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "+390612345678",  # Italy keeps its leading zero
        "+4402071838750",  # a national prefix after the country code is stripped by the full parse
        "+1 415 555 2671",  # not written in E.164
        "(415) 555-2671",
        "+0123456789",
        "+1415555267",  # too short: invalid
        "+999123456789",  # no such country code
        "+١٤١٥٥٥٥٢٦٧١",  # other scripts' digits
    ],
)
def test_other_numbers_go_to_the_full_check(raw):
    assert e164_phone(raw) is None


def _full_email(raw: str) -> str | None:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


ADDRESSES = [
    "ana@example.com",
    "Ana.Lima@Example.COM",
    "a.b+tag@sub.example.co.uk",
    "o'brien@example.ie",
    "x!#$%&'*+-/=?^_`{|}~@example.com",
    "postmaster@example.com",
    "POSTMASTER@Example.com",
    ".ana@example.com",
    "ana.@example.com",
    "an..a@example.com",
    "ana@",
    "@example.com",
    "ana",
    "ana@@example.com",
    "ana@example",
    "ana@localhost",
    "ana@example.local",
    "ana@example.test",
    "ana@example.invalid",
    "ana@123.45.67.89",
    "ana@[127.0.0.1]",
    "ana@-example.com",
    "ana@example-.com",
    "ana@exa_mple.com",
    "ana@example..com",
    "ana@.example.com",
    "ana@example.com.",
    "ana@example.123",
    "ana@xn--bcher-kva.example",
    "ana@bücher.example",
    "anä@example.com",
    '"ana lima"@example.com',
    "Ana Lima <ana@example.com>",
    "ana@example.com>",
    "ana @example.com",
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",
    "a@" + ".".join(["b" * 63] * 3) + ".com",
    "a" * 60 + "@" + ".".join(["b" * 60] * 3) + ".com",
    "a@" + "b" * 64 + ".com",
    "ana@EXAMPLE.COM",
    "ana@ex%ample.com",
]


@pytest.mark.parametrize("raw", ADDRESSES)
def test_a_quick_email_answer_is_the_full_answer(raw):
    quick = plain_email(raw)
    if quick is not None:
        assert quick == _full_email(raw).lower()
    try:
        full = normalise_email(raw)
    except ValueError as error:
        assert _full_email(raw) is None and "is not a valid email address" in str(error)
    else:
        assert full == _full_email(raw).lower()


def test_plain_addresses_are_answered_quickly():
    assert plain_email("Ana.Lima@Example.COM") == "ana.lima@example.com"
    assert plain_email("learner9@example.com") == "learner9@example.com"


def test_refusals_keep_their_messages():
    with pytest.raises(
        ValueError,
        match="is not a valid email address: An email address cannot have a hyphen immediately after the @-sign",
    ):
        normalise_email("ana@-example.com")
    with pytest.raises(ValueError, match=r"is not a valid phone number for \+1 \(US\): check the digits"):
        normalise_phone("+1415555267", "US")

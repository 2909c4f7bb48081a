"""Offsets: ISO 8601 parsing, canonical text, and the admin form's trainer-speak."""

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drip.domain.durations import (
    MAX_DAYS,
    Offset,
    describe_timing,
    offset_from_parts,
    parse_offset,
    parts_from_offset,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-P7D", Offset(True, 7, 0)),
        ("-PT15M", Offset(True, 0, 900)),
        ("PT0S", Offset(False, 0, 0)),
        ("-PT0S", Offset(False, 0, 0)),
        ("P0D", Offset(False, 0, 0)),
        ("P1D", Offset(False, 1, 0)),
        ("+P1D", Offset(False, 1, 0)),
        ("P1DT2H30M", Offset(False, 1, 9000)),
        ("-P1DT2H30M15S", Offset(True, 1, 9015)),
        ("P2W", Offset(False, 14, 0)),
        ("P1W2D", Offset(False, 9, 0)),
        ("PT36H", Offset(False, 0, 36 * 3600)),  # elapsed hours never fold into calendar days
        ("PT90M", Offset(False, 0, 5400)),
        ("  p1dt2h ", Offset(False, 1, 7200)),
    ],
)
def test_parse_offset(text, expected):
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["P1M", "-P2M", "P1Y", "P1Y2D", "P0M", "-P1Y2M3DT4H"])
def test_months_and_years_are_refused_in_trainer_words(text):
    with pytest.raises(ValueError, match="use days or weeks instead of months"):
        parse_offset(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid"),
        ("P", "no amount"),
        ("PT", "no amount"),
        ("-P", "no amount"),
        ("P1DT", "'T' with no hours"),
        ("7D", "not valid"),
        ("P-7D", "not valid"),
        ("--P1D", "not valid"),
        ("P1H", "not valid"),
        ("P1D1D", "not valid"),
        ("PT1M1H", "not valid"),
        ("1 day", "not valid"),
        ("P\u0661D", "not valid"),  # an Arabic-Indic digit is not a digit here
        ("PT1.5H", "fraction"),
        ("PT1,5H", "fraction"),
        ("P3661D", "10 years"),
        ("PT316224001S", "10 years"),
        ("P3660DT1S", "10 years"),
        ("P" + "9" * 100 + "D", "not valid"),
    ],
)
def test_malformed_offsets_are_refused_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        parse_offset(text)


@pytest.mark.parametrize("value", [None, 7, b"P1D"])
def test_offset_must_be_text(value):
    with pytest.raises(ValueError, match="must be text"):
        parse_offset(value)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (Offset(True, 7, 0), "-P7D"),
        (Offset(False, 0, 0), "PT0S"),
        (Offset(True, 0, 0), "PT0S"),
        (Offset(False, 1, 7200), "P1DT2H"),
        (Offset(True, 0, 900), "-PT15M"),
        (Offset(False, 0, 3661), "PT1H1M1S"),
        (Offset(False, 0, 36 * 3600), "PT36H"),
        (Offset(False, 14, 0), "P14D"),
    ],
)
def test_canonical_text(offset, text):
    assert str(offset) == text


@pytest.mark.parametrize("fields", [(False, -1, 0), (False, 0, -1), (False, 1.5, 0), (False, True, 0)])
def test_offset_fields_are_whole_and_unsigned(fields):
    with pytest.raises(ValueError):
        Offset(*fields)


offsets = st.builds(
    Offset,
    negative=st.booleans(),
    days=st.integers(0, MAX_DAYS // 2),
    seconds=st.integers(0, 3 * 86400),
)


@settings(deadline=None)
@given(offsets)
def test_canonical_text_parses_back_to_the_same_offset(offset):
    assert parse_offset(str(offset)) == offset
    assert str(parse_offset(str(offset))) == str(offset)


@pytest.mark.parametrize(
    ("parts", "iso"),
    [
        ((7, "days", "before"), "-P7D"),
        ((15, "minutes", "before"), "-PT15M"),
        ((0, "minutes", "after"), "PT0S"),
        ((0, "days", "before"), "PT0S"),
        ((1, "day", "after"), "P1D"),
        ((2, "weeks", "after"), "P14D"),
        ((36, "hours", "after"), "PT36H"),
        ((90, "Minutes", " Before "), "-PT1H30M"),
    ],
)
def test_offset_from_parts(parts, iso):
    assert offset_from_parts(*parts) == iso


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ((1, "months", "before"), "unit must be"),
        ((1, "fortnights", "before"), "unit must be"),
        ((1, None, "before"), "unit must be"),
        ((1, "days", "during"), "direction must be"),
        ((-1, "days", "before"), "amount must be"),
        ((1.5, "days", "before"), "amount must be"),
        ((True, "days", "before"), "amount must be"),
        ((600, "weeks", "after"), "10 years"),
    ],
)
def test_offset_from_parts_refuses(parts, message):
    with pytest.raises(ValueError, match=message):
        offset_from_parts(*parts)


@pytest.mark.parametrize(
    ("iso", "parts"),
    [
        ("-P7D", (1, "weeks", "before")),
        ("P2W", (2, "weeks", "after")),
        ("-P3D", (3, "days", "before")),
        ("-PT15M", (15, "minutes", "before")),
        ("PT2H", (2, "hours", "after")),
        ("PT24H", (24, "hours", "after")),
        ("PT90M", (90, "minutes", "after")),
        ("PT120S", (2, "minutes", "after")),
        ("P1DT2H", (26, "hours", "after")),
        ("-P1DT30M", (1470, "minutes", "before")),
        ("PT0S", (0, "minutes", "after")),
    ],
)
def test_parts_from_offset_uses_the_largest_whole_unit(iso, parts):
    assert parts_from_offset(iso) == parts


def test_parts_from_offset_keeps_stray_seconds_in_seconds():
    # The API allows "-PT5S" (the demo's digest): its edit form must open, not fail (issue 22).
    assert parts_from_offset("PT90S") == (90, "seconds", "after")
    assert parts_from_offset("-PT5S") == (5, "seconds", "before")


@settings(deadline=None)
@given(
    st.integers(0, 500),
    st.sampled_from(["minutes", "hours", "days", "weeks"]),
    st.sampled_from(["before", "after"]),
)
def test_form_round_trip(amount, unit, direction):
    iso = offset_from_parts(amount, unit, direction)
    assert offset_from_parts(*parts_from_offset(iso)) == iso


@pytest.mark.parametrize(
    ("anchor", "offset", "local_time", "words"),
    [
        ("start", "-P7D", None, "7 days before start"),
        ("end", "P1D", time(9), "1 day after end at 09:00"),
        ("start", "-PT15M", None, "15 minutes before start"),
        ("start", "PT0S", None, "at start"),
        ("end", "-PT0S", None, "at end"),
        ("end", "PT0S", time(9), "on the day of end at 09:00"),
        ("start", "-P1DT2H30M", None, "1 day 2 hours 30 minutes before start"),
        ("end", "PT1H", None, "1 hour after end"),
        ("end", "PT1M1S", None, "1 minute 1 second after end"),
        ("end", "P2W", time(18, 30), "14 days after end at 18:30"),
        ("start", "-P3D", time(9, 30, 15), "3 days before start at 09:30:15"),
    ],
)
def test_describe_timing(anchor, offset, local_time, words):
    assert describe_timing(anchor, offset, local_time) == words


def test_describe_timing_refuses_bad_input():
    with pytest.raises(ValueError, match="anchor"):
        describe_timing("middle", "P1D", None)
    with pytest.raises(ValueError, match="months"):
        describe_timing("start", "P1M", None)

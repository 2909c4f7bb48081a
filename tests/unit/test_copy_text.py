"""PostgreSQL's COPY text format, as drip/copy_text.py writes rows that share most of their values."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from drip.copy_text import field, fields


def test_each_value_is_written_as_copy_reads_it_back():
    assert fields([7, None, True, False, 1.5, Decimal("2.50")]) == "7\t\\N\tt\tf\t1.5\t2.50"
    assert field(datetime(2026, 3, 2, 9, 5, 7, 250)) == "2026-03-02 09:05:07.000250"
    assert (field(date(2026, 3, 2)), field(time(9, 30))) == ("2026-03-02", "09:30:00")


def test_tabs_line_ends_and_backslashes_in_text_are_escaped():
    assert field("a\tb\nc\rd\\N é") == "a\\tb\\nc\\rd\\\\N é"
    assert field("") == ""  # an empty text, not NULL


def test_what_it_cannot_write_faithfully_is_refused():
    with pytest.raises(TypeError):
        field(datetime(2026, 3, 2, tzinfo=timezone.utc))  # the column's binding makes it naive UTC first
    with pytest.raises(TypeError):
        field({"a": 1})
    with pytest.raises(ValueError):
        field("nul \x00 inside")


def test_letters_and_digits_alone_are_written_as_they_are_in_any_script():
    assert [field(v) for v in ("0123456789abcdef", "Zoë", "٣٤", "x")] == ["0123456789abcdef", "Zoë", "٣٤", "x"]
    assert field("ab cd") == "ab cd" and field("a\\b") == "a\\\\b"  # anything else takes the escaping path

"""Learner checks, CSV previews and storing learners once per person."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drip.services.learners.upsert import (
    MAX_CSV_ROWS,
    LearnerInput,
    LearnerInvalid,
    decode_upload,
    parse_csv,
    validate_learner,
)

HEADER = "name,phone,email,timezone,external_id\n"


def test_a_valid_learner_is_normalised():
    learner = validate_learner(
        {"name": "  Ana Lima ", "phone": "(201) 555-0123", "email": "Ana@Example.COM", "timezone": "america/new_york"},
        default_region="US",
    )
    assert learner == LearnerInput("Ana Lima", "+12015550123", "ana@example.com", "America/New_York", None)


def test_the_default_region_reads_national_numbers():
    learner = validate_learner({"name": "Bo", "phone": "020 7946 0018"}, default_region="GB")
    assert learner.phone == "+442079460018"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "", "email": "a@example.com"}, "name", "name is required"),
        ({"name": "Ana"}, "phone", "phone number or an email"),
        ({"name": "Ana", "phone": "12345"}, "phone", "not a valid phone number"),
        ({"name": "Ana", "phone": "call me"}, "phone", "not a phone number"),
        ({"name": "Ana", "email": "ana@"}, "email", "not a valid email"),
        ({"name": "Ana", "email": "a@example.com", "timezone": "Mars/Olympus"}, "timezone", "not a known time zone"),
        ({"name": "Ana", "email": "a@example.com", "timezone": "../../etc/passwd"}, "timezone", "not a known"),
        ({"name": ["Ana"], "email": "a@example.com"}, "name", "must be text"),
        ({"name": "A" * 201, "email": "a@example.com"}, "name", "longer than 200"),
    ],
)
def test_each_problem_is_named(data, field, words):
    with pytest.raises(LearnerInvalid) as caught:
        validate_learner(data, default_region="US")
    assert words in caught.value.errors[field]


def test_every_problem_is_reported_at_once():
    with pytest.raises(LearnerInvalid) as caught:
        validate_learner({"name": "", "phone": "1", "email": "x"}, default_region="US")
    assert set(caught.value.errors) == {"name", "phone", "email"}


def test_a_good_file_with_bom_and_crlf():
    text = "\ufeffName, Phone ,EMAIL,Time zone,External ID\r\nAna,+1 201 555 0123,ana@example.com,Europe/Paris,A1\r\n\r\nBo,,bo@example.com,,\r\n"
    preview = parse_csv(text, default_region="US")
    assert preview.ok, preview.errors
    assert [(r.row, r.learner.name) for r in preview.rows] == [(2, "Ana"), (4, "Bo")]
    assert preview.learners[0].timezone == "Europe/Paris" and preview.learners[0].external_id == "A1"


def test_semicolons_and_a_subset_of_columns():
    preview = parse_csv("name;email\nAna;ana@example.com\n", default_region="US")
    assert preview.ok and preview.learners[0].email == "ana@example.com"


def test_bad_rows_are_listed_with_their_row_numbers():
    text = HEADER + "Ana,+12015550123,,,\nBo,555,,,\n,,,,\nCy,,not-an-email,Nowhere/Land,\n"
    preview = parse_csv(text, default_region="US")
    assert not preview.ok
    assert {(e.row, e.field) for e in preview.errors} == {(3, "phone"), (5, "email"), (5, "timezone")}
    assert [r.learner is not None for r in preview.rows] == [True, False, False]


def test_duplicates_within_the_file_are_flagged():
    text = HEADER + (
        "Ana,+12015550123,,,A1\nAnn,(201) 555-0123,,,\nBo,,bo@example.com,,\nBob,,BO@example.com,,\nCy,,cy@example.com,,A1\n"
    )
    preview = parse_csv(text, default_region="US")
    assert [(e.row, e.message) for e in preview.errors] == [
        (3, "same phone as row 2"),
        (5, "same email as row 4"),
        (6, "same external id as row 2"),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("Ana,ana@example.com\n", "header"),
        ("name,phone,email,shoe_size\nAna,,a@example.com,42\n", "Unknown column 'shoe_size'"),
        ("name,email,email\n", "more than once"),
        ("name,timezone\nAna,UTC\n", "phone or an email column"),
        ("name,email\n", "no learners"),
    ],
)
def test_file_level_problems(text, words):
    preview = parse_csv(text, default_region="US")
    assert not preview.ok and not preview.rows
    assert any(words in e.message and e.row is None for e in preview.errors), preview.errors


def test_a_value_outside_the_header_is_refused():
    preview = parse_csv("name,email\nAna,a@example.com,surprise\n", default_region="US")
    assert preview.errors[0].row == 2 and "column 3" in preview.errors[0].message


def test_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr("drip.domain.learner_csv.MAX_CSV_ROWS", 3)
    text = "name,email\n" + "".join(f"L{i},l{i}@example.com\n" for i in range(5))
    preview = parse_csv(text, default_region="US")
    assert any("more than 3" in e.message for e in preview.errors)
    assert MAX_CSV_ROWS >= 10_000


def test_undecodable_bytes_become_text():
    assert decode_upload("name\n".encode("utf-16")) is not None
    assert decode_upload(b"\xef\xbb\xbfname,email\n") == "name,email\n"
    assert decode_upload("José".encode("cp1252")) == "José"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_garbage_never_raises(text):
    preview = parse_csv(text, default_region="US")
    assert preview.ok or preview.errors


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(max_size=30), max_size=7), max_size=6))
def test_garbage_rows_under_a_good_header_never_raise(rows):
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerows([["name", "phone", "email", "timezone", "external_id"], *rows])
    preview = parse_csv(out.getvalue(), default_region="US")
    assert all(row.learner is None or not row.errors for row in preview.rows)


def test_a_huge_field_is_an_error_not_a_crash():
    preview = parse_csv('name,email\n"' + "x" * 200_000 + '",a@example.com\n', default_region="US")
    assert not preview.ok


def test_a_bad_number_with_its_country_code_is_not_explained_with_the_default_region():
    from drip.domain.learners import normalise_phone

    with pytest.raises(ValueError) as refused:
        normalise_phone("+44 20 7946 09", "US")
    assert "+44 (GB)" in str(refused.value) and "read as US" not in str(refused.value)
    with pytest.raises(ValueError) as refused:
        normalise_phone("201 555 01", "US")
    assert "read as US" in str(refused.value)

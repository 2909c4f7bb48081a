"""A file checked chunk by chunk gives the rows and problems parse_csv gives, in the same order."""

from __future__ import annotations

import pytest

from drip.domain.learner_csv import CsvCheck, parse_csv

GOOD = "Learner {i},+1415{n:07d},learner{i}@example.com\n"


def _text(bad_at: set[int], count: int = 9) -> str:
    lines = ["name,phone,email\n"]
    for i in range(count):
        lines.append("Broken,+1415555,\n" if i in bad_at else GOOD.format(i=i, n=2000000 + i))
        if i == 4:
            lines.append("\n")  # blank lines are skipped, not counted
    return "".join(lines)


@pytest.mark.parametrize("size", [1, 2, 4, 9, 50])
@pytest.mark.parametrize("bad_at", [set(), {0}, {5}, {8}, {2, 7}])
def test_chunks_add_up_to_the_preview(size, bad_at):
    text = _text(bad_at)
    check = CsvCheck(text, default_region="US")
    chunks = list(check.chunks(size))
    assert all(len(chunk) == size for chunk in chunks[:-1]) and 0 < len(chunks[-1]) <= size
    assert [row for chunk in chunks for row in chunk] == check.preview.rows
    whole = parse_csv(text, default_region="US")
    assert (check.preview.rows, check.preview.errors, check.preview.columns) == (
        whole.rows,
        whole.errors,
        whole.columns,
    )
    assert [row.learner is None for row in check.preview.rows] == [i in bad_at for i in range(9)]


@pytest.mark.parametrize(
    "text",
    ["", "name,phone\n", "nom,téléphone\nAna,+14155552671\n", 'name,email\n"' + "x" * 200_000 + '",a@example.com\n'],
)
def test_a_file_without_rows_yields_no_chunk_and_says_why(text):
    check = CsvCheck(text, default_region="US")
    assert list(check.chunks(2)) == []
    assert not check.preview.ok and check.preview.errors == parse_csv(text, default_region="US").errors

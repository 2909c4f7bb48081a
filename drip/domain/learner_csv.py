"""Reading a learners CSV into a preview: every row checked, every problem with its row number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from drip.domain.learners import FIELDS, LearnerInput, LearnerInvalid, validate_learner

MAX_CSV_ROWS = 50_000
_HEADER_ALIASES = {
    "time_zone": "timezone",
    "external": "external_id",
    "e_mail": "email",
    "mobile": "phone",
    "lang": "language",
    "locale": "language",
}


@dataclass(frozen=True)
class CsvError:
    """One problem in an uploaded file; `row` is the spreadsheet row (the header is row 1), None for the file."""

    row: int | None
    field: str | None
    message: str


@dataclass
class CsvRow:
    """One data row: what the file said, the learner it makes when valid, and its problems."""

    row: int
    values: dict[str, str]
    learner: LearnerInput | None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class CsvPreview:
    """A parsed file: every row, and every problem; it may be imported only when `ok`."""

    rows: list[CsvRow]
    errors: list[CsvError]
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are rows and not one problem."""
        return bool(self.rows) and not self.errors

    @property
    def learners(self) -> list[LearnerInput]:
        """The valid learners, in file order."""
        return [row.learner for row in self.rows if row.learner is not None]


def decode_upload(data: bytes) -> str:
    """Text from uploaded bytes: UTF-8 (with or without BOM), else Windows-1252 as spreadsheets export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_name(cell: str) -> str:
    name = "_".join(cell.strip().lower().replace("-", " ").split())
    return _HEADER_ALIASES.get(name, name)


def _read_header(cells: list[str]) -> tuple[list[str], list[str]]:
    """Column names and file-level problems with them."""
    columns = [_header_name(cell) for cell in cells]
    named = [c for c in columns if c]
    problems = []
    if "name" not in named:
        problems.append(f"The first line must be a header naming the columns, e.g. {','.join(FIELDS)}.")
    unknown = [c for c in named if c not in FIELDS]
    if unknown:
        problems.append(
            f"Unknown column{'s' if len(unknown) > 1 else ''} {', '.join(repr(c) for c in unknown)}: "
            f"the file may only have the columns {', '.join(FIELDS)}."
        )
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        problems.append(f"The column {', '.join(repr(c) for c in repeated)} appears more than once in the header.")
    if "name" in named and not ({"phone", "email"} & set(named)):
        problems.append("The header must have a phone or an email column (or both).")
    return columns, problems


def _delimiter(first_line: str) -> str:
    # Spreadsheets in many locales export with semicolons; tabs come from copy-paste.
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def parse_csv(text: str, *, default_region: str) -> CsvPreview:
    """Parse and check a learners file; never raises, every problem is in the result's errors."""
    check = CsvCheck(text, default_region=default_region)
    for _ in check.chunks(MAX_CSV_ROWS):
        pass
    return check.preview


class CsvCheck:
    """A learners file checked a chunk of rows at a time, so that an import can store one chunk while
    the next is checked. Once `chunks` is exhausted, `preview` is what parse_csv returns."""

    def __init__(self, text: str, *, default_region: str):
        self.text = text if isinstance(text, str) else ""
        self.default_region = default_region
        self.preview: CsvPreview | None = None

    def chunks(self, size: int) -> Iterator[list[CsvRow]]:
        """Each run of `size` checked rows (the last may be shorter); a row with errors has no learner."""
        try:
            yield from self._chunks(size)
        except csv.Error as error:
            self.preview = CsvPreview([], [CsvError(None, None, f"The file could not be read as CSV: {error}.")])

    def _chunks(self, size: int) -> Iterator[list[CsvRow]]:
        text = self.text.lstrip("\ufeff").replace("\x00", "")
        if not text.strip():
            self.preview = CsvPreview([], [CsvError(None, None, "The file is empty.")])
            return
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]))
        records = enumerate(reader, start=1)
        header: list[str] = []
        for _, cells in records:
            if any(c.strip() for c in cells):
                header = cells
                break
        columns, problems = _read_header(header)
        errors = [CsvError(None, None, p) for p in problems]
        if problems:
            self.preview = CsvPreview([], errors, columns)
            return
        rows: list[CsvRow] = []
        seen: dict[tuple[str, str], int] = {}
        given = 0
        for number, cells in records:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                errors.append(
                    CsvError(
                        None, None, f"The file has more than {MAX_CSV_ROWS:,} learners; split it into smaller files."
                    )
                )
                break
            rows.append(_check_row(number, columns, cells, self.default_region, seen))
            errors.extend(CsvError(number, f, message) for f, message in rows[-1].errors.items())
            if len(rows) - given >= size:
                yield rows[given:]
                given = len(rows)
        if len(rows) > given:
            yield rows[given:]
        if not rows and not errors:
            errors.append(CsvError(None, None, "The file has a header but no learners."))
        self.preview = CsvPreview(rows, errors, [c for c in columns if c])


def _check_row(number: int, columns: list[str], cells: list[str], region: str, seen: dict) -> CsvRow:
    values = {c: cells[i].strip() if i < len(cells) else "" for i, c in enumerate(columns) if c}
    row = CsvRow(number, values, None)
    stray = [i for i, cell in enumerate(cells) if cell.strip() and (i >= len(columns) or not columns[i])]
    if stray:
        row.errors["row"] = f"has a value in column {stray[0] + 1}, which the header does not name"
    try:
        learner = validate_learner(values, default_region=region)
    except LearnerInvalid as invalid:
        row.errors.update(invalid.errors)
        return row
    for key in ("external_id", "phone", "email"):
        value = getattr(learner, key)
        if value and (key, value) in seen:
            row.errors[key] = f"same {key.replace('_', ' ')} as row {seen[(key, value)]}"
        elif value:
            seen[(key, value)] = number
    if not row.errors:
        row.learner = learner
    return row

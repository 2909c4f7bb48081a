"""Statements for a worker's batch of rows (a hundred texts, say), shaped so psycopg parses each once.

psycopg parses a statement's text for its parameters afresh whenever it has more than 50 of them
(its cache leaves those out): a multi-row VALUES list of 100 texts has 1,400, an `IN` list of the
batch's ids 100. That was a third of the routing worker's CPU (bench/README.md, issue 28). Here a
batch's values travel as one parameter instead, on PostgreSQL; SQLite takes the plain statements.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import any_, bindparam, column, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from drip.database import bind_processors, bound_values, columns_with_defaults
from drip.extensions import db


def in_list(column, values):
    """`column IN values`, the values as one array parameter on PostgreSQL.

    PostgreSQL reads `IN (...)` as `= ANY(array)` anyway, so the plan is the same; SQLAlchemy no
    longer renders an expanding IN anew each time either."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def insert_returning(model, rows: list[dict[str, Any]], key) -> dict:
    """Insert rows (every dict with the same keys) in one statement; each row's id by its value of `key`
    (a column unique among the rows).

    On PostgreSQL the rows travel as one JSON parameter, unpacked by jsonb_to_recordset; the columns'
    Python defaults and bind processing are applied here, as for database.insert_rows' COPY."""
    if not rows:
        return {}
    table = model.__table__
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        returned = db.session.execute(insert(table).returning(table.c.id, table.c[key.key]), rows)
        return {value: row_id for row_id, value in returned}
    given = list(rows[0])
    columns, makers = columns_with_defaults(table, given)
    binders, dialect = bind_processors(columns), connection.dialect
    names = [each.name for each in columns]
    records = []
    for row in rows:
        values = [row[name] for name in given] + [m() if callable(m) else m for m in makers]
        records.append(dict(zip(names, _json_ready(bound_values(binders, values, dialect)))))
    returned = db.session.execute(_insert_from_json(table, tuple(names), key.key), {"rows": records})
    return {value: row_id for row_id, value in returned}


def _json_ready(values: list) -> list:
    return [value.isoformat() if isinstance(value, datetime) else value for value in values]


@functools.cache
def _insert_from_json(table, names: tuple[str, ...], key: str):
    record = (
        func.jsonb_to_recordset(bindparam("rows", type_=JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in names))
        .render_derived(name="given", with_types=True)
    )
    return insert(table).from_select(list(names), select(*record.c)).returning(table.c.id, table.c[key])

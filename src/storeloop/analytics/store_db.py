"""Reading store tables from SQLite or PostgreSQL straight into Arrow, in batches.

Row-by-row reading (SQLAlchemy rows, sqlite3 tuples) spends seconds per million rows making
Python objects that are thrown away at once: the demo store (2.4 million events) took 20 s that
way. The Arrow database drivers (ADBC) fill Arrow batches in C — PostgreSQL's through binary
COPY — and read the same store in about two seconds. DuckDB's own SQLite and PostgreSQL
scanners would be as fast, but they are extensions DuckDB downloads at first use, which an
offline machine cannot do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, literal_column, select
from sqlalchemy.engine import URL, Dialect, make_url

from storeloop.analytics.errors import InputError


def read_database_tables(
    url: str,
    tables: Mapping[str, Mapping[str, pa.DataType]],
    metadata_tables: Mapping[str, Table],
    *,
    chunk_rows: int,
) -> dict[str, pa.Table]:
    """The ``tables`` (name → column → Arrow type) of the store at ``url``, as Arrow tables.

    ``metadata_tables`` are the store's SQLAlchemy tables, which say how each column is stored.
    ``chunk_rows`` is the size of SQLite's batches; PostgreSQL's COPY stream comes in the
    driver's own batches.
    """
    from adbc_driver_manager import Error

    parsed = make_url(url)
    connect, options = _driver(parsed, chunk_rows)
    dialect = parsed.get_dialect()()
    read: dict[str, pa.Table] = {}
    try:
        with connect() as connection, connection.cursor() as cursor:
            for name, columns in tables.items():
                cursor.adbc_statement.set_options(**options)
                cursor.execute(_query(metadata_tables[name], columns, dialect))
                fetched = cursor.fetch_arrow_table()
                read[name] = pa.table(
                    {col: _as(fetched[col], kind, dialect) for col, kind in columns.items()}
                )
    except Error as error:  # a wrong address, a server that is down, a store not migrated
        first_line = str(error).strip().splitlines()[0]
        raise InputError(f"cannot read the store at {parsed}: {first_line}") from error
    return read


def _driver(url: URL, chunk_rows: int) -> tuple[Callable[[], Any], dict[str, str]]:
    backend = url.get_backend_name()
    if backend == "sqlite":
        import adbc_driver_sqlite
        import adbc_driver_sqlite.dbapi as sqlite

        if not url.database or url.database == ":memory:":
            raise InputError("an in-memory SQLite store cannot be read: give a database file")
        if not Path(url.database).is_file():  # the driver would create an empty one
            raise InputError(f"no SQLite store at {url.database}")
        options = {adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value: str(chunk_rows)}
        return (lambda: sqlite.connect(url.database)), options
    if backend == "postgresql":
        import adbc_driver_postgresql.dbapi as postgresql

        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return (lambda: postgresql.connect(libpq)), {}
    raise InputError(f"cannot read a {backend} store: SQLite and PostgreSQL are supported")


def _query(table: Table, columns: Mapping[str, pa.DataType], dialect: Dialect) -> str:
    """SELECT the columns; on SQLite, a nullable column stored as text comes as '' for null.

    SQLite values have no declared type, and its driver infers a column's type from the first
    batch: a text column whose first rows are all null would be taken for integers and fail on
    the first text. In the store such columns are times and dates, where '' is never a value.
    """
    selected = [
        literal_column(f"COALESCE({dialect.identifier_preparer.quote(name)}, '')").label(name)
        if dialect.name == "sqlite" and table.c[name].nullable and not pa.types.is_integer(kind)
        else table.c[name]
        for name, kind in columns.items()
    ]
    return str(select(*selected).select_from(table).compile(dialect=dialect))


def _as(column: pa.ChunkedArray, kind: pa.DataType, dialect: Dialect) -> pa.ChunkedArray:
    """The column as ``kind``; SQLite's text times and dates are parsed, '' being null."""
    if dialect.name == "sqlite" and not pa.types.is_integer(kind) and not pa.types.is_string(kind):
        text = column.cast(pa.string())
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        if pa.types.is_timestamp(kind):  # SQLite keeps the store's UTC times without a zone
            return text.cast(pa.timestamp(kind.unit)).cast(kind)
        return text.cast(kind)
    return column.cast(kind)

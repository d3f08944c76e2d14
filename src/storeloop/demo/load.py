"""Bulk writers: Arrow tables into SQLite, PostgreSQL and Parquet, fast.

A million orders through the ORM would take many minutes; these writers take seconds because
they do what the databases' own bulk loaders do. Secondary indexes (and on PostgreSQL the
foreign keys) are dropped for the load and rebuilt once at the end, which is far cheaper than
maintaining them row by row; their definitions are read back from the database itself, so the
rebuilt schema is exactly the migrated one. Everything happens in one transaction: a load that
fails leaves the database as it was.
"""

from __future__ import annotations

import io
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from psycopg import sql
from sqlalchemy import Engine

Advance = Callable[[int], None]
SQLITE_BATCH_ROWS = 50_000
COPY_BATCH_ROWS = 250_000
_SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S"  # with microseconds for timestamp[us]: SQLAlchemy's format


class StoreLoader(ABC):
    """A database that receives tables; used as a context manager around the whole load."""

    def __enter__(self) -> StoreLoader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    @abstractmethod
    def write(self, name: str, table: pa.Table, advance: Advance) -> None: ...

    @abstractmethod
    def finish(self) -> None:
        """Rebuild what the load dropped and commit."""

    @abstractmethod
    def abort(self) -> None:
        """Roll the whole load back."""


def loader_for(engine: Engine, tables: Iterable[str]) -> StoreLoader:
    if engine.dialect.name == "sqlite":
        return SqliteLoader(engine, tables)
    if engine.dialect.name == "postgresql":
        return PostgresLoader(engine, tables)
    raise ValueError(f"seeding supports SQLite and PostgreSQL, not {engine.dialect.name}")


def _sqlite_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """A column as the Python values sqlite3 stores the way SQLAlchemy would have."""
    kind = column.type
    if pa.types.is_timestamp(kind):
        naive = column.cast(pa.timestamp("us"))
        return pc.strftime(naive, format=_SQLITE_TIMESTAMP).to_pylist()
    if pa.types.is_date(kind):
        return column.cast(pa.string()).to_pylist()
    if pa.types.is_boolean(kind):
        column = column.cast(pa.int64())
    if pa.types.is_integer(column.type) and column.null_count == 0:
        return column.to_numpy().tolist()
    return column.to_pylist()


class SqliteLoader(StoreLoader):
    """executemany of prebuilt tuples in one transaction, journal in memory, no fsync."""

    def __init__(self, engine: Engine, tables: Iterable[str]) -> None:
        engine.dispose()  # journal_mode can only change with no other connection open
        self._fairy = engine.raw_connection()
        self.connection: sqlite3.Connection = self._fairy.driver_connection  # type: ignore[assignment]
        self._isolation_level = self.connection.isolation_level
        self.connection.isolation_level = None  # transactions are explicit below
        names = list(tables)
        marks = ",".join("?" * len(names))
        rows = self.connection.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            names,
        ).fetchall()
        self.indexes: list[tuple[str, str]] = [(name, ddl) for name, ddl in rows]
        for pragma in (
            "foreign_keys=OFF",
            "journal_mode=MEMORY",
            "synchronous=OFF",
            "cache_size=-262144",
            "temp_store=MEMORY",
        ):
            self.connection.execute(f"PRAGMA {pragma}")
        self.connection.execute("BEGIN")
        for name, _ in self.indexes:
            self.connection.execute(f'DROP INDEX "{name}"')

    def write(self, name: str, table: pa.Table, advance: Advance) -> None:
        names = ", ".join(f'"{c}"' for c in table.column_names)
        marks = ", ".join("?" * table.num_columns)
        statement = f'INSERT INTO "{name}" ({names}) VALUES ({marks})'
        for batch in table.to_batches(max_chunksize=SQLITE_BATCH_ROWS):
            values = [_sqlite_values(column) for column in batch.columns]
            self.connection.executemany(statement, zip(*values, strict=True))
            advance(batch.num_rows)

    def finish(self) -> None:
        for _, ddl in self.indexes:
            self.connection.execute(ddl)
        self.connection.execute("COMMIT")
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA analysis_limit=1000")
        self.connection.execute("ANALYZE")
        self._close()

    def abort(self) -> None:
        self.connection.execute("ROLLBACK")
        self._close()

    def _close(self) -> None:
        self.connection.execute("PRAGMA foreign_keys=ON")
        self.connection.isolation_level = self._isolation_level
        self._fairy.close()


class PostgresLoader(StoreLoader):
    """COPY of in-memory CSV, with indexes and foreign keys rebuilt after the load."""

    def __init__(self, engine: Engine, tables: Iterable[str]) -> None:
        self._fairy = engine.raw_connection()
        self.connection = self._fairy.driver_connection
        self.tables = list(tables)
        self.cursor = self.connection.cursor()
        self.cursor.execute("SET synchronous_commit = off")
        self.cursor.execute("SET maintenance_work_mem = '512MB'")
        self.indexes = self._fetch(
            """
            SELECT quote_ident(i.relname), pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
            """
        )
        self.foreign_keys = self._fetch(
            """
            SELECT quote_ident(t.relname) || '.' || quote_ident(c.conname),
                   pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace
              AND (t.relname = ANY(%s) OR c.confrelid IN (
                  SELECT oid FROM pg_class WHERE relname = ANY(%s)
                  AND relnamespace = 'public'::regnamespace))
            """,
            twice=True,
        )
        for qualified, _ in self.foreign_keys:
            table, name = qualified.split(".", 1)
            self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in self.indexes:
            self.cursor.execute(f"DROP INDEX {name}")

    def _fetch(self, query: str, *, twice: bool = False) -> list[tuple[str, str]]:
        params = (self.tables, self.tables) if twice else (self.tables,)
        self.cursor.execute(query, params)
        return [(str(a), str(b)) for a, b in self.cursor.fetchall()]

    def write(self, name: str, table: pa.Table, advance: Advance) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, table.column_names))
        )
        options = pcsv.WriteOptions(include_header=False, quoting_style="all_valid")
        with self.cursor.copy(statement) as copy:
            for batch in table.to_batches(max_chunksize=COPY_BATCH_ROWS):
                buffer = io.BytesIO()
                pcsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())
                advance(batch.num_rows)

    def finish(self) -> None:
        for _, ddl in self.indexes:
            self.cursor.execute(ddl)
        for qualified, definition in self.foreign_keys:
            table, name = qualified.split(".", 1)
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for table in self.tables:
            # Ids were given explicitly; the ORM's next insert must not collide with them.
            self.cursor.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                    "COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ).format(name=sql.Literal(table), table=sql.Identifier(table))
            )
        self.connection.commit()
        self.connection.autocommit = True
        for table in self.tables:
            self.cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        self.connection.autocommit = False
        self._fairy.close()

    def abort(self) -> None:
        self.connection.rollback()
        self._fairy.close()


class ParquetSink:
    """One Parquet file per table; the event stream is appended chunk by chunk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, table: pa.Table) -> None:
        pq.write_table(table, self.directory / f"{name}.parquet")

    def append(self, name: str, table: pa.Table) -> None:
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.directory / f"{name}.parquet", table.schema)
        self._writers[name].write_table(table)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

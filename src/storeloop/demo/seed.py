"""``storeloop seed``: generate the demo store and write it to a database and/or Parquet.

The entry point guards the one thing a generator must never do, mix its rows into a store that
already has data (ids are assigned by the generator), and reports where every table went and
how long it took, because the large preset is also our loading benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, inspect, text

from storeloop.db import make_engine
from storeloop.demo.config import EVENTS_IN_DATABASE_LIMIT, PRESETS, SeedConfig
from storeloop.demo.generate import EVENTS, TABLES, GeneratedStore, generate_store
from storeloop.demo.load import ParquetSink, StoreLoader, loader_for
from storeloop.migrate import upgrade

__all__ = ["PRESETS", "SeedConfig", "SeedReport", "seed_store"]


@dataclass(frozen=True)
class SeedReport:
    """What was written where, and how long each part took (the benchmark reads this)."""

    rows: dict[str, int]
    seconds: dict[str, float]  # "generate", each table (writing), "finish" (indexes, keys, stats)
    total_seconds: float
    events_to: tuple[str, ...]  # "database" and/or "parquet"; empty when not generated
    database_url: str | None = None  # password hidden
    parquet_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def events_destination(self) -> str:
        return " + ".join(self.events_to) if self.events_to else "not generated"


def _prepare_database(engine: Engine) -> None:
    """Migrate an empty database; refuse one that already holds store data."""
    if "orders" not in inspect(engine).get_table_names():
        upgrade(engine)
    with engine.connect() as connection:
        occupied = [
            name
            for name in (*TABLES, EVENTS)
            if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None
        ]
    if occupied:
        raise ValueError(
            "refusing to seed a database that already has data "
            f"(non-empty: {', '.join(occupied)}); seed a fresh database"
        )


def _events_destinations(
    store: GeneratedStore, config: SeedConfig, to_database: bool, parquet_dir: Path | None
) -> tuple[tuple[str, ...], list[str]]:
    notes = []
    in_database = config.events_in_database
    if in_database is None:
        in_database = store.event_plan.estimated_events <= EVENTS_IN_DATABASE_LIMIT
        if to_database and not in_database:
            notes.append(
                f"about {store.event_plan.estimated_events:,} events exceed the "
                f"{EVENTS_IN_DATABASE_LIMIT:,}-row limit for the database"
                + ("; written to Parquet only" if parquet_dir else "; pass a Parquet directory")
            )
    destinations = []
    if to_database and in_database:
        destinations.append("database")
    if parquet_dir is not None:
        destinations.append("parquet")
    return tuple(destinations), notes


def seed_store(
    database_url: str | None,
    config: SeedConfig,
    *,
    parquet_dir: Path | None = None,
    progress: bool = True,
) -> SeedReport:
    """Generate the store for ``config`` and write it; same config, same rows, every time."""
    if database_url is None and parquet_dir is None:
        raise ValueError("give a database URL, a Parquet directory, or both")
    began = time.perf_counter()
    engine = make_engine(database_url) if database_url else None
    try:
        if engine is not None:
            _prepare_database(engine)
        clock = time.perf_counter()
        store = generate_store(config)
        seconds = {"generate": time.perf_counter() - clock}
        events_to, notes = _events_destinations(store, config, engine is not None, parquet_dir)
        rows = _write(store, engine, parquet_dir, events_to, seconds, progress)
    finally:
        if engine is not None:
            engine.dispose()
    return SeedReport(
        rows=rows,
        seconds=seconds,
        total_seconds=time.perf_counter() - began,
        events_to=events_to,
        database_url=engine.url.render_as_string(hide_password=True) if engine else None,
        parquet_dir=parquet_dir,
        notes=notes,
    )


def _write(
    store: GeneratedStore,
    engine: Engine | None,
    parquet_dir: Path | None,
    events_to: tuple[str, ...],
    seconds: dict[str, float],
    progress: bool,
) -> dict[str, int]:
    names = [*TABLES, EVENTS] if events_to else list(TABLES)
    rows: dict[str, int] = {}
    bar = Progress(
        TextColumn("[bold]{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not progress,
    )
    with bar:
        tasks = {
            name: bar.add_task(
                name,
                total=store.tables[name].num_rows
                if name in store.tables
                else store.event_plan.estimated_events,
            )
            for name in names
        }

        def advance(name: str) -> Callable[[int], None]:
            return lambda n: bar.advance(tasks[name], n)

        database: AbstractContextManager[StoreLoader | None] = (
            loader_for(engine, names) if engine is not None else nullcontext()
        )
        sink = ParquetSink(parquet_dir) if parquet_dir is not None else None
        try:
            with database as loader:
                for name in TABLES:
                    clock = time.perf_counter()
                    table = store.tables[name]
                    if loader is not None:
                        loader.write(name, table, advance(name))
                    else:
                        bar.advance(tasks[name], table.num_rows)
                    if sink is not None:
                        sink.write(name, table)
                    rows[name] = table.num_rows
                    seconds[name] = time.perf_counter() - clock
                if events_to:
                    clock = time.perf_counter()
                    rows[EVENTS] = 0
                    for chunk in store.events():
                        if loader is not None and "database" in events_to:
                            loader.write(EVENTS, chunk, advance(EVENTS))
                        else:
                            bar.advance(tasks[EVENTS], chunk.num_rows)
                        if sink is not None:
                            sink.append(EVENTS, chunk)
                        rows[EVENTS] += chunk.num_rows
                    bar.update(tasks[EVENTS], total=rows[EVENTS], completed=rows[EVENTS])
                    seconds[EVENTS] = time.perf_counter() - clock
                # Leaving the block rebuilds indexes and keys: shown as a bar without a total.
                finishing = None if loader is None else bar.add_task("indexes, keys", total=None)
                clock = time.perf_counter()
        finally:
            if sink is not None:
                sink.close()
        seconds["finish"] = time.perf_counter() - clock
        if finishing is not None:
            bar.update(finishing, total=1, completed=1)
    return rows

"""Time `storeloop seed` for the large store into SQLite, PostgreSQL and Parquet.

    .venv/bin/python bench/seed_bench.py [--customers N --days N] [--targets sqlite,postgres]

SQLite goes to a temporary file, PostgreSQL to a fresh database created (and dropped) on the
server at STORELOOP_TEST_POSTGRES_URL or 127.0.0.1:5432, Parquet (with the whole event stream)
to a temporary directory. The acceptance limits are those of the seeding issue: two minutes per
database, five minutes for Parquet with events. Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storeloop.demo.seed import PRESETS, SeedConfig, SeedReport, seed_store

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LIMITS = {"sqlite": 120.0, "postgres": 120.0, "parquet": 300.0}
STAGES = (
    "generate",
    "customers",
    "orders",
    "order_lines",
    "payments",
    "shipments",
    "stock_movements",
    "events",
    "finish",
)


@dataclass(frozen=True)
class Result:
    target: str
    report: SeedReport


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="seed_bench_") as directory:
        yield f"sqlite:///{Path(directory) / 'store.db'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    admin_url = os.environ.get("STORELOOP_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    host = make_url(admin_url).host
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to benchmark against a non-local server ({host})")
    name = f"storeloop_seed_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(target: str, config: SeedConfig, progress: bool) -> Result:
    if target == "parquet":
        with tempfile.TemporaryDirectory(prefix="seed_bench_") as directory:
            report = seed_store(None, config, parquet_dir=Path(directory), progress=progress)
            return Result(target, report)
    url_for: Callable[[], AbstractContextManager[str]]
    url_for = sqlite_url if target == "sqlite" else postgres_url
    with url_for() as url:
        return Result(target, seed_store(url, config, progress=progress))


def postgres_version() -> str:
    admin_url = os.environ.get("STORELOOP_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    except Exception as exc:  # the benchmark still runs the other targets
        return f"unavailable ({type(exc).__name__})"
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    large = PRESETS["large"]
    parser.add_argument("--customers", type=int, default=large.customers)
    parser.add_argument("--days", type=int, default=large.days)
    parser.add_argument("--seed", type=int, default=large.seed)
    parser.add_argument("--targets", default="sqlite,postgres,parquet")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args()
    config = SeedConfig(customers=args.customers, days=args.days, seed=args.seed)
    console = Console(width=110)
    console.print(
        f"seed bench: {config.customers:,} customers, {config.days} days, seed {config.seed} · "
        f"{os.cpu_count()} cores · load average {os.getloadavg()[0]:.2f} · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
        f"PostgreSQL {postgres_version()}"
    )
    results = [run(target, config, args.progress) for target in args.targets.split(",")]

    summary = Table(title="storeloop seed")
    for column in ("target", "orders", "rows (no events)", "events", "seconds", "limit", "ok"):
        summary.add_column(column, justify="left" if column == "target" else "right")
    for result in results:
        rows = result.report.rows
        seconds = result.report.total_seconds
        limit = LIMITS[result.target]
        summary.add_row(
            result.target,
            f"{rows['orders']:,}",
            f"{sum(v for k, v in rows.items() if k != 'events'):,}",
            f"{rows.get('events', 0):,} → {result.report.events_destination}",
            f"{seconds:.1f}",
            f"{limit:.0f}",
            "yes" if seconds <= limit else "NO",
        )
    console.print(summary)

    stages = Table(title="where the time goes (seconds)")
    stages.add_column("stage")
    for result in results:
        stages.add_column(result.target, justify="right")
    for stage in STAGES:
        stages.add_row(stage, *(f"{r.report.seconds.get(stage, 0.0):.1f}" for r in results))
    console.print(stages)
    console.print(f"load average after: {os.getloadavg()[0]:.2f}")
    if any(r.report.total_seconds > LIMITS[r.target] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The ``storeloop`` command line: a thin translation layer over the services.

Every command that touches the store takes ``--database-url`` (or ``STORELOOP_DATABASE_URL``);
errors are printed as one line naming what was wrong, with exit code 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from storeloop.analytics.cli import analyze_app
from storeloop.pricing.cli import price_command
from storeloop.settings import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from storeloop.demo.seed import SeedConfig, SeedReport

app = typer.Typer(
    help="storeloop: run an online store's operations and marketing loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
token_app = typer.Typer(help="Admin API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(analyze_app, name="analyze")
app.command("price")(price_command)

console = Console()
err_console = Console(stderr=True)

DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="STORELOOP_DATABASE_URL",
        help="SQLAlchemy URL, e.g. sqlite:///storeloop.db or postgresql+psycopg://user@host/db.",
    ),
]


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Create or migrate the store schema to the newest version."""
    from storeloop.db import make_engine
    from storeloop.migrate import upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    console.print(f"schema is up to date at {_display_url(database_url)}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="Who or what the token is for.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Create an admin API token; the token itself is printed as the last line, once."""
    if not name.strip():
        raise _fail("--name must not be empty")
    token = _create_token(database_url, name.strip())
    console.print(f"created token {name.strip()!r}; it is shown only now:")
    print(token)


def _create_token(database_url: str, name: str) -> str:
    from storeloop.auth.service import create_token
    from storeloop.db import make_engine, make_session_factory, session_scope
    from storeloop.migrate import upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with session_scope(make_session_factory(engine)) as session:
            return create_token(session, name)
    finally:
        engine.dispose()


@app.command()
def seed(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="STORELOOP_DATABASE_URL",
            help="Store to fill; omit with --parquet to write files only.",
        ),
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="Start from a preset: tiny, small or large.")
    ] = None,
    customers: Annotated[int | None, typer.Option(min=1, help="Number of customers.")] = None,
    days: Annotated[int | None, typer.Option(min=7, help="Days of history.")] = None,
    seed_value: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="Also write every table, events included.")
    ] = None,
) -> None:
    """Generate a deterministic, realistic demo store into a database and/or Parquet files."""
    config = _seed_config(preset, customers, days, seed_value)
    if database_url is None and parquet is None:
        database_url = DEFAULT_DATABASE_URL
    report = _run_seed(database_url, config, parquet)
    _print_report(report)


def _seed_config(
    preset: str | None, customers: int | None, days: int | None, seed_value: int | None
) -> SeedConfig:
    import dataclasses

    from storeloop.demo.seed import PRESETS, SeedConfig

    if preset is not None and preset not in PRESETS:
        raise _fail(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    config = PRESETS[preset] if preset else SeedConfig()
    changes = {
        key: value
        for key, value in {"customers": customers, "days": days, "seed": seed_value}.items()
        if value is not None
    }
    return dataclasses.replace(config, **changes)


def _run_seed(database_url: str | None, config: SeedConfig, parquet: Path | None) -> SeedReport:
    from storeloop.demo.seed import seed_store

    try:
        return seed_store(database_url, config, parquet_dir=parquet, progress=True)
    except ValueError as exc:
        raise _fail(str(exc)) from exc


def _print_report(report: SeedReport) -> None:
    from rich.table import Table

    table = Table(title="seeded")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"events: {report.events_destination}")
    for note in report.notes:
        console.print(f"note: {note}")
    console.print(f"total {report.total_seconds:.1f} s")


SweepEvery = Annotated[
    float,
    typer.Option(
        min=0,
        help="Seconds between sweeps (expired reservations, follow-ups, outbox, points); "
        "0: none in this process.",
    ),
]


@app.command()
def serve(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    sweep_every: SweepEvery = 30.0,
) -> None:
    """Serve the store API (and its home page) with uvicorn."""
    _serve(database_url, host, port, sweep_every)


def _serve(database_url: str, host: str, port: int, sweep_every: float) -> None:
    import uvicorn

    from storeloop.db import make_engine, make_session_factory
    from storeloop.jobs import Sweeper
    from storeloop.migrate import upgrade
    from storeloop.web.app import create_app

    engine = make_engine(database_url)
    upgrade(engine)
    sweeper = Sweeper(make_session_factory(engine), sweep_every) if sweep_every else None
    if sweeper is not None:
        sweeper.start()
    print(f"storeloop at http://{host}:{port}/  ·  API docs http://{host}:{port}/docs", flush=True)
    try:
        uvicorn.run(create_app(engine), host=host, port=port, log_level="info")
    finally:
        if sweeper is not None:
            sweeper.stop()


@app.command()
def sweep(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Run the periodic sweeps once (for cron, or a second process beside the servers)."""
    from storeloop.db import make_engine, make_session_factory, utcnow
    from storeloop.jobs import run_sweeps

    engine = make_engine(database_url)
    try:
        report = run_sweeps(make_session_factory(engine), utcnow())
    finally:
        engine.dispose()
    console.print(
        f"closed unpaid {report.closed_unpaid} · closed balances {report.closed_balances} · "
        f"follow-ups {report.followups} · relayed {report.relayed} · "
        f"points expired {report.points_expired}"
    )


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    preset: Annotated[str, typer.Option(help="Size of the demo store.")] = "small",
) -> None:
    """Create a SQLite demo store in this directory (if there is none), seed it and serve it."""
    path = Path.cwd() / "storeloop.db"
    url = f"sqlite:///{path}"
    if _store_has_orders(url):
        console.print(f"using the existing store {path}")
    else:
        console.print(f"creating a demo store in {path}")
        _print_report(_run_seed(url, _seed_config(preset, None, None, None), None))
    token = _create_token(url, "demo")
    # Plain print: Rich would wrap a long token line on a narrow or non-terminal output.
    print(f"admin API token (send as 'Authorization: Bearer TOKEN'): {token}", flush=True)
    _serve(url, host, port, sweep_every=30.0)


def _store_has_orders(url: str) -> bool:
    from sqlalchemy import inspect, text

    from storeloop.db import make_engine

    engine = make_engine(url)
    try:
        if "orders" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM orders LIMIT 1")).first() is not None
    finally:
        engine.dispose()


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()

"""``storeloop analyze …``: the analytics engine on a merchant's CSV/Parquet export, and the
weekly review of an export or of the store database.

Option values are parsed here rather than by Click so that any bad input — a file column, a
``--map``, a date, a share — ends in one line naming it and exit code 2, never a usage screen
or a traceback. The engine (Ibis, DuckDB, SciPy) is imported only when a command runs, so the
rest of the ``storeloop`` CLI does not pay for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from storeloop.analytics.errors import InputError
from storeloop.settings import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    import ibis
    import pyarrow as pa

    from storeloop.analytics.canonical import Transactions

analyze_app = typer.Typer(
    help="Analyse order exports (CSV or Parquet; Shopify exports are recognised) or the store.",
    no_args_is_help=True,
)

Files = Annotated[
    list[Path],
    typer.Argument(metavar="FILE", help="CSV or Parquet files of order lines.", show_default=False),
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="CANONICAL=COLUMN",
        help="Read a canonical column from the file's COLUMN (repeatable).",
    ),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write the CSV here instead of standard output.")
]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine", metavar="duckdb|spark", help="Engine to compute on (Spark: local[2])."
    ),
]
T = TypeVar("T")
TIME_UNITS = ("day", "week")


@analyze_app.command("clv")
def clv_command(
    files: Files,
    map_options: MapOption = None,
    time_unit: Annotated[
        str, typer.Option("--time-unit", metavar="day|week", help="Unit of recency, T, horizon.")
    ] = "week",
    period: Annotated[
        str,
        typer.Option(
            "--period", metavar="day|week", help="Purchases within one period count as one."
        ),
    ] = "day",
    calibration_end: Annotated[
        str | None,
        typer.Option(
            "--calibration-end", metavar="YYYY-MM-DD", help="Last day of data used (required)."
        ),
    ] = None,
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon", metavar="N", help="Prediction horizon in time units; default one year."
        ),
    ] = None,
    params: Annotated[
        bool, typer.Option("--params", help="Print the fitted parameters as JSON.")
    ] = False,
    out: OutOption = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Fit BG/NBD + Gamma-Gamma; per-customer predictions as CSV."""

    def run() -> None:
        from storeloop.analytics.clv import UNIT_DAYS, customer_summaries, fit_clv, predict_clv

        unit = _choice("--time-unit", time_unit, TIME_UNITS)
        merged = _choice("--period", period, TIME_UNITS)
        if UNIT_DAYS[merged] > UNIT_DAYS[unit]:
            raise InputError("--period cannot be longer than --time-unit")
        if calibration_end is None:
            raise InputError("--calibration-end is required (last day of data to fit on)")
        end = _parsed("--calibration-end", calibration_end, date.fromisoformat, "a YYYY-MM-DD date")
        span = 365 / UNIT_DAYS[unit] if horizon is None else _positive("--horizon", horizon)
        transactions = _load(files, map_options, engine)
        transactions.require(["customer_id", "ordered_at", "amount"], "clv")
        # Held in the engine: the fits and the predictions read them three times.
        summaries = customer_summaries(
            transactions.table, calibration_end=end, time_unit=unit, period=merged
        ).cache()
        model = fit_clv(summaries)
        if params:
            typer.echo(json.dumps(model.parameters()))
        if out is not None or not params:
            _write_csv(predict_clv(summaries, model, span), out)

    _reporting_input_errors(run)


@analyze_app.command("baskets")
def baskets_command(
    files: Files,
    map_options: MapOption = None,
    min_support: Annotated[
        str, typer.Option("--min-support", metavar="S", help="Least share of baskets, in (0, 1].")
    ] = "0.01",
    min_confidence: Annotated[
        str, typer.Option("--min-confidence", metavar="C", help="Least confidence, in (0, 1].")
    ] = "0.1",
    out: OutOption = None,
    together: Annotated[
        Path | None,
        typer.Option("--together", help="Also write the top SKUs bought with each SKU here."),
    ] = None,
    top_k: Annotated[
        str, typer.Option("--top-k", metavar="K", help="SKUs per SKU in --together.")
    ] = "5",
    engine: EngineOption = "duckdb",
) -> None:
    """Pair and triple association rules (antecedents, consequents, support, confidence, lift)."""

    def run() -> None:
        from storeloop.analytics.baskets import RULE_COLUMNS, association_rules, bought_together

        support = _share("--min-support", min_support)
        confidence = _share("--min-confidence", min_confidence)
        k = _parsed("--top-k", top_k, int, "a whole number")
        if k < 1:
            raise InputError(f"--top-k must be at least 1, got {top_k}")
        transactions = _load(files, map_options, engine)
        transactions.require(["order_id", "sku"], "baskets")
        rules = association_rules(
            transactions.table, min_support=support, min_confidence=confidence
        )
        _write_csv(rules.select(*RULE_COLUMNS).to_pyarrow(), out)
        if together is not None:
            _write_csv(bought_together(transactions.table, top_k=k).to_pyarrow(), together)

    _reporting_input_errors(run)


@analyze_app.command("report")
def report_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE",
            help="CSV or Parquet files of order lines (or --store).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for the page and its tables.")
    ] = None,
    map_options: MapOption = None,
    engine: EngineOption = "duckdb",
    store: Annotated[
        bool, typer.Option("--store", help="Review the store database instead of files.")
    ] = False,
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            envvar="STORELOOP_DATABASE_URL",
            help="The store for --store (SQLite or PostgreSQL SQLAlchemy URL).",
        ),
    ] = DEFAULT_DATABASE_URL,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            metavar="YYYY-MM-DD",
            help="Last day reviewed; default the Sunday on or before the last order.",
        ),
    ] = None,
    weeks: Annotated[
        str | None,
        typer.Option("--weeks", metavar="N", help="Weeks reviewed, ending on --end (default 12)."),
    ] = None,
) -> None:
    """The weekly review: one self-contained HTML page, and every table as CSV and Parquet."""

    def run() -> None:
        from sqlalchemy.engine import make_url

        from storeloop.analytics.engines import ENGINES, connect
        from storeloop.analytics.export_store import export_store
        from storeloop.analytics.report import REVIEW_WEEKS, last_whole_week_end, weekly_review
        from storeloop.analytics.review_html import write_review_html
        from storeloop.analytics.store import read_store_database

        if out is None:
            raise InputError("--out is required (the directory for the review)")
        if store == bool(files):
            raise InputError("give export FILEs or --store, not both and not neither")
        if store and map_options:
            raise InputError("--map applies to export files, not to --store")
        span = REVIEW_WEEKS if weeks is None else _parsed("--weeks", weeks, int, "a whole number")
        if span < 1:
            raise InputError(f"--weeks must be at least 1, got {weeks}")
        last = None if end is None else _parsed("--end", end, date.fromisoformat, "a date")
        con = connect(_choice("--engine", engine, ENGINES))
        if store:
            # str() of a SQLAlchemy URL hides its password.
            tables, source = read_store_database(database_url, con), str(make_url(database_url))
        else:
            tables = export_store(_load_on(files, map_options, con))
            source = ", ".join(str(path) for path in files)
        last = last or last_whole_week_end(tables)
        review = weekly_review(tables, end=last, weeks=span)
        page = write_review_html(review, out, end=last, weeks=span, source=source)
        for note in review["notes"].to_pylist():
            typer.echo(f"note: {note['table']}: {note['note']}", err=True)
        typer.echo(f"wrote {page} and {len(review)} tables as CSV and Parquet in {out}")

    _reporting_input_errors(run)


def _reporting_input_errors(run: Callable[[], None]) -> None:
    try:
        run()
    except ValueError as error:  # InputError, or a model's reason for refusing to fit
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


def _load(files: Sequence[Path], map_options: Sequence[str] | None, engine: str) -> Transactions:
    from storeloop.analytics.engines import ENGINES, connect

    return _load_on(files, map_options, connect(_choice("--engine", engine, ENGINES)))


def _load_on(
    files: Sequence[Path], map_options: Sequence[str] | None, con: ibis.BaseBackend
) -> Transactions:
    from storeloop.analytics.canonical import load_transactions, parse_map_options

    return load_transactions(files, parse_map_options(map_options or []), con)


def _write_csv(table: pa.Table, out: Path | None) -> None:
    """Plain CSV: quotes only where a cell needs them (pyarrow's writer quotes all text)."""
    text = table.to_pandas().to_csv(index=False, lineterminator="\n")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def _choice(option: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _share(option: str, value: str) -> float:
    share = _parsed(option, value, float, "a number")
    if not 0 < share <= 1:
        raise InputError(f"{option} must be in (0, 1], got {value}")
    return share


def _positive(option: str, value: str) -> float:
    number = _parsed(option, value, float, "a number")
    if not number > 0:
        raise InputError(f"{option} must be positive, got {value}")
    return number


def _parsed(option: str, value: str, parse: Callable[[str], T], expected: str) -> T:
    try:
        return parse(value)
    except ValueError:
        raise InputError(f"{option} must be {expected}, got {value!r}") from None

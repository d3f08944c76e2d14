"""``storeloop analyze …``: the analytics engine on a merchant's CSV/Parquet export.

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

if TYPE_CHECKING:
    import pyarrow as pa

    from storeloop.analytics.canonical import Transactions

analyze_app = typer.Typer(
    help="Analyse order exports (CSV or Parquet; Shopify exports are recognised).",
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
        transactions = _load(files, map_options)
        transactions.require(["customer_id", "ordered_at", "amount"], "clv")
        summaries = customer_summaries(
            transactions.table, calibration_end=end, time_unit=unit, period=merged
        )
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
) -> None:
    """Pair and triple association rules (antecedents, consequents, support, confidence, lift)."""

    def run() -> None:
        from storeloop.analytics.baskets import RULE_COLUMNS, association_rules, bought_together

        support = _share("--min-support", min_support)
        confidence = _share("--min-confidence", min_confidence)
        k = _parsed("--top-k", top_k, int, "a whole number")
        if k < 1:
            raise InputError(f"--top-k must be at least 1, got {top_k}")
        transactions = _load(files, map_options)
        transactions.require(["order_id", "sku"], "baskets")
        rules = association_rules(
            transactions.table, min_support=support, min_confidence=confidence
        )
        _write_csv(rules.select(*RULE_COLUMNS).to_pyarrow(), out)
        if together is not None:
            _write_csv(bought_together(transactions.table, top_k=k).to_pyarrow(), together)

    _reporting_input_errors(run)


def _reporting_input_errors(run: Callable[[], None]) -> None:
    try:
        run()
    except ValueError as error:  # InputError, or a model's reason for refusing to fit
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


def _load(files: Sequence[Path], map_options: Sequence[str] | None) -> Transactions:
    import ibis

    from storeloop.analytics.canonical import load_transactions, parse_map_options

    mapping = parse_map_options(map_options or [])
    return load_transactions(files, mapping, ibis.duckdb.connect())


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

"""The tables of the weekly data review (S3.1), as Arrow tables and as CSV and Parquet files.

Ops, design, customer service and supply chain meet once a week around the same numbers:
KPI trends with their abnormal days, the funnel, cohorts, segment sizes, personas, ABC × XYZ,
basket rules and customer value. This module assembles those tables for a range of whole weeks
from the store analyses, so the page that charts them (later) and an analyst opening the CSV
files read the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from storeloop.analytics.abc_xyz import abc_xyz
from storeloop.analytics.anomalies import DEFAULT_KPIS, Anomaly, find_anomalies
from storeloop.analytics.baskets import association_rules
from storeloop.analytics.clv import customer_summaries, fit_and_predict, prediction_schema
from storeloop.analytics.cohorts import cohorts
from storeloop.analytics.errors import InputError
from storeloop.analytics.exprs import on_or_before
from storeloop.analytics.funnels import funnel
from storeloop.analytics.kpis import Dimension, kpis
from storeloop.analytics.personas import persona_preferences
from storeloop.analytics.segments import rfm
from storeloop.analytics.store import Fact, StoreTables

REVIEW_WEEKS = 12
CLV_HORIZON_WEEKS = 52


ANOMALY_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("kpi", pa.string()),
        ("value", pa.float64()),
        ("baseline", pa.float64()),
        ("z", pa.float64()),
        ("direction", pa.string()),
        ("cause_dimension", pa.string()),
        ("cause_segment", pa.string()),
        ("cause_explained", pa.float64()),
        ("funnel_step", pa.string()),
        ("funnel_step_change", pa.float64()),
    ]
)
"""Fixed, so a week without anomalies still writes a file with the columns."""
NOTES_SCHEMA = pa.schema([("table", pa.string()), ("note", pa.string())])
"""Why a table is empty: read next to the figures, not buried in a log."""


TABLE_NEEDS: dict[str, tuple[Fact, ...]] = {
    "kpis_weekly_by_channel": (Fact.CHANNELS,),
    "kpis_weekly_by_category": (Fact.CATEGORIES,),
    "kpis_weekly_by_region": (Fact.REGIONS,),
    "persona_preferences": (Fact.PROFILES, Fact.CATEGORIES),
    "abc_xyz": (Fact.LINE_AMOUNTS,),
    "basket_rules": (Fact.BASKETS,),
    "funnel": (Fact.EVENTS,),
    "funnel_by_channel": (Fact.EVENTS,),
    "funnel_by_device": (Fact.EVENTS,),
}
"""Review tables that need more than paid orders; without the fact they are skipped."""
KPI_NEEDS: dict[Fact, tuple[str, ...]] = {
    Fact.EVENTS: ("uv", "paying_visitors", "conversion_rate"),
    Fact.QUANTITIES: ("units", "returned_units", "return_rate_units"),
    Fact.RETURNS: ("returned_units", "refund_amount", "return_rate_units", "return_rate_amount"),
    Fact.REFUNDS: ("refund_amount", "return_rate_amount"),
}
"""KPI columns left empty (null, not 0) in every KPI table when the fact is missing."""
DRILL_DOWN: dict[str, Fact] = {
    "channel": Fact.CHANNELS,
    "device": Fact.DEVICES,
    "category": Fact.CATEGORIES,
}
"""The anomaly drill-down dimensions and the fact each needs."""


def weekly_review(
    tables: StoreTables,
    *,
    end: date,
    weeks: int = REVIEW_WEEKS,
    min_support: float = 0.002,
    min_rule_orders: int = 10,
    min_confidence: float = 0.1,
    top_rules: int = 50,
    top_categories: int = 3,
) -> dict[str, pa.Table]:
    """The review's tables for the ``weeks`` weeks ending on ``end`` (inclusive; a Sunday
    makes whole Monday-to-Sunday weeks).

    Trends, anomalies, funnels, ABC × XYZ and basket rules cover the range; cohorts, segments,
    personas and customer value use all history up to ``end``. A table whose data the input
    lacks (:data:`TABLE_NEEDS`, ``tables.lacks()``) is left out, KPI columns it lacks are null
    (:data:`KPI_NEEDS`), and a model that refuses to fit leaves its table empty; ``notes`` says
    why in each case.
    """
    start = review_start(end, weeks)
    lacking = tables.lacks()

    def in_range(table: ir.Table, column: str) -> ir.Table:
        day = table[column] if table[column].type().is_date() else table[column].date()
        return table.filter(day.between(start, end))

    def weekly_by(by: Dimension) -> Callable[[], ir.Table]:
        return lambda: in_range(kpis(tables, grain="week", by=by), "period")

    def events() -> ir.Table:
        return in_range(tables.events, "occurred_at")

    orders = tables.orders.filter(on_or_before(tables.orders.ordered_at, end))
    builders: dict[str, Callable[[], ir.Table]] = {
        "kpis_weekly": lambda: in_range(kpis(tables, grain="week"), "period"),
        "kpis_daily": lambda: in_range(kpis(tables), "period"),
        **{f"kpis_weekly_by_{by}": weekly_by(by) for by in ("channel", "category", "region")},
        "cohorts": lambda: cohorts(orders),
        "segments": lambda: segment_sizes(rfm(orders, as_of=end)),
        "persona_preferences": lambda: _top(persona_preferences(tables, as_of=end), top_categories),
        "abc_xyz": lambda: abc_xyz(tables.order_lines, start=start, end=end),
        # Both floors: 1% finds nothing in a shop of a few hundred SKUs (the demo's phone case
        # → screen protector pairs are in 0.3% of orders), while 0.2% of a small shop's few
        # hundred orders is a pair bought once, whose huge lift would top the list.
        "basket_rules": lambda: association_rules(
            in_range(tables.order_lines, "ordered_at"),
            min_support=min_support,
            min_confidence=min_confidence,
            min_orders=min_rule_orders,
        ).limit(top_rules),
        "funnel": lambda: funnel(events()),
        "funnel_by_channel": lambda: funnel(events(), by=["channel"]),
        "funnel_by_device": lambda: funnel(events(), by=["device"]),
    }
    notes = []
    arrow: dict[str, pa.Table] = {}
    for name, build in builders.items():
        reasons = [lacking[fact] for fact in TABLE_NEEDS.get(name, ()) if fact in lacking]
        if reasons:
            notes.append({"table": name, "note": f"skipped: {'; '.join(reasons)}"})
        else:
            arrow[name] = build().to_pyarrow()
    blank = {column for fact in lacking for column in KPI_NEEDS.get(fact, ())}
    for fact, columns in KPI_NEEDS.items():
        if fact in lacking:
            notes.append({"table": "kpis", "note": f"{', '.join(columns)} empty: {lacking[fact]}"})
    for name in [name for name in arrow if name.startswith("kpis_")]:
        arrow[name] = _blanked(arrow[name], blank)

    found = find_anomalies(
        tables,
        kpi_names=[name for name in DEFAULT_KPIS if name not in blank],
        drill_down=[dim for dim, fact in DRILL_DOWN.items() if fact not in lacking],
        end=end,
    )
    scores = found.scores
    arrow["anomaly_scores"] = scores.filter(pc.greater_equal(scores["day"], start))
    arrow["anomalies"] = _anomaly_rows([a for a in found.anomalies if a.day >= start])
    summaries = customer_summaries(orders, calibration_end=end, time_unit="week")
    try:
        arrow["clv"] = fit_and_predict(summaries, CLV_HORIZON_WEEKS)[1]
    except ValueError as refused:  # a young shop's customers may not tell the rates apart yet
        id_type = orders.schema()["customer_id"].to_pyarrow()
        arrow["clv"] = prediction_schema(id_type).empty_table()
        notes.append({"table": "clv", "note": str(refused)})
    arrow["notes"] = pa.Table.from_pylist(notes, schema=NOTES_SCHEMA)
    return arrow


def review_start(end: date, weeks: int) -> date:
    """The first day of the ``weeks`` weeks ending on ``end``."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    return end - timedelta(days=7 * weeks - 1)


def last_whole_week_end(tables: StoreTables) -> date:
    """The Sunday on or before the last day with an order: the default end of a review."""
    last = tables.orders.ordered_at.max().to_pyarrow().as_py()
    if last is None:
        raise InputError("there are no paid orders to review")
    return last.date() + timedelta(days=-((last.date().weekday() + 1) % 7))


def write_review(review: Mapping[str, pa.Table], directory: Path) -> list[Path]:
    """Each table as ``<name>.csv`` and ``<name>.parquet`` in ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in review.items():
        pacsv.write_csv(table, directory / f"{name}.csv")
        pq.write_table(table, directory / f"{name}.parquet")
        written += [directory / f"{name}.csv", directory / f"{name}.parquet"]
    return written


def segment_sizes(customers: ir.Table) -> ir.Table:
    """Customers, spend and flags per RFM segment; the share is of all scored customers."""
    sizes = customers.group_by("segment").aggregate(
        customers=customers.count(),
        monetary=customers.monetary.sum(),
        churn_risk=customers.churn_risk.sum().cast("int64"),
        dormant=customers.dormant.sum().cast("int64"),
        vip=customers.vip.sum().cast("int64"),
    )
    share = sizes.customers.cast("float64") / sizes.customers.sum().over(ibis.window())
    return sizes.mutate(share=share).order_by([ibis.desc("customers"), "segment"])


def _blanked(table: pa.Table, columns: set[str]) -> pa.Table:
    """The table with ``columns`` (those it has) null: unknown, where 0 would be a claim."""
    for index, field in enumerate(table.schema):
        if field.name in columns:
            table = table.set_column(index, field, pa.nulls(len(table), field.type))
    return table


def _top(preferences: ir.Table, top: int) -> ir.Table:
    return preferences.filter(preferences["rank"] <= top)


def _anomaly_rows(anomalies: list[Anomaly]) -> pa.Table:
    """One row per flag: what moved, and its likely cause and funnel step."""
    rows = []
    for anomaly in anomalies:
        cause = anomaly.cause
        step = next((c for c in anomaly.causes if c.dimension == "funnel"), None)
        rows.append(
            {
                "day": anomaly.day,
                "kpi": anomaly.kpi,
                "value": anomaly.value,
                "baseline": anomaly.baseline,
                "z": anomaly.z,
                "direction": anomaly.direction,
                "cause_dimension": cause.dimension if cause else None,
                "cause_segment": cause.segment if cause else None,
                "cause_explained": cause.explained if cause else None,
                "funnel_step": step.segment if step else None,
                "funnel_step_change": step.explained if step else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=ANOMALY_SCHEMA)

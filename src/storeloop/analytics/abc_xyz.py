"""ABC × XYZ per SKU, mapped to the stocking policy of S1.3a.

ABC says how much a SKU matters (its share of revenue), XYZ how predictable its demand is (the
coefficient of variation of its weekly units). Together they say how to stock it: the few SKUs
that make most of the revenue are stocked amply, the middle is bought in small test batches,
and the long tail is not stocked at all but drop-shipped (一件代发). Definitions are in
docs/analytics.md ("ABC × XYZ").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from storeloop.analytics.canonical import DECIMAL_TYPE
from storeloop.analytics.exprs import ratio
from storeloop.analytics.periods import week_start

ABC_SHARES = (0.80, 0.15, 0.05)
XYZ_LIMITS = (0.5, 1.0)
"""Largest coefficient of variation of weekly units for X, then for Y; above is Z."""
POLICIES = {"A": "stock_amply", "B": "small_test_batches", "C": "drop_ship"}


def abc_xyz(
    lines: ir.Table,
    *,
    start: date,
    end: date,
    abc: Sequence[float] = ABC_SHARES,
    xyz: Sequence[float] = XYZ_LIMITS,
) -> ir.Table:
    """One row per SKU sold between ``start`` and ``end`` (inclusive dates).

    ``lines`` needs sku, ordered_at, quantity, amount (and category, kept when present).
    Columns: sku, [category], revenue, revenue_share, cumulative_share (this SKU included),
    abc, units, weeks (in the range), weeks_with_sales, mean_weekly_units, cv, xyz,
    abc_xyz ("AX"), policy. Sorted by revenue, largest first.
    """
    a_share, b_share, _ = _shares(abc)
    x_limit, y_limit = xyz
    if not 0 <= x_limit <= y_limit:
        raise ValueError(f"XYZ limits must satisfy 0 <= X <= Y, got {tuple(xyz)}")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    weeks = (week_start(end) - week_start(start)).days // 7 + 1
    keys = ["sku", *(["category"] if "category" in lines.columns else [])]
    kept = lines.filter(lines.ordered_at.date().between(start, end))
    weekly = kept.group_by([*keys, kept.ordered_at.truncate("W").name("week")]).aggregate(
        units=kept.quantity.sum(), revenue=kept.amount.sum()
    )
    per = weekly.group_by(keys).aggregate(
        revenue=weekly.revenue.sum().cast(DECIMAL_TYPE),
        units=weekly.units.sum(),
        squares=(weekly.units * weekly.units).sum(),
        weeks_with_sales=weekly.count(),
    )
    ranking = ibis.window(order_by=[ibis.desc("revenue"), "sku"], preceding=None, following=0)
    total = per.revenue.sum().over(ibis.window())
    running = per.revenue.sum().over(ranking)
    mean = per.units.cast("float64") / weeks
    variance = ibis.greatest(per.squares.cast("float64") / weeks - mean * mean, 0.0)
    per = per.mutate(
        revenue_share=ratio(per.revenue, total),
        cumulative_share=ratio(running, total),
        abc=ibis.cases(
            (_below(running - per.revenue, total, a_share), "A"),
            (_below(running - per.revenue, total, a_share + b_share), "B"),
            else_="C",
        ),
        mean_weekly_units=mean,
        cv=variance.sqrt() / mean.nullif(0.0),
    )
    per = per.mutate(xyz=ibis.cases((per.cv <= x_limit, "X"), (per.cv <= y_limit, "Y"), else_="Z"))
    return per.select(
        *keys,
        "revenue",
        "revenue_share",
        "cumulative_share",
        "abc",
        per.units.cast("int64").name("units"),
        weeks=ibis.literal(weeks, "int64"),
        weeks_with_sales=per.weeks_with_sales.cast("int64"),
        mean_weekly_units=per.mean_weekly_units,
        cv=per.cv,
        xyz=per.xyz,
        abc_xyz=per.abc + per.xyz,
        policy=per.abc.substitute(POLICIES),
    ).order_by([ibis.desc("revenue"), "sku"])


def _shares(abc: Sequence[float]) -> tuple[float, float, float]:
    if len(abc) != 3 or any(share <= 0 for share in abc) or abs(sum(abc) - 1) > 1e-9:
        raise ValueError(f"ABC shares must be three positive shares adding up to 1, got {abc}")
    return abc[0], abc[1], abc[2]


def _below(amount: ir.DecimalValue, total: ir.DecimalValue, share: float) -> ir.BooleanValue:
    """amount < share × total, exactly: in millionths, as decimals times whole numbers, so a SKU
    right on a boundary is classed the same on every engine (0.8 is not exact in binary)."""
    millionths = round(share * 1_000_000)
    return amount * 1_000_000 < total * millionths

"""Small Ibis expression helpers the store analyses share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import ibis
import ibis.expr.types as ir


def left_join_using(left: ir.Table, right: ir.Table, keys: str | Sequence[str]) -> ir.Table:
    """A left join on equal-named keys without the right side's ``<key>_right`` copies.

    Ibis keeps both key columns of an outer join because the right one may be null; on a left
    join the left one is the answer, and the copy would only collide in the next join.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    joined = left.left_join(right, keys)
    return joined.drop(*(f"{key}_right" for key in keys if f"{key}_right" in joined.columns))


def ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """A float ratio, null (not an error or infinity) when the denominator is zero or unknown."""
    return numerator.cast("float64") / denominator.nullif(0).cast("float64")


def on_or_before(at: ir.TimestampValue, day: date) -> ir.BooleanValue:
    """``at.date() <= day``, said as ``at < the next midnight``.

    The same rows, but the engine compares timestamps instead of casting each to a date, and
    DuckDB can still drop an unused left join under the filter (it cannot under the cast).
    """
    return at < ibis.literal(datetime.combine(day + timedelta(days=1), time()))

"""Core store KPIs (S1.4a) by day or week, overall or by channel, device, category or region.

Counts come from two sources that never mix inside one number: visitors from the event stream,
sales from paid orders. Each source is counted in the engine per (period, segment), the two
stacks are combined, and only then are the rates taken, so a rate is always a ratio of two
counts over the same period and segment. Definitions are in docs/analytics.md ("Store KPIs").
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from storeloop.analytics.canonical import DECIMAL_TYPE
from storeloop.analytics.exprs import left_join_using, ratio
from storeloop.analytics.periods import Grain, period_start
from storeloop.analytics.store import StoreTables
from storeloop.analytics.vocabulary import DIMENSIONS, Dimension

VISITOR_COUNTS = ("uv", "paying_visitors")
SALE_COUNTS = (
    "paying_customers",
    "orders",
    "repeat_customers",
    "gmv",
    "units",
    "returned_units",
    "refund_amount",
)
RATES: dict[str, tuple[str, str]] = {
    "conversion_rate": ("paying_visitors", "uv"),
    "aov": ("gmv", "paying_customers"),
    "gmv_per_order": ("gmv", "orders"),
    "repurchase_rate": ("repeat_customers", "paying_customers"),
    "return_rate_units": ("returned_units", "units"),
    "return_rate_amount": ("refund_amount", "gmv"),
}
"""Each rate as (numerator, denominator); the anomaly drill-down weighs segments by these."""
MONEY = frozenset({"gmv", "refund_amount"})


def kpis(tables: StoreTables, *, grain: Grain = "day", by: Dimension | None = None) -> ir.Table:
    """One row per period (and segment of ``by``): the counts, GMV and the rates of :data:`RATES`.

    Periods with neither an event nor an order do not appear. Without an event stream the
    visitor columns (uv, paying_visitors, conversion_rate) are null.
    """
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}, got {by!r}")
    keys = ["period", *([by] if by else [])]
    stacks = [_sale_counts(tables, grain, by, keys)]
    if tables.events is not None:
        stacks.append(_visitor_counts(tables, grain, by, keys))
    stacked = ibis.union(*(_with_all_counts(stack, keys) for stack in stacks))
    counted_columns = [*SALE_COUNTS, *(VISITOR_COUNTS if tables.events is not None else ())]
    counts = stacked.group_by(keys).aggregate(
        **{name: stacked[name].max() for name in (*VISITOR_COUNTS, *SALE_COUNTS)}
    )
    counts = counts.mutate(**{name: counts[name].fill_null(0) for name in counted_columns})
    rates = {
        name: ratio(counts[numerator], counts[denominator])
        for name, (numerator, denominator) in RATES.items()
    }
    return counts.mutate(**rates).order_by(keys)


def event_segments(tables: StoreTables, by: Dimension | None) -> ir.Table:
    """Events with the segment of ``by`` as a column of that name.

    A payment event names no SKU, so for categories it takes each category of the order it paid
    for. A visitor's region is that of the customer they are known as on any of their events
    (the highest customer id if several), on all their events; null if always anonymous.
    """
    events = tables.events
    if events is None:
        raise ValueError("the store has no event stream")
    if by == "category":
        paid_categories = tables.order_lines.select("order_id", "category").distinct()
        payments = events.filter(events.event == "payment").drop("category")
        payments = payments.join(paid_categories, "order_id").select(events.columns)
        return events.filter(events.category.notnull()).union(payments)
    if by == "region":
        known = events.filter(events.customer_id.notnull())
        visitors = known.group_by("visitor_id").aggregate(customer_id=known.customer_id.max())
        regions = visitors.join(tables.customers.select("customer_id", "region"), "customer_id")
        return left_join_using(events, regions.select("visitor_id", "region"), "visitor_id")
    return events


def _visitor_counts(
    tables: StoreTables, grain: Grain, by: Dimension | None, keys: list[str]
) -> ir.Table:
    events = event_segments(tables, by)
    events = events.mutate(period=period_start(events.occurred_at, grain))
    return events.group_by(keys).aggregate(
        uv=events.visitor_id.nunique(),
        paying_visitors=events.visitor_id.nunique(where=events.event == "payment"),
    )


def _sale_counts(
    tables: StoreTables, grain: Grain, by: Dimension | None, keys: list[str]
) -> ir.Table:
    """Counts over sale facts: a row per order, or per (order, category) when ``by`` is category.

    A customer's order is a repeat when it is not their first paid order ever (earliest time,
    then lowest order id), whether the earlier one fell in this period or before it.
    """
    orders = tables.orders
    first = ibis.window(group_by=orders.customer_id, order_by=[orders.ordered_at, orders.order_id])
    orders = orders.mutate(repeat=ibis.row_number().over(first) > 0)
    fact_keys = ["order_id", "category"] if by == "category" else ["order_id"]
    lines = tables.order_lines
    line_sums = lines.group_by(fact_keys).aggregate(
        units=lines.quantity.sum(), line_amount=lines.amount.sum()
    )
    if by == "category":
        sold = orders.select("order_id", "customer_id", "ordered_at", "repeat")
        facts = line_sums.join(sold, "order_id").rename(sale_amount="line_amount")
    else:
        facts = left_join_using(orders, line_sums, "order_id").rename(sale_amount="amount")
    if tables.returns is not None:
        returns = tables.returns
        returned = returns.group_by(fact_keys).aggregate(
            returned_units=returns.quantity.sum(), refunded=returns.amount.sum()
        )
        facts = left_join_using(facts, returned, fact_keys)
    else:
        facts = facts.mutate(returned_units=ibis.null("int64"), refunded=ibis.null(DECIMAL_TYPE))
    facts = facts.mutate(period=period_start(facts.ordered_at, grain))
    return facts.group_by(keys).aggregate(
        paying_customers=facts.customer_id.nunique(),
        orders=facts.order_id.nunique(),
        repeat_customers=facts.customer_id.nunique(where=facts.repeat),
        gmv=facts.sale_amount.sum(),
        units=facts.units.sum(),
        returned_units=facts.returned_units.sum(),
        refund_amount=facts.refunded.sum(),
    )


def _with_all_counts(stack: ir.Table, keys: list[str]) -> ir.Table:
    """Every count column in one order and type, null where this stack does not count it."""

    def column(name: str) -> ir.Value:
        dtype = DECIMAL_TYPE if name in MONEY else "int64"
        return stack[name].cast(dtype) if name in stack.columns else ibis.null(dtype)

    return stack.select(*keys, **{name: column(name) for name in (*VISITOR_COUNTS, *SALE_COUNTS)})

"""Acquisition cohorts: customers grouped by the month of their first paid order.

Retention here is the share of a cohort that orders again in a given calendar month after the
first — the question "of January's new buyers, how many bought in March?" — so months are
calendar months, not 30-day spans, and a customer counts once per month however often they buy.
"""

from __future__ import annotations

import ibis.expr.types as ir

from storeloop.analytics.exprs import ratio
from storeloop.analytics.periods import month_number


def cohorts(orders: ir.Table) -> ir.Table:
    """One row per (cohort, months_since) that has at least one order.

    ``orders`` needs customer_id, ordered_at and amount (the paid orders of
    :class:`~storeloop.analytics.store.StoreTables`, or canonical transactions). Columns:
    cohort (first day of the acquisition month), months_since (0 = the acquisition month),
    cohort_customers, customers (those ordering in that month), retention
    (customers / cohort_customers), revenue, revenue_per_customer (revenue / cohort_customers:
    what an acquired customer is worth in that month, comparable across cohorts).
    """
    month = month_number(orders.ordered_at)
    dated = orders.mutate(
        month=month,
        first_month=month.min().over(group_by=orders.customer_id),
        cohort=orders.ordered_at.min().over(group_by=orders.customer_id).truncate("M").date(),
    )
    sizes = dated.group_by("cohort").aggregate(cohort_customers=dated.customer_id.nunique())
    active = dated.group_by("cohort", months_since=dated.month - dated.first_month).aggregate(
        customers=dated.customer_id.nunique(), revenue=dated.amount.sum()
    )
    table = active.join(sizes, "cohort")
    return table.select(
        "cohort",
        table.months_since.cast("int64").name("months_since"),
        "cohort_customers",
        "customers",
        retention=ratio(table.customers, table.cohort_customers),
        revenue=table.revenue,
        revenue_per_customer=ratio(table.revenue, table.cohort_customers),
    ).order_by(["cohort", "months_since"])

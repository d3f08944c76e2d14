"""RFM scores, named segments, churn flags and VIPs — the customer lists marketing acts on.

Scores are quintiles of customers, and a tie never splits: two customers with the same recency,
frequency or spend always get the same score, so a list handed to a campaign does not depend on
the engine's row order. Definitions are in docs/analytics.md ("Customer segments").
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from storeloop.analytics.exprs import on_or_before, ratio
from storeloop.analytics.vocabulary import SEGMENTS

CHURN_RISK_DAYS = 30
"""S1.4d: no purchase for 30 days earns an exclusive discount."""
DORMANT_DAYS = 60
VIP_SHARE = 0.2
"""S1.4e: the top 20% of customers by average order value get the VIP service package."""


def value_ranks(table: ir.Table, column: str, *, descending: bool = False) -> ir.Table:
    """Per distinct value of ``column``: ``before``, the rows with a value strictly before it
    (ascending or descending), and ``total``, all rows.

    Counting rows per value and summing the counts of the values before it ranks each distinct
    value once instead of sorting every row: a day count or an order count takes a few thousand
    values, a customer's spend or AOV a tenth or a fifth as many as there are customers.
    Columns: ``column``, ``before``, ``total``.
    """
    counts = table.group_by(column).aggregate(rows=table.count())
    order = ibis.desc(column) if descending else ibis.asc(column)
    # Rows of the values strictly before: the running total up to this value, less its own.
    before = counts.rows.cumsum(order_by=order) - counts.rows
    return counts.select(column, before=before, total=counts.rows.sum().over(ibis.window()))


def value_scores(
    table: ir.Table, column: str, groups: int, *, descending: bool = False
) -> ir.Table:
    """``column`` → 1 … ``groups`` by rank of the value, ascending or, to favour small values,
    descending.

    score = 1 + ⌊groups × r / n⌋ with r the rows ranked strictly before (ties take the lowest
    rank of their group) and n all rows: equal values share a score, and a value shared by
    many rows keeps them all in the lower group. Columns: ``column``, ``<column>_score``.
    """
    ranks = value_ranks(table, column, descending=descending)
    score = (ranks.before * groups / ranks.total).floor().cast("int64") + 1
    return ranks.select(column, **{f"{column}_score": score})


def rfm(
    orders: ir.Table,
    *,
    as_of: date,
    churn_risk_days: int = CHURN_RISK_DAYS,
    dormant_days: int = DORMANT_DAYS,
    vip_share: float = VIP_SHARE,
) -> ir.Table:
    """One row per customer with a paid order on or before ``as_of``.

    ``orders`` has a row per order: customer_id, ordered_at, amount. Columns: customer_id,
    last_order (date), recency_days (as_of − last_order), frequency (orders), monetary (their
    total), aov (monetary / frequency), r_score, f_score, m_score (1–5), rfm ("545"),
    segment (:data:`SEGMENTS`), churn_risk (recency ≥ ``churn_risk_days``), dormant (recency ≥
    ``dormant_days``; a dormant customer is also at churn risk), vip.
    """
    if not 0 < vip_share <= 1:
        raise ValueError(f"vip_share must be in (0, 1], got {vip_share}")
    kept = orders.filter(on_or_before(orders.ordered_at, as_of))
    per = kept.group_by("customer_id").aggregate(
        last_order=kept.ordered_at.max().date(),
        frequency=kept.count(),
        monetary=kept.amount.sum(),
    )
    recency = ibis.literal(as_of).epoch_days() - per.last_order.epoch_days()
    per = per.mutate(recency_days=recency.cast("int64"), aov=ratio(per.monetary, per.frequency))
    # Customers with a strictly higher AOV are fewer than the VIP share.
    aov = value_ranks(per, "aov", descending=True)
    scored = (
        per.join(value_scores(per, "recency_days", 5, descending=True), "recency_days")
        .join(value_scores(per, "frequency", 5), "frequency")
        .join(value_scores(per, "monetary", 5), "monetary")
        .join(aov.select("aov", vip=aov.before < aov.total * vip_share), "aov")
        .rename(r_score="recency_days_score", f_score="frequency_score", m_score="monetary_score")
    )
    segment = ibis.cases(
        *(
            (scored.r_score.between(*r) & scored.f_score.between(*f), name)
            for name, r, f in SEGMENTS
        )
    )
    return scored.select(
        "customer_id",
        "last_order",
        "recency_days",
        scored.frequency.cast("int64").name("frequency"),
        "monetary",
        "aov",
        "r_score",
        "f_score",
        "m_score",
        rfm=(scored.r_score * 100 + scored.f_score * 10 + scored.m_score).cast("string"),
        segment=segment,
        churn_risk=scored.recency_days >= churn_risk_days,
        dormant=scored.recency_days >= dormant_days,
        vip=scored.vip,
    ).order_by("customer_id")

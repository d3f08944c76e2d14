"""Personas — region × age band × spending level — and what each buys more than others (S1.4c).

A persona's favourite category by raw share is nearly always the shop's best seller, which
tells selection nothing. What drives selection ("southern users want dehumidifiers in summer")
is *lift*: how much more of its spend a persona puts in a category than all customers do in the
same season. Definitions are in docs/analytics.md ("Personas").
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from storeloop.analytics.exprs import on_or_before, ratio
from storeloop.analytics.segments import rfm, value_scores
from storeloop.analytics.store import StoreTables

AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "18-24"),
    (25, "25-29"),
    (30, "30-34"),
    (35, "35-44"),
    (45, "45-54"),
    (55, "55+"),
)
"""Lower bound (years) and label, the demo store's bands; younger is "<18", no birth date
"unknown"."""
SPENDING_LEVELS = ("low", "mid", "high")
"""Terciles of customers by total spend, ties kept together as in RFM scores."""
SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring"}
SEASONS |= {6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}
"""Meteorological seasons of the northern hemisphere, by month."""
PERSONA = ("region", "age_band", "spending_level")


def customer_personas(tables: StoreTables, *, as_of: date) -> ir.Table:
    """Each customer with a paid order on or before ``as_of``: customer_id, region, age_band
    (age on ``as_of``), spending_level, monetary."""
    spend = rfm(tables.orders, as_of=as_of).select("customer_id", "monetary")
    spend = spend.join(value_scores(spend, "monetary", len(SPENDING_LEVELS)), "monetary")
    level = spend.monetary_score
    spend = spend.mutate(
        spending_level=ibis.cases(
            *((level == i + 1, name) for i, name in enumerate(SPENDING_LEVELS))
        )
    )
    people = tables.customers.select("customer_id", "region", "birth_date")
    joined = spend.join(people, "customer_id")
    return joined.select(
        "customer_id",
        "region",
        age_band=_age_band(joined.birth_date, as_of),
        spending_level=joined.spending_level,
        monetary=joined.monetary,
    )


def persona_preferences(
    tables: StoreTables, *, as_of: date, by_season: bool = True, min_customers: int = 5
) -> ir.Table:
    """Per persona (and season of the purchase), each category's spend share and lift.

    Columns: region, age_band, spending_level, [season], category, customers (of the persona
    buying it), spend, share (of the persona's spend), overall_share (of everyone's spend in
    that season), lift (share / overall_share), rank (1 = highest lift, then spend, then
    category). A category bought by fewer than ``min_customers`` of the persona is left out:
    one customer's purchase is not a preference.
    """
    personas = customer_personas(tables, as_of=as_of).drop("monetary")
    lines = tables.order_lines.filter(on_or_before(tables.order_lines.ordered_at, as_of))
    if by_season:
        month = lines.ordered_at.month()
        lines = lines.mutate(
            season=ibis.cases(*((month == m, name) for m, name in SEASONS.items()))
        )
    period = ["season"] if by_season else []
    bought = lines.join(personas, "customer_id")
    spend = bought.group_by([*PERSONA, *period, "category"]).aggregate(
        customers=bought.customer_id.nunique(), spend=bought.amount.sum()
    )
    overall = lines.group_by([*period, "category"]).aggregate(category_spend=lines.amount.sum())
    overall = overall.mutate(
        overall_share=ratio(
            overall.category_spend, overall.category_spend.sum().over(group_by=period)
        )
    ).drop("category_spend")
    persona_spend = spend.spend.sum().over(group_by=[*PERSONA, *period])
    shares = spend.mutate(share=ratio(spend.spend, persona_spend))
    shares = shares.join(overall, [*period, "category"])
    shares = shares.filter(shares.customers >= min_customers)
    shares = shares.mutate(lift=shares.share / shares.overall_share)
    order = ibis.window(
        group_by=[*PERSONA, *period],
        order_by=[ibis.desc("lift"), ibis.desc("spend"), "category"],
    )
    ranked = shares.mutate(rank=ibis.row_number().over(order) + 1)
    return ranked.select(
        *PERSONA,
        *period,
        "category",
        ranked.customers.cast("int64").name("customers"),
        "spend",
        "share",
        "overall_share",
        "lift",
        "rank",
    ).order_by([*PERSONA, *period, "rank"])


def _age_band(birth_date: ir.DateValue, as_of: date) -> ir.StringValue:
    """Whole years on ``as_of``: one less when the birthday has not yet come that year."""
    before_birthday = birth_date.month() * 100 + birth_date.day() > as_of.month * 100 + as_of.day
    age = as_of.year - birth_date.year() - before_birthday.cast("int64")
    bands = [(age >= low, label) for low, label in reversed(AGE_BANDS)]
    return ibis.cases(*bands, (age.notnull(), "<18"), else_="unknown")

"""Market baskets: association rules over pairs and triples, and "frequently bought together".

The definitions are apriori's (as in mlxtend): a basket is the set of distinct SKUs of an order,
support(X) = share of baskets containing every item of X, confidence(A→C) = support(A∪C) /
support(A), lift(A→C) = confidence(A→C) / support(C). Instead of a dense order × SKU one-hot
table, which grows with orders × catalogue size, the engine collects each order's SKUs into one
basket row (an array of small integers that number the SKUs), counts the pairs and triples
inside each basket by unnesting it, and prunes the apriori way: a pair is only counted from
frequent SKUs, a triple only when all three of its pairs are frequent. Orders are grouped once;
no join on the order id is needed after that, and every count compares integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import ibis
import ibis.expr.types as ir

from storeloop.analytics.engines import hold_arrow

SEPARATOR = "|"
"""Joins the SKUs of an itemset, in sorted order, e.g. ``CASE-1|FILM-1``."""
RULE_COLUMNS = ("antecedents", "consequents", "support", "confidence", "lift")


@dataclass(frozen=True)
class Baskets:
    """The baskets of some transactions, held by the engine.

    ``skus``: item (0, 1, … in the SKUs' sort order, so comparing numbers compares SKUs), sku.
    ``baskets``: items (the distinct item numbers of one order), one row per order with a SKU.
    ``count``: the number of baskets, N.
    """

    skus: ir.Table
    baskets: ir.Table
    count: int

    @classmethod
    def of(cls, transactions: ir.Table) -> Baskets:
        lines = transactions.filter(transactions.order_id.notnull() & transactions.sku.notnull())
        names = lines.select("sku").distinct()
        skus = names.select("sku", item=ibis.row_number().over(order_by="sku")).cache()
        coded = lines.select("order_id", "sku").join(skus, "sku")
        baskets = (
            coded.group_by("order_id")
            .aggregate(items=_distinct(coded.item.collect(), coded))
            .select("items")
            .cache()
        )
        return cls(skus, baskets, int(baskets.count().to_pyarrow().as_py()))

    def item_counts(self) -> ir.Table:
        """item, orders: the baskets holding each SKU."""
        items = self.baskets.select(item=self.baskets.items.unnest())
        return items.group_by("item").aggregate(orders=items.count())

    def pairs(self, frequent: ir.Table | None = None) -> ir.Table:
        """One row per basket and pair of its items item_1 < item_2, with the basket's items;
        only items of ``frequent`` (a table with column ``item``) when given."""
        rows = self.baskets.filter(self.baskets.items.length() >= 2)
        rows = rows.select("items", item_1=rows.items.unnest())
        if frequent is not None:
            rows = rows.semi_join(frequent, rows.item_1 == frequent.item)
        rows = rows.select("items", "item_1", item_2=rows.items.unnest())
        rows = rows.filter(rows.item_1 < rows.item_2)
        if frequent is not None:
            rows = rows.semi_join(frequent, rows.item_2 == frequent.item)
        return rows

    def least_orders(self, min_support: float) -> int:
        """The fewest baskets an itemset must be in: the least c with c / N ≥ min_support, the
        ratio computed as apriori (and mlxtend) computes support, one float division."""
        least = math.ceil(Fraction(min_support) * self.count)
        while least > 0 and (least - 1) / self.count >= min_support:
            least -= 1
        return max(least, 1)

    def named(self, counted: ir.Table, columns: list[str]) -> ir.Table:
        """``counted`` with each item-number column replaced by its SKU."""
        for column in columns:
            name = self.skus.select(**{column: "item", f"{column}_sku": "sku"})
            counted = counted.join(name, column).drop(column).rename({column: f"{column}_sku"})
        return counted


def association_rules(
    transactions: ir.Table, *, min_support: float, min_confidence: float, min_orders: int = 1
) -> ir.Table:
    """Rules A → C from frequent itemsets of two and three SKUs, best lift first.

    Columns: antecedents, consequents, support, confidence, lift (itemsets joined by ``|``).
    Confidence is the ratio of the two itemsets' basket counts, one division of integers, so
    a rule at exactly ``min_confidence`` is kept. ``min_orders``: see :func:`frequent_itemsets`.
    """
    _check_share("min_confidence", min_confidence)
    # The itemsets are few (at most a few thousand rows): fetched once and handed back to the
    # engine as a table of their own, for the rules to read ten times. A cached query would
    # keep its whole plan, which Spark analyses again for each of the ten reads (on a union
    # of eight reads it ran out of memory).
    found = frequent_itemsets(
        transactions, min_support=min_support, min_orders=min_orders
    ).to_pyarrow()
    itemsets = hold_arrow(transactions._find_backend(use_default=True), "itemsets", found)
    pairs = itemsets.filter(itemsets.size == 2)
    triples = itemsets.filter(itemsets.size == 3)
    candidates = ibis.union(
        _rules(pairs, ["item_1"], ["item_2"]),
        _rules(pairs, ["item_2"], ["item_1"]),
        _rules(triples, ["item_1"], ["item_2", "item_3"]),
        _rules(triples, ["item_2"], ["item_1", "item_3"]),
        _rules(triples, ["item_3"], ["item_1", "item_2"]),
        _rules(triples, ["item_1", "item_2"], ["item_3"]),
        _rules(triples, ["item_1", "item_3"], ["item_2"]),
        _rules(triples, ["item_2", "item_3"], ["item_1"]),
    )
    counts = itemsets.select(
        key=itemsets.itemset, key_orders=itemsets.orders, key_support=itemsets.support
    )
    antecedent = counts.rename(
        antecedents="key", antecedent_orders="key_orders", antecedent_support="key_support"
    )
    consequent = counts.rename(
        consequents="key", consequent_orders="key_orders", consequent_support="key_support"
    )
    joined = candidates.join(antecedent, "antecedents").join(consequent, "consequents")
    confidence = joined.orders.cast("float64") / joined.antecedent_orders.cast("float64")
    rules = joined.select(
        "antecedents",
        "consequents",
        "support",
        confidence=confidence,
        lift=confidence / joined.consequent_support,
    )
    return rules.filter(rules.confidence >= min_confidence).order_by(
        [ibis.desc("lift"), ibis.desc("confidence"), "antecedents", "consequents"]
    )


def frequent_itemsets(
    transactions: ir.Table, *, min_support: float, min_orders: int = 1
) -> ir.Table:
    """Itemsets of one to three SKUs in at least ``min_support`` of the baskets and in at
    least ``min_orders`` of them (a share alone, low enough for a big shop, lets a small shop's
    pair bought once through).

    Columns: itemset (SKUs joined by ``|``), size, item_1 ≤ item_2 ≤ item_3 (null beyond size),
    orders (baskets containing the itemset), support.
    """
    _check_share("min_support", min_support)
    if min_orders < 1:
        raise ValueError(f"min_orders must be at least 1, got {min_orders}")
    held = Baskets.of(transactions)
    least = max(held.least_orders(min_support), min_orders)

    singles = held.item_counts()
    singles = singles.filter(singles.orders >= least).cache()
    pair_rows = held.pairs(singles.select("item"))
    pairs = pair_rows.group_by(["item_1", "item_2"]).aggregate(orders=pair_rows.count())
    pairs = pairs.filter(pairs.orders >= least).cache()

    # A triple needs three frequent items: extend each frequent pair (item_1, item_2) of a
    # basket by a later item of the same basket, and keep it when (item_1, item_3) and
    # (item_2, item_3) are frequent pairs too.
    keys = pairs.select("item_1", "item_2")
    rows = pair_rows.filter(pair_rows.items.length() >= 3).semi_join(keys, ["item_1", "item_2"])
    rows = rows.select("item_1", "item_2", item_3=rows.items.unnest())
    rows = rows.filter(rows.item_3 > rows.item_2)
    rows = rows.semi_join(keys.rename(item_3="item_2"), ["item_1", "item_3"])
    rows = rows.semi_join(keys.rename(item_2="item_1", item_3="item_2"), ["item_2", "item_3"])
    triples = rows.group_by(["item_1", "item_2", "item_3"]).aggregate(orders=rows.count())
    triples = triples.filter(triples.orders >= least)

    singles = held.named(singles.rename(item_1="item"), ["item_1"])
    pairs = held.named(pairs, ["item_1", "item_2"])
    triples = held.named(triples, ["item_1", "item_2", "item_3"])
    no_item = ibis.null("string")
    return ibis.union(
        singles.select(
            itemset=singles.item_1,
            size=ibis.literal(1, "int8"),
            item_1=singles.item_1,
            item_2=no_item,
            item_3=no_item,
            orders=singles.orders,
            support=_support(singles.orders, held.count),
        ),
        pairs.select(
            itemset=pairs.item_1 + SEPARATOR + pairs.item_2,
            size=ibis.literal(2, "int8"),
            item_1=pairs.item_1,
            item_2=pairs.item_2,
            item_3=no_item,
            orders=pairs.orders,
            support=_support(pairs.orders, held.count),
        ),
        triples.select(
            itemset=triples.item_1 + SEPARATOR + triples.item_2 + SEPARATOR + triples.item_3,
            size=ibis.literal(3, "int8"),
            item_1=triples.item_1,
            item_2=triples.item_2,
            item_3=triples.item_3,
            orders=triples.orders,
            support=_support(triples.orders, held.count),
        ),
    )


def bought_together(transactions: ir.Table, *, top_k: int = 5, min_orders: int = 2) -> ir.Table:
    """For each SKU, the ``top_k`` SKUs most often in the same basket (phone case → screen film).

    Ranked by confidence (share of the SKU's baskets that also hold the other), then lift, then
    SKU. Pairs seen in fewer than ``min_orders`` baskets are left out: one shared basket is
    chance, not a recommendation. Columns: sku, rank, together_sku, orders, confidence, lift.
    """
    if top_k < 1 or min_orders < 1:
        raise ValueError("top_k and min_orders must be at least 1")
    held = Baskets.of(transactions)
    rows = held.pairs()
    pairs = rows.group_by(["item_1", "item_2"]).aggregate(orders=rows.count())
    pairs = pairs.filter(pairs.orders >= min_orders)
    both = ibis.union(
        pairs.select(item="item_1", together="item_2", orders="orders"),
        pairs.select(item="item_2", together="item_1", orders="orders"),
    )
    counts = held.item_counts()
    with_sizes = both.join(counts.rename(sku_baskets="orders"), "item").join(
        counts.rename(together="item", together_baskets="orders"), "together"
    )
    with_sizes = held.named(with_sizes, ["item", "together"]).rename(
        sku="item", together_sku="together"
    )
    confidence = with_sizes.orders.cast("float64") / with_sizes.sku_baskets
    scored = with_sizes.select(
        "sku",
        "together_sku",
        "orders",
        confidence=confidence,
        lift=confidence * held.count / with_sizes.together_baskets,
    )
    ranking = ibis.window(
        group_by="sku",
        order_by=[ibis.desc("confidence"), ibis.desc("lift"), "together_sku"],
    )
    ranked = scored.mutate(rank=ibis.row_number().over(ranking) + 1)
    return (
        ranked.filter(ranked["rank"] <= top_k)
        .select("sku", "rank", "together_sku", "orders", "confidence", "lift")
        .order_by(["sku", "rank"])
    )


def basket_items(transactions: ir.Table) -> ir.Table:
    """One row per (order, SKU): quantities and repeated lines do not matter to a basket."""
    lines = transactions.filter(transactions.order_id.notnull() & transactions.sku.notnull())
    return lines.select("order_id", "sku").distinct()


def _distinct(items: ir.ArrayValue, table: ir.Table) -> ir.ArrayValue:
    """The distinct elements of an array (an order may list a SKU on several lines).

    Ibis writes this for DuckDB with a lambda in a syntax DuckDB 2 refuses; DuckDB's own
    ``list_distinct`` does it. Collecting distinct values instead takes twice as long.
    """
    if table._find_backend(use_default=True).name != "duckdb":
        return items.unique()
    list_distinct = ibis.udf.scalar.builtin(
        lambda items: None,  # the body of a built-in function is never called
        name="list_distinct",
        signature=((items.type(),), items.type()),
    )
    return list_distinct(items)


def _support(orders: ir.IntegerValue, baskets: int) -> ir.FloatingValue:
    """orders / N as one float division, as apriori computes it."""
    return orders.cast("float64") / ibis.literal(max(baskets, 1), "float64")


def _rules(itemsets: ir.Table, antecedent: list[str], consequent: list[str]) -> ir.Table:
    return itemsets.select(
        antecedents=_joined(itemsets, antecedent),
        consequents=_joined(itemsets, consequent),
        orders=itemsets.orders,
        support=itemsets.support,
    )


def _joined(itemsets: ir.Table, columns: list[str]) -> ir.StringValue:
    value = itemsets[columns[0]]
    for column in columns[1:]:
        value = value + SEPARATOR + itemsets[column]
    return value


def _check_share(name: str, value: float) -> None:
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")

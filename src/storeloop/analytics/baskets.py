"""Market baskets: association rules over pairs and triples, and "frequently bought together".

The definitions are apriori's (as in mlxtend): a basket is the set of distinct SKUs of an order,
support(X) = share of baskets containing every item of X, confidence(A→C) = support(A∪C) /
support(A), lift(A→C) = confidence(A→C) / support(C). Instead of a dense order × SKU one-hot
table, which grows with orders × catalogue size, itemsets are counted by self-joins of the
(order, SKU) pairs in the engine, pruned the apriori way: a pair is only counted from frequent
SKUs, a triple only when all three of its pairs are frequent.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

SEPARATOR = "|"
"""Joins the SKUs of an itemset, in sorted order, e.g. ``CASE-1|FILM-1``."""
RULE_COLUMNS = ("antecedents", "consequents", "support", "confidence", "lift")


def association_rules(
    transactions: ir.Table, *, min_support: float, min_confidence: float
) -> ir.Table:
    """Rules A → C from frequent itemsets of two and three SKUs, best lift first.

    Columns: antecedents, consequents, support, confidence, lift (itemsets joined by ``|``).
    """
    _check_share("min_support", min_support)
    _check_share("min_confidence", min_confidence)
    # Cached in the engine: the rules read the itemsets ten times, and Spark would otherwise
    # recount every basket for each read.
    itemsets = frequent_itemsets(transactions, min_support=min_support).cache()
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
    supports = itemsets.select(key=itemsets.itemset, key_support=itemsets.support)
    antecedent = supports.rename(antecedents="key", antecedent_support="key_support")
    consequent = supports.rename(consequents="key", consequent_support="key_support")
    joined = candidates.join(antecedent, "antecedents").join(consequent, "consequents")
    confidence = joined.support / joined.antecedent_support
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


def frequent_itemsets(transactions: ir.Table, *, min_support: float) -> ir.Table:
    """Itemsets of one to three SKUs in at least ``min_support`` of the baskets.

    Columns: itemset (SKUs joined by ``|``), size, item_1 ≤ item_2 ≤ item_3 (null beyond size),
    orders (baskets containing the itemset), support.
    """
    _check_share("min_support", min_support)
    items = basket_items(transactions)
    baskets = items.order_id.nunique().as_scalar()

    def frequent(counts: ir.Table) -> ir.Table:
        counted = counts.mutate(support=counts.orders.cast("float64") / baskets)
        return counted.filter(counted.support >= min_support)

    singles = frequent(items.group_by(item_1=items.sku).aggregate(orders=items.count()))
    in_frequent = items.semi_join(singles, items.sku == singles.item_1)

    left, right = in_frequent.rename(item_1="sku"), in_frequent.rename(item_2="sku")
    order_pairs = left.join(
        right, [left.order_id == right.order_id, left.item_1 < right.item_2]
    ).select(left.order_id, "item_1", "item_2")
    pairs = frequent(
        order_pairs.group_by(["item_1", "item_2"]).aggregate(orders=order_pairs.count())
    )

    pair_keys = pairs.select("item_1", "item_2")
    in_frequent_pairs = order_pairs.semi_join(pair_keys, ["item_1", "item_2"])
    third = in_frequent.rename(item_3="sku")
    order_triples = in_frequent_pairs.join(
        third,
        [
            in_frequent_pairs.order_id == third.order_id,
            in_frequent_pairs.item_2 < third.item_3,
        ],
    ).select("item_1", "item_2", "item_3")
    order_triples = order_triples.semi_join(
        pair_keys.rename(item_3="item_2"), ["item_1", "item_3"]
    ).semi_join(pair_keys.rename(item_2="item_1", item_3="item_2"), ["item_2", "item_3"])
    triples = frequent(
        order_triples.group_by(["item_1", "item_2", "item_3"]).aggregate(
            orders=order_triples.count()
        )
    )

    no_item = ibis.null("string")
    return ibis.union(
        singles.select(
            itemset=singles.item_1,
            size=ibis.literal(1, "int8"),
            item_1=singles.item_1,
            item_2=no_item,
            item_3=no_item,
            orders=singles.orders,
            support=singles.support,
        ),
        pairs.select(
            itemset=pairs.item_1 + SEPARATOR + pairs.item_2,
            size=ibis.literal(2, "int8"),
            item_1=pairs.item_1,
            item_2=pairs.item_2,
            item_3=no_item,
            orders=pairs.orders,
            support=pairs.support,
        ),
        triples.select(
            itemset=triples.item_1 + SEPARATOR + triples.item_2 + SEPARATOR + triples.item_3,
            size=ibis.literal(3, "int8"),
            item_1=triples.item_1,
            item_2=triples.item_2,
            item_3=triples.item_3,
            orders=triples.orders,
            support=triples.support,
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
    items = basket_items(transactions)
    baskets = items.order_id.nunique().as_scalar()
    sku_orders = items.group_by("sku").aggregate(sku_baskets=items.count())
    left, right = items, items.rename(together_sku="sku")
    pairs = left.join(right, [left.order_id == right.order_id, left.sku != right.together_sku])
    counted = pairs.group_by(["sku", "together_sku"]).aggregate(orders=pairs.count())
    counted = counted.filter(counted.orders >= min_orders)
    with_sizes = counted.join(sku_orders, "sku").join(
        sku_orders.rename(together_sku="sku", together_baskets="sku_baskets"), "together_sku"
    )
    confidence = with_sizes.orders.cast("float64") / with_sizes.sku_baskets
    scored = with_sizes.select(
        "sku",
        "together_sku",
        "orders",
        confidence=confidence,
        lift=confidence * baskets / with_sizes.together_baskets,
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


def _rules(itemsets: ir.Table, antecedent: list[str], consequent: list[str]) -> ir.Table:
    return itemsets.select(
        antecedents=_joined(itemsets, antecedent),
        consequents=_joined(itemsets, consequent),
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

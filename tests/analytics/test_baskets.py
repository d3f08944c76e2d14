from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import apriori
from mlxtend.frequent_patterns import association_rules as mlxtend_rules

from storeloop.analytics.baskets import association_rules, bought_together, frequent_itemsets

# Four baskets: {A, B}, {A, B, C}, {A}, {B, C}; order o2 lists B twice.
HAND = pd.DataFrame(
    [
        ("o1", "A"),
        ("o1", "B"),
        ("o2", "A"),
        ("o2", "B"),
        ("o2", "B"),
        ("o2", "C"),
        ("o3", "A"),
        ("o4", "B"),
        ("o4", "C"),
    ],
    columns=["order_id", "sku"],
)


def test_itemset_supports_by_hand(con) -> None:
    table = con.create_table("hand", HAND)
    got = frequent_itemsets(table, min_support=0.25).to_pandas()
    assert dict(zip(got["itemset"], got["support"], strict=True)) == {
        "A": 0.75,
        "B": 0.75,
        "C": 0.5,
        "A|B": 0.5,
        "A|C": 0.25,
        "B|C": 0.5,
        "A|B|C": 0.25,
    }
    higher = frequent_itemsets(table, min_support=0.5).to_pandas()
    assert sorted(higher["itemset"]) == ["A", "A|B", "B", "B|C", "C"]


def test_rules_by_hand(con) -> None:
    table = con.create_table("hand", HAND)
    rules = association_rules(table, min_support=0.25, min_confidence=0.6).to_pandas()
    got = {
        (row.antecedents, row.consequents): (row.support, row.confidence, row.lift)
        for row in rules.itertuples()
    }
    assert got[("A", "B")] == pytest.approx((0.5, 2 / 3, 8 / 9))
    assert got[("C", "B")] == pytest.approx((0.5, 1.0, 4 / 3))
    assert got[("A|C", "B")] == pytest.approx((0.25, 1.0, 4 / 3))
    # {A, B} → C has confidence 0.25 / 0.5 = 0.5 < 0.6, so it is not a rule.
    assert ("A|B", "C") not in got
    assert sorted(got) == [("A", "B"), ("A|C", "B"), ("B", "A"), ("B", "C"), ("C", "B")]
    assert rules["lift"].is_monotonic_decreasing


def generated_baskets(seed: int, orders: int, skus: int) -> pd.DataFrame:
    """Baskets with popular SKUs, a strong pair and a strong triple, and repeated lines."""
    rng = np.random.default_rng(seed)
    weights = np.linspace(2, 0.2, skus)
    rows = []
    for order in range(orders):
        size = int(rng.integers(1, 6))
        items = set(rng.choice(skus, size, replace=False, p=weights / weights.sum()).tolist())
        if 0 in items and rng.random() < 0.7:
            items.add(1)
        if 2 in items and rng.random() < 0.5:
            items |= {3, 4}
        for item in items:
            rows.extend([(f"o{order}", f"SKU-{item:03d}")] * int(rng.integers(1, 3)))
    return pd.DataFrame(rows, columns=["order_id", "sku"])


@pytest.mark.parametrize(
    ("seed", "min_support", "min_confidence"),
    [(1, 0.02, 0.1), (2, 0.01, 0.3), (3, 0.05, 0.05)],
)
def test_rules_equal_mlxtend(con, seed: int, min_support: float, min_confidence: float) -> None:
    baskets = generated_baskets(seed, orders=2000, skus=30)
    ours = association_rules(
        con.create_table("baskets", baskets),
        min_support=min_support,
        min_confidence=min_confidence,
    ).to_pandas()

    one_hot = pd.crosstab(baskets["order_id"], baskets["sku"]).astype(bool)
    itemsets = apriori(one_hot, min_support=min_support, use_colnames=True, max_len=3)
    theirs = mlxtend_rules(
        itemsets, num_itemsets=len(one_hot), metric="confidence", min_threshold=min_confidence
    )
    for side in ("antecedents", "consequents"):
        theirs[side] = theirs[side].map(lambda items: "|".join(sorted(items)))

    keys = ["antecedents", "consequents"]
    metrics = ["support", "confidence", "lift"]
    ours = ours.set_index(keys).sort_index()
    theirs = theirs.set_index(keys)[metrics].sort_index()
    assert len(ours) > 15
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_allclose(ours[metrics].to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-9)


def test_bought_together_by_hand(con) -> None:
    table = con.create_table("hand", HAND)
    got = bought_together(table, top_k=2, min_orders=1).to_pandas()
    rows = [tuple(row) for row in got[["sku", "rank", "together_sku", "orders"]].to_numpy()]
    # B is in 3 baskets: with A in 2, with C in 2; ties on confidence go to higher lift (C).
    assert rows == [
        ("A", 1, "B", 2),
        ("A", 2, "C", 1),
        ("B", 1, "C", 2),
        ("B", 2, "A", 2),
        ("C", 1, "B", 2),
        ("C", 2, "A", 1),
    ]
    b_with_c = got[(got["sku"] == "B") & (got["together_sku"] == "C")].iloc[0]
    assert b_with_c["confidence"] == pytest.approx(2 / 3)
    assert b_with_c["lift"] == pytest.approx((2 / 3) / 0.5)
    # One shared basket is not enough by default.
    default = bought_together(table).to_pandas()
    assert ("A", "C") not in set(zip(default["sku"], default["together_sku"], strict=True))


@pytest.mark.parametrize(("name", "value"), [("min_support", 0.0), ("min_confidence", 1.5)])
def test_shares_outside_zero_one_are_refused(con, name: str, value: float) -> None:
    options = {"min_support": 0.1, "min_confidence": 0.1, name: value}
    with pytest.raises(ValueError, match=f"{name} must be in"):
        association_rules(con.create_table("hand", HAND), **options)


def mlxtend_rule_set(baskets: pd.DataFrame, min_support: float, min_confidence: float) -> dict:
    one_hot = pd.crosstab(baskets["order_id"], baskets["sku"]).astype(bool)
    itemsets = apriori(one_hot, min_support=min_support, use_colnames=True, max_len=3)
    rules = mlxtend_rules(
        itemsets, num_itemsets=len(one_hot), metric="confidence", min_threshold=min_confidence
    )
    return {
        ("|".join(sorted(a)), "|".join(sorted(c))): confidence
        for a, c, confidence in zip(
            rules["antecedents"], rules["consequents"], rules["confidence"], strict=True
        )
    }


def confidences(rules: pd.DataFrame) -> dict:
    keys = zip(rules["antecedents"], rules["consequents"], strict=True)
    return dict(zip(keys, rules["confidence"], strict=True))


def test_a_rule_at_exactly_min_confidence_is_kept_as_mlxtend_keeps_it(con) -> None:
    # 24 baskets: A in 20 of them, A and B together in 2, so confidence(A → B) = 2/20 = 0.1.
    # As a ratio of the two supports, (2/24) / (20/24) is 0.09999999999999999 in floats, and
    # a rule at exactly min_confidence = 0.1 was dropped; from the counts it is 0.1.
    assert (2 / 24) / (20 / 24) < 0.1
    rows = [(f"o{i}", sku) for i in range(2) for sku in ("A", "B")]
    rows += [(f"o{i}", "A") for i in range(2, 20)]
    rows += [(f"o{i}", "B") for i in range(20, 24)]
    baskets = pd.DataFrame(rows, columns=["order_id", "sku"])
    ours = association_rules(
        con.create_table("ties", baskets), min_support=0.05, min_confidence=0.1
    ).to_pandas()
    got = confidences(ours)
    assert got == {("A", "B"): 0.1, ("B", "A"): pytest.approx(2 / 6)}
    assert got.keys() == mlxtend_rule_set(baskets, 0.05, 0.1).keys()


def test_support_at_exactly_min_support_is_frequent(con) -> None:
    # 3 of 30 baskets is a support of exactly 0.1.
    rows = [(f"o{i}", "A") for i in range(3)] + [(f"o{i}", "B") for i in range(3, 30)]
    table = con.create_table("edge", pd.DataFrame(rows, columns=["order_id", "sku"]))
    got = frequent_itemsets(table, min_support=0.1).to_pandas()
    assert sorted(got["itemset"]) == ["A", "B"]
    assert sorted(frequent_itemsets(table, min_support=0.11).to_pandas()["itemset"]) == ["B"]


def test_rules_equal_mlxtend_on_many_small_baskets_at_the_threshold(con) -> None:
    """Low support and confidence on uneven counts: many rules sit near the thresholds."""
    baskets = generated_baskets(11, orders=1500, skus=40)
    for min_support, min_confidence in ((0.004, 0.05), (0.002, 0.1)):
        ours = association_rules(
            con.create_table("many", baskets, overwrite=True),
            min_support=min_support,
            min_confidence=min_confidence,
        ).to_pandas()
        theirs = mlxtend_rule_set(baskets, min_support, min_confidence)
        got = confidences(ours)
        assert len(got) > 100
        assert got.keys() == theirs.keys()
        for key, confidence in got.items():
            assert confidence == pytest.approx(theirs[key], rel=1e-12)

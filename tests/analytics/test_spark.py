"""One code path, two engines: the same export analysed on DuckDB and on Spark (local[2])."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from storeloop.analytics.baskets import association_rules, frequent_itemsets
from storeloop.analytics.canonical import Transactions, load_transactions
from storeloop.analytics.clv import customer_summaries

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Order lines with per-order customer, time and total, Shopify-style on the first line."""
    rng = np.random.default_rng(21)
    rows = []
    for order in range(300):
        customer = f"c{int(rng.zipf(1.8)) % 60:02d}"
        ordered_at = pd.Timestamp("2024-01-01") + pd.Timedelta(
            minutes=int(rng.integers(0, 200 * 24 * 60))
        )
        skus = sorted(set(rng.choice(12, int(rng.integers(1, 5)), replace=False).tolist()))
        total = f"{rng.integers(1000, 90000) / 100:.2f}"
        for line, sku in enumerate(skus):
            rows.append(
                {
                    "order_id": f"o{order:03d}",
                    "customer_id": customer,
                    "ordered_at": ordered_at.isoformat(sep=" "),
                    "amount": total if line == 0 else "",
                    "sku": f"SKU-{sku:02d}",
                }
            )
    path = tmp_path_factory.mktemp("spark") / "lines.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def frame(expression: ibis.Table, keys: list[str]) -> pd.DataFrame:
    return expression.to_pandas().sort_values(keys).reset_index(drop=True)


def test_duckdb_and_spark_give_identical_summaries_and_baskets(spark, export: Path) -> None:
    engines: dict[str, Transactions] = {
        "duckdb": load_transactions([export], {}, ibis.duckdb.connect()),
        "spark": load_transactions([export], {}, spark),
    }
    summaries, itemsets, rules = {}, {}, {}
    for name, transactions in engines.items():
        transactions.require(["customer_id", "ordered_at", "amount", "order_id", "sku"], "test")
        table = transactions.table
        summaries[name] = frame(
            customer_summaries(
                table, calibration_end=date(2024, 6, 2), time_unit="week", period="week"
            ),
            ["customer_id"],
        )
        itemsets[name] = frame(frequent_itemsets(table, min_support=0.02), ["itemset"])
        rules[name] = frame(
            association_rules(table, min_support=0.02, min_confidence=0.1),
            ["antecedents", "consequents"],
        )
    # Counts agree exactly; means and ratios to rounding, as the engines sum in their own order.
    assert len(summaries["duckdb"]) > 20
    assert summaries["duckdb"]["frequency"].sum() > 50
    pd.testing.assert_frame_equal(
        summaries["duckdb"], summaries["spark"], check_dtype=False, rtol=1e-12
    )
    assert len(itemsets["duckdb"]) > 40
    pd.testing.assert_frame_equal(
        itemsets["duckdb"][["itemset", "orders"]],
        itemsets["spark"][["itemset", "orders"]],
        check_dtype=False,
        check_exact=True,
    )
    pd.testing.assert_frame_equal(rules["duckdb"], rules["spark"], check_dtype=False, rtol=1e-12)

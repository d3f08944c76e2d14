"""One code path, two engines: store KPIs and funnels on DuckDB and on Spark (local[2])."""

from __future__ import annotations

import pandas as pd
import pytest

from storeloop.analytics.funnels import DEFAULT_STEPS, funnel
from storeloop.analytics.kpis import kpis
from tests.analytics.hand_store import random_store

pytestmark = pytest.mark.spark


def frame(table, keys: list[str]) -> pd.DataFrame:
    return table.to_pandas().sort_values(keys).reset_index(drop=True)


def test_duckdb_and_spark_give_identical_kpis_and_funnels(con, spark) -> None:
    store = random_store()
    results: dict[str, dict[str, pd.DataFrame]] = {}
    for name, backend in (("duckdb", con), ("spark", spark)):
        tables = store.tables(backend)
        results[name] = {
            "daily": frame(kpis(tables), ["period"]),
            "weekly by category": frame(
                kpis(tables, grain="week", by="category"), ["period", "category"]
            ),
            "funnel": frame(
                funnel(tables.events, by=["channel", "device"]), ["channel", "device", "step"]
            ),
        }
    duckdb, spark_results = results["duckdb"], results["spark"]
    assert len(duckdb["daily"]) >= 21 and duckdb["daily"]["orders"].sum() > 150
    assert duckdb["daily"]["returned_units"].sum() > 10
    assert len(duckdb["funnel"]) == 4 * len(DEFAULT_STEPS)
    for name, expected in duckdb.items():
        # Counts and decimal sums agree exactly; rates and medians are the same divisions.
        pd.testing.assert_frame_equal(expected, spark_results[name], check_dtype=False, obj=name)

"""Arrow enters both engines the same way, nulls and integers intact."""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storeloop.analytics.canonical import load_transactions
from storeloop.analytics.engines import connect, hold_arrow


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine must be one of duckdb, spark"):
        connect("polars")  # type: ignore[arg-type]


def test_hold_arrow_gives_each_table_its_own_name(con) -> None:
    table = pa.table({"n": pa.array([1, None], pa.int64())})
    first, second = hold_arrow(con, "t", table), hold_arrow(con, "t", table)
    assert first.get_name() != second.get_name()
    assert second.to_pyarrow()["n"].to_pylist() == [1, None]


@pytest.mark.spark
def test_a_nullable_integer_column_survives_the_trip_to_spark(spark, tmp_path: Path) -> None:
    """Through pandas, one null turned every returned_quantity into null on Spark."""
    path = tmp_path / "lines.parquet"
    pq.write_table(
        pa.table(
            {
                "order_id": ["o1", "o1", "o2"],
                "sku": ["CASE-1", "FILM-1", "CASE-1"],
                "quantity": pa.array([3, 4, 5], pa.int64()),
                "returned_quantity": pa.array([1, None, 2], pa.int64()),
                "channel": ["ads", None, "search"],
            }
        ),
        path,
    )
    for backend in (ibis.duckdb.connect(), spark):
        rows = load_transactions([path], {}, backend).table.order_by("source_row").to_pyarrow()
        assert rows["returned_quantity"].to_pylist() == [1, None, 2], backend.name
        assert rows["quantity"].to_pylist() == [3, 4, 5], backend.name
        assert rows["channel"].to_pylist() == ["ads", "ads", "search"], backend.name

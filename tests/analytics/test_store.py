"""Loading the store: from a Parquet snapshot and from the SQLite/PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import ibis
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from storeloop.analytics.errors import InputError
from storeloop.analytics.store import (
    read_store_database,
    read_store_parquet,
    store_tables,
    utc_offsets,
)
from storeloop.models import Category, Customer, Event, Order, OrderLine, Product, Return, Sku
from tests.analytics.hand_store import HandStore, random_store


def snapshot(directory: Path, store: HandStore, *, parts: tuple[str, ...] = ()) -> Path:
    """The store as ``storeloop seed`` writes it: a file per table, or a directory of parts."""
    for name, table in store.raw().items():
        if name in parts:
            (directory / name).mkdir()
            pq.write_table(table.slice(0, 1), directory / name / "part-0.parquet")
            pq.write_table(table.slice(1), directory / name / "part-1.parquet")
        else:
            pq.write_table(table, directory / f"{name}.parquet")
    return directory


def test_parquet_snapshot_on_the_shop_clock(tmp_path: Path, con) -> None:
    store = HandStore()
    store.customer(1, region="south")
    # 16:30 UTC is 00:30 the next day in Shanghai: the order belongs to 2 January.
    store.order(1, 1, datetime(2024, 1, 1, 16, 30), [("CASE-1", 2, 19.9)], shipping=6)
    store.order(2, 1, datetime(2024, 1, 1, 17), [("CASE-1", 1, 19.9)], paid=False)
    store.event("v1", datetime(2024, 1, 1, 15, 59), "visit")
    store.event("v1", datetime(2024, 1, 1, 16, 10), "product_view", sku="CASE-1")
    tables = read_store_parquet(snapshot(tmp_path, store, parts=("events",)), con)
    (order,) = tables.orders.to_pyarrow().to_pylist()
    assert order == {
        "order_id": 1,
        "customer_id": 1,
        "ordered_at": datetime(2024, 1, 2, 0, 30),
        "amount": Decimal("45.8000"),
        "channel": "search",
        "device": "ios",
        "region": "south",
    }
    (line,) = tables.order_lines.to_pyarrow().to_pylist()
    assert (line["sku"], line["category"], line["quantity"], line["amount"]) == (
        "CASE-1", "case", 2, Decimal("39.8000")
    )  # fmt: skip
    events = tables.events.order_by("occurred_at").to_pyarrow().to_pylist()
    assert [(e["occurred_at"], e["sku"], e["category"]) for e in events] == [
        (datetime(2024, 1, 1, 23, 59), None, None),
        (datetime(2024, 1, 2, 0, 10), "CASE-1", "case"),
    ]
    assert tables.returns.count().to_pyarrow().as_py() == 0


def test_a_snapshot_needs_orders_but_not_events(tmp_path: Path, con) -> None:
    store = HandStore()
    store.order(1, 1, datetime(2024, 1, 1), [("CASE-1", 1, 10)])
    snapshot(tmp_path, store)
    (tmp_path / "events.parquet").unlink()
    assert read_store_parquet(tmp_path, con).events is None
    (tmp_path / "orders.parquet").unlink()
    with pytest.raises(InputError, match=r"no orders.parquet"):
        read_store_parquet(tmp_path, con)


def test_store_database(session: Session, db_url: str) -> None:
    at = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    category = Category(slug="dehumidifier", name="除湿机")
    session.add(category)
    session.flush()
    product = Product(category_id=category.id, name="除湿机 12L")
    session.add(product)
    session.flush()
    sku = Sku(product_id=product.id, code="DH-12L", name="12L", list_price=89900, cost=50000)
    customer = Customer(province="广东", region="south", channel="ads", birth_date=date(1990, 1, 2))
    session.add_all([sku, customer])
    session.flush()
    paid, unpaid = (
        Order(
            number=f"SL{i}",
            customer_id=customer.id,
            status=status,
            channel="search",
            device="android",
            goods_amount=179800,
            discount_amount=10000,
            total_amount=169800,
            ship_province="广东",
            placed_at=at,
            paid_at=at if status == "paid" else None,
        )
        for i, status in enumerate(("paid", "pending_payment"))
    )
    session.add_all([paid, unpaid])
    session.flush()
    line = OrderLine(
        order_id=paid.id, sku_id=sku.id, quantity=2, unit_price=89900, discount_amount=10000
    )
    session.add(line)
    session.flush()
    session.add_all(
        [
            Return(
                order_id=paid.id,
                order_line_id=line.id,
                quantity=1,
                reason="quality",
                refund_amount=84900,
                created_at=at,
            ),
            Event(
                type="payment",
                occurred_at=at,
                visitor_id="v1",
                session_id="s1",
                customer_id=customer.id,
                channel="search",
                device="android",
                order_id=paid.id,
            ),
        ]
    )
    session.commit()

    tables = read_store_database(db_url, ibis.duckdb.connect(), chunk_rows=1)
    (order,) = tables.orders.to_pyarrow().to_pylist()
    assert (order["ordered_at"], order["amount"], order["region"]) == (
        datetime(2024, 5, 1, 10, 0), Decimal("1698.0000"), "south"
    )  # fmt: skip
    (sold,) = tables.order_lines.to_pyarrow().to_pylist()
    assert (sold["sku"], sold["category"], sold["amount"]) == (
        "DH-12L", "dehumidifier", Decimal("1698.0000")
    )  # fmt: skip
    (returned,) = tables.returns.to_pyarrow().to_pylist()
    assert (returned["sku"], returned["quantity"], returned["amount"]) == (
        "DH-12L", 1, Decimal("849.0000")
    )  # fmt: skip
    (event,) = tables.events.to_pyarrow().to_pylist()
    assert (event["event"], event["order_id"], event["customer_id"]) == (
        "payment", paid.id, customer.id
    )  # fmt: skip
    (person,) = tables.customers.to_pyarrow().to_pylist()
    assert person["birth_date"] == date(1990, 1, 2)


def test_utc_offsets_find_each_change_to_the_microsecond() -> None:
    def us(at: datetime) -> int:
        return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)

    hour = 3_600_000_000
    start, end = us(datetime(2024, 1, 1, tzinfo=UTC)), us(datetime(2024, 12, 31, tzinfo=UTC))
    assert utc_offsets(start, end, "Asia/Shanghai") == [(start, 8 * hour)]
    assert utc_offsets(start, end, "Europe/Berlin") == [
        (start, hour),
        (us(datetime(2024, 3, 31, 1, tzinfo=UTC)), 2 * hour),
        (us(datetime(2024, 10, 27, 1, tzinfo=UTC)), hour),
    ]


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
def test_parquet_views_equal_the_arrow_loader(tmp_path: Path, con, timezone: str) -> None:
    """DuckDB reads a snapshot through views over the files (shop clock in SQL); the other
    engines get Arrow tables converted in Arrow. Both give the same tables, also across the
    changes to and from summer time."""
    store = random_store()
    for number, at in enumerate(
        [
            datetime(2024, 3, 10, 6, 59, 59),  # New York springs forward at 07:00 UTC
            datetime(2024, 3, 10, 7, 0, 0),
            datetime(2024, 3, 31, 0, 59, 59, 999999),  # Berlin, at 01:00 UTC
            datetime(2024, 3, 31, 1, 0, 0),
            datetime(2024, 10, 27, 0, 30),  # and back
            datetime(2024, 10, 27, 1, 30),
            datetime(2024, 11, 3, 5, 30),
            datetime(2024, 11, 3, 6, 30),
        ],
        start=1000,
    ):
        store.order(number, 1, at, [("CASE-1", 1, 10)])
    snapshot(tmp_path, store, parts=("events",))
    lazy = read_store_parquet(tmp_path, con, timezone=timezone)
    held = store_tables(store.raw(), ibis.duckdb.connect(), timezone=timezone)
    for name in ("orders", "order_lines", "customers", "events", "returns"):
        left, right = getattr(lazy, name).to_pandas(), getattr(held, name).to_pandas()
        keys = list(left.columns)
        left = left.sort_values(keys).reset_index(drop=True)
        right = right.sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, obj=name)
    if timezone == "Europe/Berlin":  # 00:59:59.999999 UTC is 01:59:59.999999 CET, then CEST
        times = lazy.orders.filter(lazy.orders.order_id.isin(["1002", "1003"])).order_by("order_id")
        assert times.ordered_at.to_pyarrow().to_pylist() == [
            datetime(2024, 3, 31, 1, 59, 59, 999999),
            datetime(2024, 3, 31, 3, 0, 0),
        ]


def test_parquet_views_without_statistics_use_the_engines_time_zones(tmp_path: Path, con) -> None:
    store = random_store()
    for name, table in store.raw().items():
        pq.write_table(table, tmp_path / f"{name}.parquet", write_statistics=False)
    lazy = read_store_parquet(tmp_path, con, timezone="Europe/Berlin")
    held = store_tables(store.raw(), ibis.duckdb.connect(), timezone="Europe/Berlin")
    for name in ("orders", "events"):
        left, right = getattr(lazy, name).to_pandas(), getattr(held, name).to_pandas()
        keys = list(left.columns)
        pd.testing.assert_frame_equal(
            left.sort_values(keys).reset_index(drop=True),
            right.sort_values(keys).reset_index(drop=True),
            obj=name,
        )

"""Reading the store database straight into Arrow, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import ibis
import pytest
from sqlalchemy.orm import Session

from storeloop.analytics.errors import InputError
from storeloop.analytics.store import read_store_database
from storeloop.models import Customer, Order


def test_null_first_times_and_dates_are_read_in_any_batch_size(
    session: Session, db_url: str
) -> None:
    """SQLite's driver guesses a column's type from its first rows: all-null ones must not
    make a date or time column look like integers."""
    at = datetime(2024, 5, 1, 16, 30, tzinfo=UTC)
    people = [
        Customer(province="广东", region="south", channel="ads", birth_date=birth)
        for birth in (None, None, date(1990, 1, 2))
    ]
    session.add_all(people)
    session.flush()
    session.add_all(
        Order(
            number=f"SL{i}",
            customer_id=people[i].id,
            status="paid" if paid else "pending_payment",
            channel="search",
            device="ios",
            goods_amount=1000,
            total_amount=1000,
            ship_province="广东",
            placed_at=at,
            paid_at=at if paid else None,
        )
        for i, paid in enumerate((False, False, True))
    )
    session.commit()

    tables = read_store_database(db_url, ibis.duckdb.connect(), chunk_rows=1)
    customers = tables.customers.order_by("customer_id").to_pyarrow()
    assert customers["birth_date"].to_pylist() == [None, None, date(1990, 1, 2)]
    (order,) = tables.orders.to_pyarrow().to_pylist()
    # 16:30 UTC is half past midnight the next day in Shanghai.
    assert (order["customer_id"], order["ordered_at"]) == (
        people[2].id, datetime(2024, 5, 2, 0, 30)
    )  # fmt: skip


def test_a_missing_sqlite_file_is_an_input_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    with pytest.raises(InputError, match="no SQLite store at"):
        read_store_database(f"sqlite:///{path}", ibis.duckdb.connect())
    assert not path.exists()


def test_an_unmigrated_store_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(InputError, match="cannot read the store at sqlite"):
        read_store_database(f"sqlite:///{path}", ibis.duckdb.connect())

"""The demo store: deterministic, internally consistent, and shaped like a real shop.

Read-only checks share one tiny store per backend (the ``seeded`` fixture); checks of the
generator's statistics that need a longer history use the generated tables without a database.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import JSON, Engine, select, text
from sqlalchemy.orm import Session

from storeloop.db import make_engine
from storeloop.demo.generate import EVENTS, TABLES, GeneratedStore, generate_store
from storeloop.demo.seasonality import CHINESE_NEW_YEAR
from storeloop.demo.seed import PRESETS, seed_store
from storeloop.models import Base, Category, Customer, Order
from storeloop.money import allocate
from tests.demo.conftest import SeededStore

BEIJING = ZoneInfo("Asia/Shanghai")
TINY = PRESETS["tiny"]


@pytest.fixture(scope="module")
def tiny() -> GeneratedStore:
    return generate_store(TINY)


def _arrow_rows(table: pa.Table, name: str) -> list[tuple]:
    columns = Base.metadata.tables[name].columns
    values = [table.column(c.name).to_pylist() for c in columns]
    for i, column in enumerate(columns):
        if isinstance(column.type, JSON):
            values[i] = [json.loads(v) for v in values[i]]
    return list(zip(*values, strict=True))


def _database_rows(engine: Engine, name: str) -> list[tuple]:
    table = Base.metadata.tables[name]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]


def _scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_presets_have_the_promised_sizes() -> None:
    assert (TINY.customers, TINY.days) == (1_500, 120)
    assert (PRESETS["small"].customers, PRESETS["small"].days) == (20_000, 365)
    assert (PRESETS["large"].customers, PRESETS["large"].days) == (400_000, 730)
    tiny_start = TINY.end_date - timedelta(days=TINY.days - 1)
    assert tiny_start <= date(TINY.end_date.year, 11, 11) <= TINY.end_date


def test_generated_tables_have_exactly_the_models_columns(tiny: GeneratedStore) -> None:
    for name, table in tiny.tables.items():
        assert table.column_names == [c.name for c in Base.metadata.tables[name].columns], name
    chunk = next(tiny.events())
    assert chunk.column_names == [c.name for c in Base.metadata.tables[EVENTS].columns]


def test_database_holds_exactly_the_rows_the_seed_generates(
    seeded: SeededStore, tiny: GeneratedStore
) -> None:
    """Same seed → same rows on every run and on both databases."""
    for name in TABLES:
        assert _database_rows(seeded.engine, name) == _arrow_rows(tiny.tables[name], name), name
    events = pa.concat_tables(tiny.events())
    assert _database_rows(seeded.engine, EVENTS) == _arrow_rows(events, EVENTS)
    assert seeded.report.events_to == ("database",)
    assert seeded.report.rows == {
        **{name: table.num_rows for name, table in tiny.tables.items()},
        EVENTS: events.num_rows,
    }


def test_a_different_seed_gives_a_different_store(tiny: GeneratedStore) -> None:
    other = generate_store(replace(TINY, seed=TINY.seed + 1))
    assert not other.tables["orders"].equals(tiny.tables["orders"])
    assert not other.tables["customers"].equals(tiny.tables["customers"])


def test_funnel_narrows_at_every_step_and_converts_two_to_four_percent(
    seeded: SeededStore,
) -> None:
    with seeded.engine.connect() as connection:
        sessions = dict(
            connection.execute(
                text("SELECT type, COUNT(DISTINCT session_id) FROM events GROUP BY type")
            ).all()
        )
    steps = ["visit", "product_view", "add_to_cart", "checkout_start", "payment"]
    counts = [sessions[step] for step in steps]
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == len(counts)
    assert 0.02 <= sessions["payment"] / sessions["visit"] <= 0.04
    anonymous = _scalar(seeded.engine, "SELECT COUNT(*) FROM events WHERE customer_id IS NULL")
    assert anonymous > 0


def test_every_paid_order_has_its_checkout_session(seeded: SeededStore) -> None:
    unmatched = _scalar(
        seeded.engine,
        """
        SELECT COUNT(*) FROM orders o
        WHERE o.status NOT IN ('closed', 'pending_payment')
          AND NOT EXISTS (
            SELECT 1 FROM events e
            WHERE e.type = 'payment' AND e.order_id = o.id AND e.customer_id = o.customer_id)
        """,
    )
    assert unmatched == 0
    with seeded.engine.connect() as connection:
        session = connection.execute(
            text(
                "SELECT type FROM events WHERE session_id = (SELECT session_id FROM events "
                "WHERE type = 'payment' ORDER BY id LIMIT 1) ORDER BY id"
            )
        ).scalars()
        kinds = list(session)
    assert kinds[0] == "visit" and kinds[-2:] == ["checkout_start", "payment"]


def test_eleven_eleven_is_the_peak_of_the_year(seeded: SeededStore) -> None:
    with Session(seeded.engine) as session:
        placed = session.scalars(select(Order.placed_at)).all()
    daily = Counter(t.astimezone(BEIJING).date() for t in placed)
    peak = daily[date(TINY.end_date.year, 11, 11)]
    assert peak == max(daily.values())
    assert peak >= 4 * median(daily.values())


def test_orders_dip_over_the_spring_festival() -> None:
    store = generate_store(replace(PRESETS["small"], customers=6_000))
    daily = np.bincount(store.orders.day, minlength=store.calendar.days)
    new_year = (CHINESE_NEW_YEAR[2026] - store.calendar.start).days
    holiday = daily[new_year - 3 : new_year + 6].mean()
    around = np.concatenate(
        [daily[new_year - 45 : new_year - 25], daily[new_year + 25 : new_year + 45]]
    )
    assert holiday < 0.5 * around.mean()


def test_order_lines_name_existing_skus_and_amounts_add_up(seeded: SeededStore) -> None:
    engine = seeded.engine
    orphan = (
        "SELECT COUNT(*) FROM order_lines l LEFT JOIN skus s ON s.id = l.sku_id WHERE s.id IS NULL"
    )
    assert _scalar(engine, orphan) == 0
    mismatched = """
        SELECT COUNT(*) FROM orders o JOIN (
            SELECT order_id, SUM(unit_price * quantity) AS goods, SUM(discount_amount) AS discount
            FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
        WHERE o.goods_amount <> l.goods OR o.discount_amount <> l.discount
           OR o.total_amount <> o.goods_amount - o.discount_amount + o.shipping_amount
    """
    assert _scalar(engine, mismatched) == 0
    assert (
        _scalar(
            engine, "SELECT COUNT(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_lines)"
        )
        == 0
    )
    unpaid_lines = "SELECT COUNT(*) FROM order_lines WHERE discount_amount > unit_price * quantity"
    assert _scalar(engine, unpaid_lines) == 0


def test_line_discounts_are_what_money_allocate_gives(tiny: GeneratedStore) -> None:
    orders = tiny.orders
    bounds = orders.line_bounds
    discounted = np.flatnonzero(orders.discount > 0)
    assert len(discounted) > 50
    for i in discounted:
        lines = slice(bounds[i], bounds[i + 1])
        weights = (orders.line_price[lines] * orders.line_quantity[lines]).tolist()
        assert orders.line_discount[lines].tolist() == allocate(int(orders.discount[i]), weights)


def test_payments_cover_each_order_exactly(seeded: SeededStore) -> None:
    short = """
        SELECT COUNT(*) FROM orders o LEFT JOIN (
            SELECT order_id, SUM(amount) AS paid FROM payments WHERE status = 'succeeded'
            GROUP BY order_id) p ON p.order_id = o.id
        WHERE o.status IN ('paid', 'shipped', 'delivered', 'completed')
          AND COALESCE(p.paid, 0) <> o.total_amount
    """
    assert _scalar(seeded.engine, short) == 0
    presale = "SELECT COUNT(*) FROM payments WHERE kind = 'balance' AND status = 'succeeded'"
    assert _scalar(seeded.engine, presale) > 0
    refunded = """
        SELECT COUNT(*) FROM orders o JOIN payments p ON p.order_id = o.id
        WHERE o.status = 'cancelled' AND (p.status <> 'refunded' OR p.amount <> o.total_amount)
    """
    assert _scalar(seeded.engine, refunded) == 0


def test_stock_ledger_balances_and_never_goes_negative(seeded: SeededStore) -> None:
    engine = seeded.engine
    unbalanced = """
        SELECT COUNT(*) FROM stock_levels l FULL OUTER JOIN (
            SELECT sku_id, warehouse_id, SUM(quantity) AS q FROM stock_movements
            GROUP BY sku_id, warehouse_id) m
          ON m.sku_id = l.sku_id AND m.warehouse_id = l.warehouse_id
        WHERE l.on_hand IS NULL OR m.q IS NULL OR l.on_hand <> m.q OR l.reserved <> 0
    """
    assert _scalar(engine, unbalanced) == 0
    with engine.connect() as connection:
        moves = np.array(
            connection.execute(
                text("SELECT sku_id, warehouse_id, quantity FROM stock_movements ORDER BY id")
            ).all()
        )
        times = connection.execute(text("SELECT created_at FROM stock_movements ORDER BY id"))
        created = [row[0] for row in times]
    assert created == sorted(created)  # the ledger is appended in time order
    cell = moves[:, 0] * 100 + moves[:, 1]
    order = np.argsort(cell, kind="stable")
    cell, quantity = cell[order], moves[order, 2]
    running = np.cumsum(quantity)
    starts = np.flatnonzero(np.diff(cell, prepend=-1))
    before = np.repeat(running[starts] - quantity[starts], np.diff(np.append(starts, len(cell))))
    assert (running - before).min() >= 0
    sales = "SELECT COUNT(*) FROM stock_movements WHERE reason = 'sale'"
    assert _scalar(engine, sales) > 0


def test_apparel_comes_back_more_often_and_mostly_for_size(seeded: SeededStore) -> None:
    with seeded.engine.connect() as connection:
        rows = connection.execute(
            text(
                """
                SELECT parent.slug = 'apparel' AS apparel, COUNT(r.id), COUNT(l.id)
                FROM order_lines l
                JOIN skus s ON s.id = l.sku_id JOIN products p ON p.id = s.product_id
                JOIN categories c ON c.id = p.category_id
                JOIN categories parent ON parent.id = c.parent_id
                LEFT JOIN returns r ON r.order_line_id = l.id
                GROUP BY parent.slug = 'apparel'
                """
            )
        ).all()
        reasons = connection.execute(
            text(
                """
                SELECT r.reason, COUNT(*) FROM returns r
                JOIN order_lines l ON l.id = r.order_line_id JOIN skus s ON s.id = l.sku_id
                JOIN products p ON p.id = s.product_id JOIN categories c ON c.id = p.category_id
                WHERE c.parent_id = (SELECT id FROM categories WHERE slug = 'apparel')
                GROUP BY r.reason ORDER BY COUNT(*) DESC
                """
            )
        ).all()
    rate = {bool(apparel): returned / lines for apparel, returned, lines in rows}
    assert rate[True] > 3 * rate[False]
    assert reasons[0][0] == "size"


def test_refunds_are_what_the_returned_units_cost(seeded: SeededStore) -> None:
    wrong = """
        SELECT COUNT(*) FROM returns r JOIN order_lines l ON l.id = r.order_line_id
        WHERE r.order_id <> l.order_id OR r.quantity > l.quantity
           OR r.refund_amount <> ((l.unit_price * l.quantity - l.discount_amount) * r.quantity)
                                 / l.quantity
    """
    assert _scalar(seeded.engine, wrong) == 0


def test_parquet_output_has_the_same_rows_as_the_database(
    seeded: SeededStore, tmp_path: Path
) -> None:
    report = seed_store(None, TINY, parquet_dir=tmp_path, progress=True)
    assert report.events_to == ("parquet",)
    assert report.rows == seeded.report.rows
    for name in ("orders", "stock_movements"):
        parquet = pq.read_table(tmp_path / f"{name}.parquet")
        assert _arrow_rows(parquet, name) == _database_rows(seeded.engine, name)
    events = pq.read_table(tmp_path / "events.parquet", columns=["id"])
    assert events.num_rows == seeded.report.rows[EVENTS]


def test_seeding_migrates_refuses_a_second_time_and_leaves_the_orm_working(
    empty_db_url: str,
) -> None:
    config = replace(TINY, customers=300, days=30, end_date=date(2026, 6, 30))
    report = seed_store(empty_db_url, replace(config, events_in_database=False), progress=False)
    assert report.events_to == () and report.events_destination == "not generated"
    engine = make_engine(empty_db_url)
    try:
        assert _scalar(engine, "SELECT COUNT(*) FROM events") == 0
        with Session(engine) as session:
            placed = session.scalars(select(Order.placed_at).limit(5)).all()
            assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in placed)
            customer = Customer(name="新客", province="广东", region="south", channel="search")
            category = Category(slug="new-category", name="新品类", name_en="New")
            session.add_all([customer, category])
            session.commit()
            assert customer.id == report.rows["customers"] + 1
            assert category.id == report.rows["categories"] + 1
            assert customer.signed_up_at.tzinfo == UTC
        with pytest.raises(ValueError, match="already has data"):
            seed_store(empty_db_url, config, progress=False)
    finally:
        engine.dispose()


def test_presale_orders_wait_for_their_balance_until_the_festival() -> None:
    store = generate_store(replace(TINY, customers=800, days=60, end_date=date(2026, 11, 5)))
    orders = store.tables["orders"].to_pylist()
    payments = Counter(
        (p["order_id"], p["kind"], p["status"]) for p in store.tables["payments"].to_pylist()
    )
    waiting = [o for o in orders if o["status"] == "deposit_paid"]
    assert waiting and all(o["is_presale"] and o["paid_at"] is None for o in waiting)
    for order in waiting:
        assert payments[(order["id"], "deposit", "succeeded")] == 1
        assert not any(key[0] == order["id"] and key[1] == "balance" for key in payments)

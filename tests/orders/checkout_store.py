"""A small store for checkout tests: one SKU in one warehouse, customers, offers, and the
invariants every checkout test ends by checking."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Category, Product, Sku
from storeloop.customers.models import Customer
from storeloop.db import make_engine, make_session_factory, session_scope
from storeloop.errors import StoreError
from storeloop.inventory.models import StockLevel, StockMovement, Warehouse
from storeloop.inventory.reservation_models import StockReservation
from storeloop.inventory.schemas import StockAdjustment
from storeloop.inventory.service import adjust_stock
from storeloop.pricing.service import create_offer

AT = datetime(2026, 6, 18, 10, 5, tzinfo=UTC)
LIST_PRICE = 9900


@dataclass(frozen=True)
class Store:
    sku: int
    warehouse: int
    customers: list[int]


def seed(
    factory: sessionmaker[Session],
    *,
    stock: int,
    customers: int = 1,
    offers: tuple[dict[str, Any], ...] = (),
    skus: tuple[str, ...] = ("TEA",),
) -> Store:
    with session_scope(factory) as session:
        category = Category(slug="tea", name="tea")
        session.add(category)
        session.flush()
        warehouse = Warehouse(code="W1", name="w", kind="central", province="浙江", region="east")
        session.add(warehouse)
        ids = []
        for code in skus:
            product = Product(category_id=category.id, name=code)
            sku = Sku(product=product, code=code, name=code, list_price=LIST_PRICE, cost=4000)
            session.add(sku)
            session.flush()
            ids.append(sku.id)
            adjust_stock(
                session,
                StockAdjustment(
                    sku_id=sku.id, warehouse_id=warehouse.id, quantity=stock, reason="receipt"
                ),
            )
        people = [
            Customer(province="广东", region="south", channel="search") for _ in range(customers)
        ]
        session.add_all(people)
        session.flush()
        for body in offers:
            create_offer(session, body)
        return Store(ids[0], warehouse.id, [p.id for p in people])


@contextmanager
def wide_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory with enough connections for hundreds of threads (PostgreSQL)."""
    if engine.dialect.name == "sqlite":
        yield make_session_factory(engine)
        return
    wide = make_engine(
        engine.url.render_as_string(hide_password=False),
        pool_size=40,
        max_overflow=0,
        pool_timeout=120,
    )
    try:
        yield make_session_factory(wide)
    finally:
        wide.dispose()


def assert_stock_invariants(factory: sessionmaker[Session]) -> None:
    """Per SKU and warehouse: reserved = open reservations; on hand = the sum of the ledger."""
    with factory() as session:
        levels = session.execute(
            select(
                StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved
            )
        ).all()
        assert levels
        for sku, wh, on_hand, reserved in levels:
            open_units = session.scalar(
                select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
                    StockReservation.sku_id == sku,
                    StockReservation.warehouse_id == wh,
                    StockReservation.released_at.is_(None),
                    StockReservation.consumed_at.is_(None),
                )
            )
            ledger = session.scalar(
                select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                    StockMovement.sku_id == sku, StockMovement.warehouse_id == wh
                )
            )
            assert reserved == open_units, (sku, wh, reserved, open_units)
            assert on_hand == ledger, (sku, wh, on_hand, ledger)
            assert 0 <= reserved <= on_hand


T = TypeVar("T")


def race(n: int, attempt: Callable[[int], T]) -> list[T | StoreError]:
    """Run ``attempt(i)`` for i in range(n) on n threads released together; a StoreError is a
    refusal and is returned, anything else propagates."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T | StoreError:
        barrier.wait()
        try:
            return attempt(i)
        except StoreError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))

"""Concurrent write-offs against one stock level: the database lets exactly as many through as
there is stock, whatever the interleaving."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Category, Product, Sku
from storeloop.db import session_scope
from storeloop.errors import Conflict
from storeloop.inventory.models import StockLevel, StockMovement, Warehouse
from storeloop.inventory.schemas import StockAdjustment
from storeloop.inventory.service import adjust_stock

STOCK = 5
WRITERS = 12


def test_concurrent_writeoffs_never_oversell(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        category = Category(slug="c", name="c")
        session.add(category)
        session.flush()
        product = Product(category_id=category.id, name="p")
        sku = Sku(product=product, code="S", name="s", list_price=100, cost=50)
        warehouse = Warehouse(code="W", name="w", kind="central", province="浙江", region="east")
        session.add_all([sku, warehouse])
        session.flush()
        adjust_stock(
            session,
            StockAdjustment(
                sku_id=sku.id, warehouse_id=warehouse.id, quantity=STOCK, reason="receipt"
            ),
        )
        ids = (sku.id, warehouse.id)

    def write_off() -> bool:
        try:
            with session_scope(session_factory) as session:
                adjust_stock(
                    session,
                    StockAdjustment(
                        sku_id=ids[0], warehouse_id=ids[1], quantity=-1, reason="writeoff"
                    ),
                )
            return True
        except Conflict:
            return False

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: write_off(), range(WRITERS)))

    assert outcomes.count(True) == STOCK
    with session_factory() as session:
        assert session.scalar(select(StockLevel.on_hand)) == 0
        assert session.scalar(select(func.sum(StockMovement.quantity))) == 0
        assert session.scalar(select(func.count()).select_from(StockMovement)) == STOCK + 1

"""Reservations: reserve by conditional UPDATE, release and consume once, expiry releases only
what is due and unpaid; the invariants hold after each step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict
from storeloop.inventory.locks import write_session
from storeloop.inventory.models import StockLevel, StockMovement
from storeloop.inventory.reservations import (
    OutOfStock,
    consume,
    expire_reservations,
    release,
    reserve,
)
from storeloop.orders.models import Order
from tests.orders.checkout_store import AT, assert_stock_invariants, seed


def _order(session: Session, customer: int) -> int:
    order = Order(
        number=f"T{customer}-{session.info.setdefault('n', 0)}",
        customer_id=customer,
        status="pending_payment",
        channel="web",
        ship_province="",
        goods_amount=0,
        total_amount=0,
    )
    session.info["n"] += 1
    session.add(order)
    session.flush()
    return order.id


def _level(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        level = session.scalars(select(StockLevel)).one()
        return level.on_hand, level.reserved


def test_reserve_release_consume(session_factory: sessionmaker[Session]) -> None:
    store = seed(session_factory, stock=5)
    with write_session(session_factory) as session:
        order = _order(session, store.customers[0])
        a = reserve(
            session, store.sku, store.warehouse, 3, AT + timedelta(minutes=5), order_id=order
        )
        with pytest.raises(OutOfStock):
            reserve(session, store.sku, store.warehouse, 3, AT, order_id=order)
        b = reserve(
            session, store.sku, store.warehouse, 2, AT + timedelta(minutes=5), order_id=order
        )
    assert _level(session_factory) == (5, 5)
    assert_stock_invariants(session_factory)
    with write_session(session_factory) as session:
        assert release(session, a, at=AT)
        assert not release(session, a, at=AT)  # released once only
        movement = consume(session, b, at=AT)
        assert (movement.quantity, movement.reason, movement.ref_id) == (-2, "sale", order)
        with pytest.raises(Conflict, match="already ended"):
            consume(session, a, at=AT)
    assert _level(session_factory) == (3, 0)
    with session_factory() as session:
        assert sorted(session.scalars(select(StockMovement.quantity))) == [-2, 5]
    assert_stock_invariants(session_factory)


def test_expiry_releases_only_due_unpaid_reservations(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10)
    with write_session(session_factory) as session:
        order = _order(session, store.customers[0])
        early = reserve(
            session, store.sku, store.warehouse, 2, AT + timedelta(minutes=10), order_id=order
        )
        late = reserve(
            session, store.sku, store.warehouse, 3, AT + timedelta(minutes=30), order_id=order
        )
        paid = reserve(
            session, store.sku, store.warehouse, 4, AT + timedelta(minutes=10), order_id=order
        )
        consume(session, paid, at=AT)
    with write_session(session_factory) as session:
        assert expire_reservations(session, AT + timedelta(minutes=9)) == []
    with write_session(session_factory) as session:
        released = expire_reservations(session, AT + timedelta(minutes=10))
        assert [r.id for r in released] == [early.id]
    assert _level(session_factory) == (6, 3)
    assert_stock_invariants(session_factory)
    with write_session(session_factory) as session:
        released = expire_reservations(session, AT + timedelta(hours=1))
        assert [r.id for r in released] == [late.id]
        assert expire_reservations(session, AT + timedelta(hours=2)) == []
    assert _level(session_factory) == (6, 0)
    assert_stock_invariants(session_factory)

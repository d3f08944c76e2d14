"""Checkout, one request at a time: the order, its allocations, reservations, usage, outbox and
idempotency; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict, InvalidInput
from storeloop.inventory.models import StockLevel
from storeloop.inventory.reservation_models import StockReservation
from storeloop.orders.checkout import (
    CheckoutLine,
    IdempotencyKeyReused,
    OfferUsedUp,
    PriceChanged,
    checkout,
    close_expired,
    mark_paid,
)
from storeloop.orders.checkout_models import IdempotencyKey, OrderStatusHistory, OutboxEvent
from storeloop.orders.models import Order, OrderLine
from storeloop.orders.state import IllegalTransition
from storeloop.pricing.models import StoredCouponCode, StoredCustomerUsage, StoredOfferUsage
from tests.orders.checkout_store import AT, LIST_PRICE, assert_stock_invariants, seed

FLASH = {
    "id": "flash",
    "kind": "flash_sale",
    "products": {"skus": ["TEA"]},
    "price": 5900,
    "total_quantity": 3,
    "per_customer_limit": 1,
}
COUPON = {"id": "c5", "kind": "coupon", "amount_off": 500, "codes": [{"code": "ONCE-ONLY"}]}


def _count(factory: sessionmaker[Session], table: type) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_checkout_places_order_with_allocations_reservations_usage_and_outbox(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10, offers=(FLASH, COUPON))
    customer = store.customers[0]
    result = checkout(
        session_factory,
        customer,
        [CheckoutLine(store.sku, 2)],
        idempotency_key="k1",
        coupon_codes=["ONCE-ONLY"],
        at=AT,
    )
    order = result.order
    assert not result.replayed and order.status == "pending_payment"
    # one unit at the flash price (limit 1 per customer), then ¥5 off the order
    assert order.goods_amount == 2 * LIST_PRICE
    assert order.discount_amount == (LIST_PRICE - 5900) + 500
    assert order.total_amount == 2 * LIST_PRICE - order.discount_amount
    with session_factory() as session:
        (line,) = session.scalars(select(OrderLine)).all()
        assert line.discount_amount == order.discount_amount  # the engine's allocation
        assert session.scalar(select(StockLevel.reserved)) == 2
        (res,) = session.scalars(select(StockReservation)).all()
        assert res.quantity == 2 and res.expires_at == AT + timedelta(minutes=30)
        assert session.scalar(select(StoredCouponCode.uses)) == 1
        flash_usage = session.scalars(select(StoredOfferUsage)).all()
        assert sorted((u.uses, u.units) for u in flash_usage) == [(1, 1), (1, 2)]
        assert (
            session.scalar(
                select(StoredCustomerUsage.units).where(StoredCustomerUsage.max_units.is_not(None))
            )
            == 1
        )
        (event,) = session.scalars(select(OutboxEvent)).all()
        assert event.topic == "order.created" and event.payload["order_id"] == order.id
        assert event.published_at is None
        (history,) = session.scalars(select(OrderStatusHistory)).all()
        assert (history.from_status, history.to_status) == (None, "pending_payment")
    assert_stock_invariants(session_factory)


def test_idempotent_replay_returns_the_same_order_and_another_body_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10)
    customer = store.customers[0]
    first = checkout(
        session_factory, customer, [CheckoutLine(store.sku, 1)], idempotency_key="k", at=AT
    )
    again = checkout(
        session_factory, customer, [CheckoutLine(store.sku, 1)], idempotency_key="k", at=AT
    )
    assert again.replayed and again.order.id == first.order.id
    with pytest.raises(IdempotencyKeyReused):
        checkout(
            session_factory, customer, [CheckoutLine(store.sku, 2)], idempotency_key="k", at=AT
        )
    assert _count(session_factory, Order) == 1
    assert _count(session_factory, IdempotencyKey) == 1
    assert_stock_invariants(session_factory)


def test_refusals_change_nothing(session_factory: sessionmaker[Session]) -> None:
    store = seed(session_factory, stock=2, customers=2, offers=(COUPON,))
    a, b = store.customers
    with pytest.raises(Conflict):  # not enough stock
        checkout(session_factory, a, [CheckoutLine(store.sku, 3)], idempotency_key="x1", at=AT)
    with pytest.raises(PriceChanged):
        checkout(
            session_factory,
            a,
            [CheckoutLine(store.sku, 1)],
            idempotency_key="x2",
            at=AT,
            expected_total=1,
        )
    with pytest.raises(InvalidInput, match="NOPE"):
        checkout(
            session_factory,
            a,
            [CheckoutLine(store.sku, 1)],
            idempotency_key="x3",
            at=AT,
            coupon_codes=["NOPE"],
        )
    for table in (Order, OrderLine, StockReservation, OutboxEvent, IdempotencyKey):
        assert _count(session_factory, table) == 0
    checkout(
        session_factory,
        a,
        [CheckoutLine(store.sku, 1)],
        idempotency_key="ok",
        at=AT,
        coupon_codes=["ONCE-ONLY"],
    )
    with pytest.raises(InvalidInput, match="used 1 of 1"):  # the engine sees it used up
        checkout(
            session_factory,
            b,
            [CheckoutLine(store.sku, 1)],
            idempotency_key="x4",
            at=AT,
            coupon_codes=["ONCE-ONLY"],
        )
    # a failed checkout does not burn its key: the same request may be retried
    assert _count(session_factory, Order) == 1
    assert_stock_invariants(session_factory)
    assert OfferUsedUp  # raised when the race is lost after pricing (concurrency tests)


def test_payment_consumes_and_expiry_closes(session_factory: sessionmaker[Session]) -> None:
    store = seed(session_factory, stock=5, customers=2)
    a, b = store.customers
    paid = checkout(session_factory, a, [CheckoutLine(store.sku, 2)], idempotency_key="p", at=AT)
    unpaid = checkout(session_factory, b, [CheckoutLine(store.sku, 3)], idempotency_key="u", at=AT)
    mark_paid(session_factory, paid.order.id, at=AT + timedelta(minutes=5))
    with session_factory() as session:
        level = session.scalars(select(StockLevel)).one()
        assert (level.on_hand, level.reserved) == (3, 3)  # paid units left; unpaid still held
    assert_stock_invariants(session_factory)
    assert close_expired(session_factory, now=AT + timedelta(minutes=29)) == []
    assert close_expired(session_factory, now=AT + timedelta(minutes=31)) == [unpaid.order.id]
    assert close_expired(session_factory, now=AT + timedelta(minutes=32)) == []  # once only
    with session_factory() as session:
        level = session.scalars(select(StockLevel)).one()
        assert (level.on_hand, level.reserved) == (3, 0)
        statuses = {i: st for i, st in session.execute(select(Order.id, Order.status))}
        assert statuses == {paid.order.id: "paid", unpaid.order.id: "closed"}
        topics = sorted(session.scalars(select(OutboxEvent.topic)))
        assert topics == ["order.closed", "order.created", "order.created", "order.paid"]
    with pytest.raises(IllegalTransition, match="'closed'"):
        mark_paid(session_factory, unpaid.order.id, at=AT + timedelta(hours=1))
    assert_stock_invariants(session_factory)


def test_a_sold_out_checkout_is_refused_before_it_writes_and_a_replay_still_answers(
    session_factory: sessionmaker[Session],
) -> None:
    from storeloop.inventory.reservations import OutOfStock

    store = seed(session_factory, stock=1, customers=2)
    first = checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 1)],
        idempotency_key="k1",
        at=AT,
    )
    with pytest.raises(OutOfStock) as refused:
        checkout(
            session_factory,
            store.customers[1],
            [CheckoutLine(store.sku, 1)],
            idempotency_key="k2",
            at=AT,
        )
    assert refused.value.field == "quantity"
    with session_factory() as session:  # the refusal stored nothing, not even its key
        keys = session.scalars(select(IdempotencyKey.key)).all()
    assert keys == ["k1"]
    again = checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 1)],
        idempotency_key="k1",
        at=AT,
    )
    assert again.replayed and again.order.id == first.order.id  # sold out, yet the replay answers
    assert_stock_invariants(session_factory)

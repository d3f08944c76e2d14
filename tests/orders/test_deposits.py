"""Presale orders: deposit, then the balance in its window with the inflation credited; an
unpaid balance closes the order when the window ends and the deposit is forfeited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict
from storeloop.inventory.models import StockLevel, StockMovement
from storeloop.inventory.reservation_models import StockReservation
from storeloop.orders.checkout import CheckoutLine, checkout, close_expired
from storeloop.orders.checkout_models import OrderStatusHistory, OutboxEvent
from storeloop.orders.deposits import OutsideBalanceWindow, close_unpaid_balances
from storeloop.orders.gateway import PaymentKind, SimulatedGateway
from storeloop.orders.models import Order, Payment
from storeloop.orders.payments import (
    PaymentResult,
    amount_due,
    create_payment_intent,
    handle_callback,
)
from tests.orders.checkout_store import (
    AT,
    LIST_PRICE,
    assert_stock_invariants,
    race,
    seed,
    wide_factory,
)

SECRET = "test-secret"
DEPOSIT, WORTH, UNITS = 1000, 3000, 2
BALANCE_STARTS = AT + timedelta(days=2)
BALANCE_ENDS = AT + timedelta(days=3)
PRESALE = {
    "id": "presale-tea",
    "name": "定金10元抵30元",
    "kind": "presale",
    "products": {"skus": ["TEA"]},
    "deposit": DEPOSIT,
    "worth": WORTH,
    "deposit_starts_at": (AT - timedelta(days=1)).isoformat(),
    "deposit_ends_at": (AT + timedelta(days=1)).isoformat(),
    "balance_starts_at": BALANCE_STARTS.isoformat(),
    "balance_ends_at": BALANCE_ENDS.isoformat(),
}
# derived from the offer rule (PRESALE), not read back from the engine
INFLATION = (WORTH - DEPOSIT) * UNITS  # the offer rule: worth − deposit per unit
TOTAL = LIST_PRICE * UNITS - INFLATION
DEPOSIT_DUE = DEPOSIT * UNITS
BALANCE_DUE = TOTAL - DEPOSIT_DUE


def _presale_order(factory: sessionmaker[Session]) -> int:
    store = seed(factory, stock=10, offers=(PRESALE,))
    result = checkout(
        factory, store.customers[0], [CheckoutLine(store.sku, UNITS)], idempotency_key="p", at=AT
    )
    return result.order.id


def _pay(
    factory: sessionmaker[Session], order_id: int, kind: PaymentKind, at: datetime
) -> PaymentResult:
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(factory, gateway, order_id, kind)
    return handle_callback(factory, *gateway.callback(intent), at=at, secret=SECRET)


def _statuses(factory: sessionmaker[Session], order_id: int) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(
                select(OrderStatusHistory.to_status)
                .where(OrderStatusHistory.order_id == order_id)
                .order_by(OrderStatusHistory.id)
            )
        )


def _topics(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def test_deposit_then_balance_with_inflation_credited(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _presale_order(session_factory)
    with session_factory() as session:
        order = session.get_one(Order, order_id)
        assert order.is_presale and order.total_amount == TOTAL
        assert order.deposit_amount == DEPOSIT_DUE
        assert (order.balance_starts_at, order.balance_ends_at) == (BALANCE_STARTS, BALANCE_ENDS)
        with pytest.raises(Conflict, match="owes no full payment"):
            amount_due(session, order, "full")

    _pay(session_factory, order_id, "deposit", AT + timedelta(minutes=5))
    with session_factory() as session:
        assert session.get_one(Order, order_id).status == "deposit_paid"
        # stock still held, until the balance window ends
        assert session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one() == (10, 2)
        (res,) = session.scalars(select(StockReservation)).all()
        assert res.expires_at == BALANCE_ENDS and res.consumed_at is None
    # the checkout reservation TTL (30 min) passing does not release a paid deposit's stock
    assert close_expired(session_factory, now=AT + timedelta(days=1)) == []
    assert_stock_invariants(session_factory)

    # too early for the balance
    with pytest.raises(OutsideBalanceWindow):
        _pay(session_factory, order_id, "balance", AT + timedelta(days=1))
    with session_factory() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "deposit_paid"
        assert amount_due(session, order, "balance") == BALANCE_DUE
        assert session.scalar(select(func.count()).select_from(Payment)) == 1

    _pay(session_factory, order_id, "balance", BALANCE_STARTS + timedelta(hours=1))
    with session_factory() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "paid"
        payments = session.execute(
            select(Payment.kind, Payment.amount, Payment.status).order_by(Payment.id)
        ).all()
        assert payments == [
            ("deposit", DEPOSIT_DUE, "succeeded"),
            ("balance", BALANCE_DUE, "succeeded"),
        ]
        assert sum(p.amount for p in payments) == LIST_PRICE * UNITS - INFLATION
        assert session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one() == (8, 0)
        assert session.scalar(select(func.count()).where(StockMovement.reason == "sale")) == 1
    assert _statuses(session_factory, order_id) == ["pending_payment", "deposit_paid", "paid"]
    assert _topics(session_factory) == ["order.created", "order.deposit_paid", "order.paid"]
    assert_stock_invariants(session_factory)


def test_unpaid_balance_closes_the_order_and_forfeits_the_deposit(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _presale_order(session_factory)
    _pay(session_factory, order_id, "deposit", AT + timedelta(minutes=5))
    assert close_unpaid_balances(session_factory, now=BALANCE_ENDS - timedelta(seconds=1)) == []
    assert close_unpaid_balances(session_factory, now=BALANCE_ENDS) == [order_id]
    assert close_unpaid_balances(session_factory, now=BALANCE_ENDS) == []  # once
    with session_factory() as session:
        assert session.get_one(Order, order_id).status == "closed"
        assert session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one() == (10, 0)
        # policy: the deposit is not refunded
        deposit = session.scalars(select(Payment)).one()
        assert (deposit.kind, deposit.status, deposit.amount) == ("deposit", "succeeded", 2000)
        event = session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == "order.deposit_forfeited")
        ).one()
        assert event.payload["deposit_amount"] == DEPOSIT_DUE
    assert _topics(session_factory)[-2:] == ["order.closed", "order.deposit_forfeited"]
    # a balance arriving after the window is refused and changes nothing
    with pytest.raises(Conflict):
        _pay(session_factory, order_id, "balance", BALANCE_ENDS + timedelta(hours=1))
    assert_stock_invariants(session_factory)


def test_balance_after_the_window_is_refused_even_before_the_sweep(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _presale_order(session_factory)
    _pay(session_factory, order_id, "deposit", AT + timedelta(minutes=5))
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(session_factory, gateway, order_id, "balance")
    assert intent.amount == BALANCE_DUE
    with pytest.raises(OutsideBalanceWindow):
        handle_callback(session_factory, *gateway.callback(intent), at=BALANCE_ENDS, secret=SECRET)
    with session_factory() as session:
        assert session.get_one(Order, order_id).status == "deposit_paid"
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert_stock_invariants(session_factory)


def test_balance_racing_the_window_sweep_either_pays_or_closes_never_both(engine: Engine) -> None:
    with wide_factory(engine) as factory:
        order_id = _presale_order(factory)
        _pay(factory, order_id, "deposit", AT + timedelta(minutes=5))
        gateway = SimulatedGateway(SECRET)
        intent = create_payment_intent(factory, gateway, order_id, "balance")
        body, signature = gateway.callback(intent)

        def attempt(i: int) -> object:
            if i == 0:
                return close_unpaid_balances(factory, now=BALANCE_ENDS)
            at = BALANCE_ENDS - timedelta(seconds=1)
            return handle_callback(factory, body, signature, at=at, secret=SECRET)

        results = race(2, attempt)
        with factory() as session:
            status = session.get_one(Order, order_id).status
            payments = session.scalar(select(func.count()).select_from(Payment))
            level = session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one()
        if status == "paid":
            assert (payments, level) == (2, (8, 0)), results
        else:
            assert (status, payments, level) == ("closed", 1, (10, 0)), results
        assert_stock_invariants(factory)

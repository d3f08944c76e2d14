"""Checkout under real concurrency, on SQLite and PostgreSQL: hundreds of threads released at
once by a barrier against one store. Each test ends with the stock invariants (reserved = open
reservations, on hand = the ledger) and its own exact counts.

Refusals must be the store's own (``StoreError``: out of stock, used up, price changed); a
deadlock, "database is locked" or any other error fails the test.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import StoreError
from storeloop.inventory.models import StockLevel
from storeloop.orders.checkout import (
    CheckoutLine,
    CheckoutResult,
    checkout,
    close_expired,
    mark_paid,
)
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.models import Order, OrderLine
from storeloop.pricing.models import StoredCouponCode, StoredCustomerUsage, StoredOfferUsage
from tests.orders.checkout_store import (
    AT,
    LIST_PRICE,
    assert_stock_invariants,
    race,
    seed,
    wide_factory,
)

T = TypeVar("T")
FLASH_PRICE = 5900


def _flash(units: int) -> dict[str, object]:
    return {
        "id": "flash",
        "kind": "flash_sale",
        "products": {"skus": ["TEA"]},
        "price": FLASH_PRICE,
        "total_quantity": units,
        "per_customer_limit": 1,
    }


def _orders(factory: sessionmaker[Session]) -> list[tuple[int, int]]:
    with factory() as session:
        return [(o, c) for o, c in session.execute(select(Order.id, Order.customer_id))]


def _reserved(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.sum(StockLevel.reserved))) or 0


def test_flash_sale_200_buyers_sells_exactly_n_within_the_customer_limit(
    engine: Engine,
) -> None:
    """20 flash units, 200 buyers (50 of them twice, from two threads), limit 1 each."""
    n_units, buyers = 20, 200
    with wide_factory(engine) as factory:
        store = seed(factory, stock=50, customers=150, offers=(_flash(n_units),))
        who = store.customers + store.customers[:50]

        def buy(i: int) -> CheckoutResult:
            return checkout(
                factory,
                who[i],
                [CheckoutLine(store.sku, 1)],
                idempotency_key=f"flash-{i}",
                at=AT,
                expected_total=FLASH_PRICE,
            )

        outcomes = race(buyers, buy)
        sold = [o for o in outcomes if isinstance(o, CheckoutResult)]
        assert len(sold) == n_units
        orders = _orders(factory)
        assert len(orders) == n_units
        customers = [c for _, c in orders]
        assert len(set(customers)) == n_units  # nobody bought twice
        assert _reserved(factory) == n_units
        with factory() as session:
            usage = session.scalars(select(StoredOfferUsage)).one()
            assert (usage.uses, usage.units) == (n_units, n_units)
            per_customer = session.scalars(select(StoredCustomerUsage.units)).all()
            assert len(per_customer) == n_units and set(per_customer) == {1}
            discounts = session.scalars(select(OrderLine.discount_amount)).all()
            assert set(discounts) == {LIST_PRICE - FLASH_PRICE}
        assert_stock_invariants(factory)


def test_100_concurrent_redemptions_of_a_single_use_coupon_redeem_it_once(
    engine: Engine,
) -> None:
    coupon = {"id": "c5", "kind": "coupon", "amount_off": 500, "codes": [{"code": "ONCE-ONLY"}]}
    with wide_factory(engine) as factory:
        store = seed(factory, stock=500, customers=100, offers=(coupon,))

        def redeem(i: int) -> CheckoutResult:
            return checkout(
                factory,
                store.customers[i],
                [CheckoutLine(store.sku, 1)],
                idempotency_key=f"coupon-{i}",
                coupon_codes=["ONCE-ONLY"],
                at=AT,
            )

        outcomes = race(100, redeem)
        assert sum(isinstance(o, CheckoutResult) for o in outcomes) == 1
        assert len(_orders(factory)) == 1
        with factory() as session:
            assert session.scalar(select(StoredCouponCode.uses)) == 1
            assert session.scalar(select(StoredOfferUsage.uses)) == 1
            assert session.scalar(select(Order.discount_amount)) == 500
        assert _reserved(factory) == 1
        assert_stock_invariants(factory)


def test_buyers_racing_for_the_last_unit(engine: Engine) -> None:
    with wide_factory(engine) as factory:
        store = seed(factory, stock=1, customers=40)

        def buy(i: int) -> CheckoutResult:
            return checkout(
                factory,
                store.customers[i],
                [CheckoutLine(store.sku, 1)],
                idempotency_key=f"last-{i}",
                at=AT,
            )

        outcomes = race(40, buy)
        assert sum(isinstance(o, CheckoutResult) for o in outcomes) == 1
        assert len(_orders(factory)) == 1
        assert _reserved(factory) == 1
        assert_stock_invariants(factory)


def test_same_customer_from_two_sessions_cannot_pass_the_per_customer_limit(
    engine: Engine,
) -> None:
    """Eight rounds of one customer's two tabs racing; the limit holds every time."""
    with wide_factory(engine) as factory:
        store = seed(factory, stock=100, customers=8, offers=(_flash(50),))

        def round_(customer: int) -> list[CheckoutResult | StoreError]:
            return race(
                2,
                lambda tab: checkout(
                    factory,
                    customer,
                    [CheckoutLine(store.sku, 1)],
                    idempotency_key=f"tab-{customer}-{tab}",
                    at=AT,
                    expected_total=FLASH_PRICE,
                ),
            )

        for customer in store.customers:
            outcomes = round_(customer)
            assert sum(isinstance(o, CheckoutResult) for o in outcomes) == 1
        with factory() as session:
            per_customer = session.execute(
                select(StoredCustomerUsage.customer_id, StoredCustomerUsage.units)
            ).all()
            assert sorted(per_customer) == [(c, 1) for c in sorted(store.customers)]
        assert len(_orders(factory)) == 8
        assert_stock_invariants(factory)


def test_idempotent_retries_from_ten_threads_make_one_order(engine: Engine) -> None:
    with wide_factory(engine) as factory:
        store = seed(factory, stock=10)

        def retry(_: int) -> CheckoutResult:
            return checkout(
                factory,
                store.customers[0],
                [CheckoutLine(store.sku, 3)],
                idempotency_key="same-key",
                at=AT,
            )

        outcomes = race(10, retry)
        assert all(isinstance(o, CheckoutResult) for o in outcomes), outcomes
        results = [o for o in outcomes if isinstance(o, CheckoutResult)]
        assert len({r.order.id for r in results}) == 1
        assert sum(not r.replayed for r in results) == 1
        assert len(_orders(factory)) == 1
        assert _reserved(factory) == 3
        assert_stock_invariants(factory)


def test_payments_racing_the_expiry_sweep_end_each_reservation_once(engine: Engine) -> None:
    """30 unpaid orders past their expiry: 30 payments and 6 expiry sweeps at once. Each order
    ends paid (its units sold) or closed (its units back), never both, and nothing deadlocks."""
    n = 30
    with wide_factory(engine) as factory:
        store = seed(factory, stock=n, customers=n)
        orders = [
            checkout(
                factory,
                customer,
                [CheckoutLine(store.sku, 1)],
                idempotency_key=f"late-{customer}",
                at=AT,
                reservation_ttl=timedelta(minutes=30),
            ).order.id
            for customer in store.customers
        ]
        late = AT + timedelta(minutes=31)

        def act(i: int) -> object:
            # Staggered, so that both sides win some orders whatever the scheduler does.
            time.sleep(0.02 * (i % 2) if i < n else 0.005 * (i - n))
            if i < n:
                return mark_paid(factory, orders[i], at=late)
            return close_expired(factory, now=late)

        outcomes = race(n + 6, act)
        paid = sum(not isinstance(o, StoreError) for o in outcomes[:n])
        closed = sum(len(o) for o in outcomes[n:] if isinstance(o, list))
        assert paid + closed == n
        with factory() as session:
            statuses = session.scalars(select(Order.status)).all()
            assert sorted(statuses) == sorted(["paid"] * paid + ["closed"] * closed)
            level = session.scalars(select(StockLevel)).one()
            assert (level.on_hand, level.reserved) == (n - paid, 0)
            topics = session.scalars(select(OutboxEvent.topic)).all()
            assert topics.count("order.paid") == paid
            assert topics.count("order.closed") == closed
        assert_stock_invariants(factory)

"""Points under real concurrency, on SQLite and PostgreSQL: threads released together by a
barrier against one store. Refusals must be the store's own (``StoreError``); a deadlock,
"database is locked" or any other error fails the test. Each test ends with the points
invariants and its own exact counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict, StoreError
from storeloop.inventory.locks import write_session
from storeloop.loyalty.models import PointsEntry
from storeloop.loyalty.service import add_months, expire_points, spend_points_in
from storeloop.orders.checkout import CheckoutLine, checkout
from storeloop.orders.models import Order
from tests.loyalty import (
    AT,
    assert_points_invariants,
    balance,
    grant,
    make_customers,
    make_order,
)
from tests.orders.checkout_store import AT as SHOP_AT
from tests.orders.checkout_store import assert_stock_invariants, race, seed, wide_factory


def _spend(
    factory: sessionmaker[Session], customer: int, points: int, order: int, at: datetime = AT
) -> None:
    with write_session(factory) as session:
        spend_points_in(session, customer, points, order_id=order, at=at)


def test_checkouts_racing_for_the_same_points_only_one_spends_them(engine: Engine) -> None:
    """20 checkouts by one customer, each paying 100 points of a 100-point balance."""
    n = 20
    with wide_factory(engine) as factory:
        store = seed(factory, stock=100)
        (customer,) = store.customers
        grant(factory, customer, 100, at=SHOP_AT)
        results = race(
            n,
            lambda i: checkout(
                factory,
                customer,
                [CheckoutLine(store.sku, 1)],
                idempotency_key=f"points-{i}",
                at=SHOP_AT,
                points=100,
            ),
        )
        refused = [r for r in results if isinstance(r, StoreError)]
        assert len(refused) == n - 1
        assert all(isinstance(r, Conflict) and r.field == "points" for r in refused)
        with factory() as session:
            orders = session.scalars(select(Order)).all()
        assert len(orders) == 1 and orders[0].points_spent == 100
        assert balance(factory, customer) == 0
        assert_stock_invariants(factory)
        assert_points_invariants(factory)


def test_fifty_spends_of_ten_from_two_hundred_exactly_twenty_succeed(engine: Engine) -> None:
    n, each, start = 50, 10, 200
    with wide_factory(engine) as factory:
        (customer,) = make_customers(factory, 1)
        order = make_order(factory, customer, goods=100_000, status="pending_payment")
        grant(factory, customer, 120)
        grant(factory, customer, start - 120, at=AT - timedelta(days=10))  # two lots, FIFO
        results = race(n, lambda _: _spend(factory, customer, each, order))
        succeeded = [r for r in results if not isinstance(r, StoreError)]
        assert len(succeeded) == start // each
        assert all(isinstance(r, Conflict) for r in results if isinstance(r, StoreError))
        assert balance(factory, customer) == 0
        with factory() as session:
            spends = session.scalars(
                select(PointsEntry.delta).where(PointsEntry.reason == "spend")
            ).all()
            lots_left = session.scalar(select(func.sum(PointsEntry.remaining)))
        assert spends == [-each] * (start // each)
        assert lots_left == 0
        assert_points_invariants(factory)


def test_expiry_racing_spending_never_spends_expired_points(engine: Engine) -> None:
    """5 customers, each with 100 points expiring now and 100 good for a year; 20 spends of 30
    (4 per customer) race 5 sweeps at the same instant. Expired points can be neither spent
    nor expired twice: each customer loses exactly 100 to expiry and makes 3 spends."""
    n_customers, spends_each, each, sweeps = 5, 4, 30, 5
    with wide_factory(engine) as factory:
        customers = make_customers(factory, n_customers)
        orders = {
            c: make_order(factory, c, goods=10_000, status="pending_payment") for c in customers
        }
        now = AT + timedelta(days=1)
        for c in customers:
            grant(factory, c, 100, at=add_months(now, -12))  # expires exactly at ``now``
            grant(factory, c, 100, at=AT)

        def attempt(i: int) -> int | None:
            if i < sweeps:
                return expire_points(factory, now)
            c = customers[(i - sweeps) % n_customers]
            _spend(factory, c, each, orders[c], at=now)
            return None

        results = race(sweeps + n_customers * spends_each, attempt)
        errors = [r for r in results if isinstance(r, StoreError)]
        assert all(isinstance(r, Conflict) and r.field == "points" for r in errors)
        assert len(errors) == n_customers * (spends_each - 100 // each)
        with factory() as session:
            by_reason = dict(
                session.execute(
                    select(PointsEntry.reason, func.sum(PointsEntry.delta)).group_by(
                        PointsEntry.reason
                    )
                ).all()
            )
            expire_rows = session.scalar(select(func.count()).where(PointsEntry.reason == "expire"))
        assert by_reason["expire"] == -100 * n_customers
        assert expire_rows == n_customers  # one sweep (lazy or not) per customer
        assert by_reason["spend"] == -each * (100 // each) * n_customers
        for c in customers:
            assert balance(factory, c) == 100 - each * (100 // each)
        assert_points_invariants(factory, now)

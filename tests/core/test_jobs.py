"""The periodic sweeps, run once, from the CLI and from the server's background thread."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from storeloop.cli import app
from storeloop.jobs import Sweeper, run_sweeps
from storeloop.orders.checkout import CheckoutLine, checkout
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.models import Order
from tests.orders.checkout_store import AT, assert_stock_invariants, seed


def _place(factory: sessionmaker[Session], customer: int, sku: int, key: str) -> int:
    return checkout(
        factory,
        customer,
        [CheckoutLine(sku, 1)],
        idempotency_key=key,
        at=AT,
        reservation_ttl=timedelta(minutes=30),
    ).order.id


def test_one_sweep_closes_expired_orders_and_writes_follow_ups(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=3, customers=1)
    order_id = _place(session_factory, store.customers[0], store.sku, "sweep-1")
    early = run_sweeps(session_factory, AT + timedelta(minutes=10))
    assert (early.closed_unpaid, early.followups) == (0, 0)
    late = run_sweeps(session_factory, AT + timedelta(hours=2))
    assert late.closed_unpaid == 1
    with session_factory() as session:
        assert session.get_one(Order, order_id).status == "closed"
        topics = set(session.scalars(select(OutboxEvent.topic)))
    assert {"order.created", "order.closed"} <= topics
    assert_stock_invariants(session_factory)
    again = run_sweeps(session_factory, AT + timedelta(hours=3))
    assert (again.closed_unpaid, again.followups) == (0, 0)  # nothing twice


def test_follow_up_comes_before_the_close_when_the_hold_outlives_the_hour(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=3, customers=1)
    checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 1)],
        idempotency_key="sweep-2",
        at=AT,
        reservation_ttl=timedelta(hours=2),
    )
    report = run_sweeps(session_factory, AT + timedelta(minutes=61))
    assert (report.closed_unpaid, report.followups) == (0, 1)


def test_cli_sweep_and_the_background_thread(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    store = seed(session_factory, stock=3, customers=1)
    result = CliRunner().invoke(app, ["sweep", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert "closed unpaid 0" in result.output
    order_id = checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 1)],
        idempotency_key="sweep-3",
        at=AT,  # long ago: its 30 minutes are over by now
    ).order.id
    sweeper = Sweeper(session_factory, every=0.05)
    sweeper.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with session_factory() as session:
                if session.get_one(Order, order_id).status == "closed":
                    break
            time.sleep(0.05)
    finally:
        sweeper.stop()
        sweeper.join(timeout=10)
    with session_factory() as session:
        assert session.get_one(Order, order_id).status == "closed"

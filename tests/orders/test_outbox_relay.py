"""The outbox relay: in id order, published in the handler's transaction, a failing handler
rolls back and leaves its event unpublished, and relays racing each other deliver every event
exactly once (PostgreSQL: SKIP LOCKED; SQLite: the write lock)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import session_scope
from storeloop.loyalty.models import PointsEntry
from storeloop.loyalty.service import adjust_points
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.outbox_relay import default_handlers, fan_out, relay_once
from tests.loyalty import (
    AT,
    add_event,
    add_refund,
    assert_points_invariants,
    balance,
    make_customers,
    make_order,
)
from tests.orders.checkout_store import wide_factory

NOW = AT + timedelta(hours=1)


def _record(session: Session, event: OutboxEvent) -> None:
    """A handler whose effect is a row in this database: one +1 points adjustment per event."""
    adjust_points(session, event.payload["customer"], 1, note=f"event {event.id}", at=AT)


def _add_events(factory: sessionmaker[Session], topic: str, customers: list[int], n: int) -> None:
    with session_scope(factory) as session:
        session.add_all(
            OutboxEvent(
                topic=topic, created_at=AT, payload={"customer": customers[i % len(customers)]}
            )
            for i in range(n)
        )


def _published(factory: sessionmaker[Session]) -> dict[int, bool]:
    with factory() as session:
        return {
            id_: at is not None
            for id_, at in session.execute(select(OutboxEvent.id, OutboxEvent.published_at))
        }


def _deliveries(factory: sessionmaker[Session]) -> Counter[str]:
    with factory() as session:
        return Counter(session.scalars(select(PointsEntry.note)))


def test_relay_delivers_in_id_order_and_publishes(session_factory: sessionmaker[Session]) -> None:
    (c,) = make_customers(session_factory, 1)
    _add_events(session_factory, "test.topic", [c], 5)
    _add_events(session_factory, "nobody.listens", [c], 2)
    seen: list[int] = []

    def handler(session: Session, event: OutboxEvent) -> None:
        seen.append(event.id)
        _record(session, event)

    assert relay_once(session_factory, {"test.topic": handler}, now=NOW, batch=3) == 3
    assert relay_once(session_factory, {"test.topic": handler}, now=NOW) == 2
    assert relay_once(session_factory, {"test.topic": handler}, now=NOW) == 0
    assert seen == sorted(seen) and len(seen) == 5
    published = _published(session_factory)
    assert sorted(i for i, done in published.items() if done) == seen
    assert sum(not done for done in published.values()) == 2  # no handler: left for one
    with session_factory() as session:
        stamps = set(
            session.scalars(
                select(OutboxEvent.published_at).where(OutboxEvent.published_at.is_not(None))
            )
        )
    assert stamps == {NOW}
    assert balance(session_factory, c) == 5
    assert_points_invariants(session_factory)


def test_a_failing_handler_rolls_back_and_its_event_stays_unpublished(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    _add_events(session_factory, "test.topic", [c], 3)
    first = min(_published(session_factory))

    def flaky(session: Session, event: OutboxEvent) -> None:
        _record(session, event)  # written, then undone by the failure
        if event.id == first:
            raise RuntimeError("downstream is down")

    assert relay_once(session_factory, {"test.topic": flaky}, now=NOW) == 2
    assert _published(session_factory)[first] is False
    assert f"event {first}" not in _deliveries(session_factory)
    assert balance(session_factory, c) == 2
    # the next run retries it, now with a healthy handler, and delivers it once
    assert relay_once(session_factory, {"test.topic": _record}, now=NOW) == 1
    assert all(_published(session_factory).values())
    assert set(_deliveries(session_factory).values()) == {1}
    assert_points_invariants(session_factory)


def test_fan_out_runs_every_subscriber_in_one_transaction(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    _add_events(session_factory, "test.topic", [c], 1)

    def broken(session: Session, event: OutboxEvent) -> None:
        raise RuntimeError("second subscriber fails")

    assert relay_once(session_factory, {"test.topic": fan_out(_record, broken)}, now=NOW) == 0
    assert balance(session_factory, c) == 0  # the first subscriber's write was rolled back too
    assert relay_once(session_factory, {"test.topic": fan_out(_record, _record)}, now=NOW) == 1
    assert balance(session_factory, c) == 2
    with pytest.raises(ValueError):
        relay_once(session_factory, {"test.topic": _record}, now=NOW, batch=0)


def test_loyalty_earns_and_reverses_through_the_relay(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=30_000)
    add_event(session_factory, "order.delivered", order, AT)
    add_event(session_factory, "order.completed", order, AT + timedelta(days=7))
    handlers = default_handlers()
    assert {"order.delivered", "order.completed", "order.refunded"} <= set(handlers)
    assert relay_once(session_factory, handlers, now=NOW) == 2
    assert balance(session_factory, c) == 300  # earned once, not twice
    add_refund(session_factory, order, 10_000, at=AT + timedelta(days=8))
    assert relay_once(session_factory, handlers, now=NOW) == 1
    assert balance(session_factory, c) == 300 - (300 - 300 * 20_000 // 30_000)
    assert all(_published(session_factory).values())
    assert_points_invariants(session_factory)


def test_racing_relays_deliver_each_event_exactly_once(engine: Engine) -> None:
    """20 relays at once over 300 events for 7 customers: every event's handler commits once."""
    relays, n_events = 20, 300
    with wide_factory(engine) as factory:
        customers = make_customers(factory, 7)
        _add_events(factory, "test.topic", customers, n_events)
        attempts: Counter[int] = Counter()
        lock = threading.Lock()

        def counting(session: Session, event: OutboxEvent) -> None:
            with lock:
                attempts[event.id] += 1
            _record(session, event)

        barrier = threading.Barrier(relays)

        def run(_: int) -> int:
            barrier.wait()
            total = 0
            while (done := relay_once(factory, {"test.topic": counting}, now=NOW, batch=25)) > 0:
                total += done
            return total

        with ThreadPoolExecutor(max_workers=relays) as pool:
            counts = list(pool.map(run, range(relays)))
        assert sum(counts) == n_events
        assert all(_published(factory).values())
        deliveries = _deliveries(factory)
        assert len(deliveries) == n_events and set(deliveries.values()) == {1}
        assert set(attempts.values()) == {1}  # nobody even ran a handler twice
        with factory() as session:
            total = session.scalar(select(func.sum(PointsEntry.delta)))
        assert total == n_events
        assert_points_invariants(factory)

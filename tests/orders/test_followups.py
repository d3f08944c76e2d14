"""``order.unpaid_1h``: one event per order still unpaid an hour after it was placed, whatever
the number of sweeps, concurrent or not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.orders.checkout import CheckoutLine, checkout, mark_paid
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.followups import UNPAID_TOPIC, emit_unpaid_followups
from tests.orders.checkout_store import AT, assert_stock_invariants, race, seed, wide_factory


def _orders(factory: sessionmaker[Session], n: int) -> list[int]:
    store = seed(factory, stock=10, customers=n)
    return [
        checkout(
            factory,
            customer,
            [CheckoutLine(store.sku, 1)],
            idempotency_key=f"k{i}",
            at=AT + timedelta(minutes=i),
            reservation_ttl=timedelta(hours=2),
        ).order.id
        for i, customer in enumerate(store.customers)
    ]


def _unpaid_events(factory: sessionmaker[Session]) -> list[int]:
    with factory() as session:
        return sorted(
            e.payload["order_id"]
            for e in session.scalars(select(OutboxEvent).where(OutboxEvent.topic == UNPAID_TOPIC))
        )


def test_unpaid_1h_is_emitted_once_per_unpaid_order(
    session_factory: sessionmaker[Session],
) -> None:
    first, second, paid = _orders(session_factory, 3)
    mark_paid(session_factory, paid, at=AT + timedelta(minutes=10))
    hour = timedelta(hours=1)
    assert emit_unpaid_followups(session_factory, AT + hour - timedelta(seconds=1)) == []
    assert emit_unpaid_followups(session_factory, AT + hour) == [first]
    assert emit_unpaid_followups(session_factory, AT + hour + timedelta(minutes=1)) == [second]
    assert emit_unpaid_followups(session_factory, AT + 2 * hour) == []
    assert _unpaid_events(session_factory) == [first, second]
    with session_factory() as session:
        event = session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == UNPAID_TOPIC)
        ).first()
        assert event is not None and event.dedupe_key == f"{UNPAID_TOPIC}:{first}"
    assert_stock_invariants(session_factory)


def test_three_concurrent_sweeps_emit_each_event_once(engine: Engine) -> None:
    with wide_factory(engine) as factory:
        ids = _orders(factory, 5)
        now = AT + timedelta(hours=1, minutes=30)
        results = race(3, lambda _: emit_unpaid_followups(factory, now))
        written = sorted(i for r in results if isinstance(r, list) for i in r)
        assert all(isinstance(r, list) for r in results), results
        assert written == sorted(ids)
        assert _unpaid_events(factory) == sorted(ids)
        for _ in range(2):
            assert emit_unpaid_followups(factory, now + timedelta(hours=1)) == []
        assert _unpaid_events(factory) == sorted(ids)
        assert_stock_invariants(factory)

"""Customer-service follow-ups: ``order.unpaid_1h`` for an order still unpaid an hour after it
was placed (the S1.2c follow-up consumes it).

``emit_unpaid_followups(session_factory, now)`` is a sweep to run every few minutes. Each event
carries ``outbox.dedupe_key = "order.unpaid_1h:<order id>"``, unique, and is inserted with
``ON CONFLICT DO NOTHING``: repeated sweeps and concurrent sweepers write exactly one event per
order, and an order paid or closed before the sweep gets none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storeloop.inventory.locks import write_session
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.models import Order

UNPAID_TOPIC = "order.unpaid_1h"
UNPAID_AFTER = timedelta(hours=1)


def dedupe_key(order_id: int) -> str:
    return f"{UNPAID_TOPIC}:{order_id}"


def emit_unpaid_followups(session_factory: sessionmaker[Session], now: datetime) -> list[int]:
    """Write ``order.unpaid_1h`` for every ``pending_payment`` order placed at or before
    ``now - 1h`` that has none yet; returns the ids this call wrote events for."""
    with write_session(session_factory) as session:
        key_of_order = literal(f"{UNPAID_TOPIC}:", String) + cast(Order.id, String)
        already = select(OutboxEvent.id).where(OutboxEvent.dedupe_key == key_of_order)
        due = session.execute(
            select(Order.id, Order.number, Order.customer_id, Order.total_amount, Order.placed_at)
            .where(
                Order.status == "pending_payment",
                Order.placed_at <= now - UNPAID_AFTER,
                ~already.exists(),
            )
            .order_by(Order.id)
        ).all()
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        written = []
        for order_id, number, customer_id, total, placed_at in due:
            done = session.execute(
                dialect.insert(OutboxEvent)
                .values(
                    topic=UNPAID_TOPIC,
                    dedupe_key=dedupe_key(order_id),
                    created_at=now,
                    payload={
                        "order_id": order_id,
                        "number": number,
                        "customer_id": customer_id,
                        "total_amount": total,
                        "placed_at": placed_at.isoformat(),
                    },
                )
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(OutboxEvent.id)  # rowcount is unreliable here with psycopg
            )
            if done.scalar() is not None:
                written.append(order_id)
        return written


__all__ = ["UNPAID_AFTER", "UNPAID_TOPIC", "dedupe_key", "emit_unpaid_followups"]

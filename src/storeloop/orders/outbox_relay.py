"""The outbox relay: deliver ``outbox`` events to in-database handlers, each exactly once.

Checkout, payments and fulfilment write an ``OutboxEvent`` in the same transaction as the change
it announces; this relay hands each one to the handler registered for its topic and sets its
``published_at`` **in the handler's transaction**. Either both commit or neither does, so for a
handler that only writes to this database delivery is exactly once: a crash before the commit
leaves the event unpublished and its effects undone, to be delivered again by the next run.

How events are claimed:

* one event per write transaction, in id order; a relay's later claims only look past the
  last event it claimed, so a failing event does not hold back the ones after it;
* **PostgreSQL**: ``SELECT … FOR UPDATE SKIP LOCKED`` — two relays running at once each take
  the next event nobody holds, and an event published while a relay waited no longer matches
  ``published_at IS NULL`` when its row is re-checked;
* **SQLite**: the transaction starts with ``BEGIN IMMEDIATE`` (``write_session``), so relays
  take turns and each sees what the previous one published.

One event per transaction is also what keeps two relays deadlock-free: a handler locks what it
needs (loyalty: one customer's points account), and no transaction holds locks for two
events' handlers at once.

A handler that raises rolls its transaction back; the event stays unpublished and is retried on
the next run (the error is logged). Handlers must therefore tolerate running again after a
failure, and must not assume events of different orders arrive in any order. Only topics in
``handlers`` are claimed: an event nobody subscribes to stays unpublished until a handler for its
topic is registered, and is then delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storeloop.inventory.locks import write_session
from storeloop.loyalty import service as loyalty
from storeloop.orders.checkout_models import OutboxEvent

log = logging.getLogger(__name__)

Handler = Callable[[Session, OutboxEvent], None]


def fan_out(*handlers: Handler) -> Handler:
    """One handler that runs ``handlers`` in turn, in one transaction (a topic with several
    subscribers: all of them succeed or the event is retried for all)."""

    def run(session: Session, event: OutboxEvent) -> None:
        for handler in handlers:
            handler(session, event)

    return run


def default_handlers() -> dict[str, Handler]:
    """Every in-database subscriber, by topic: the one registry a relay runs with."""
    subscribers: dict[str, list[Handler]] = {}
    for registry in (loyalty.HANDLERS,):
        for topic, handler in registry.items():
            subscribers.setdefault(topic, []).append(handler)
    return {
        topic: found[0] if len(found) == 1 else fan_out(*found)
        for topic, found in subscribers.items()
    }


def _claim_next(session: Session, topics: list[str], after: int) -> OutboxEvent | None:
    return session.scalars(
        select(OutboxEvent)
        .where(
            OutboxEvent.published_at.is_(None),
            OutboxEvent.topic.in_(topics),
            OutboxEvent.id > after,
        )
        .order_by(OutboxEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).one_or_none()


def relay_once(
    session_factory: sessionmaker[Session],
    handlers: Mapping[str, Handler],
    *,
    now: datetime,
    batch: int = 100,
) -> int:
    """Deliver up to ``batch`` unpublished events whose topic has a handler; returns how many
    were published (events whose handler failed stay unpublished and are not counted)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    topics = sorted(handlers)
    if not topics:
        return 0
    published, after = 0, 0
    for _ in range(batch):
        claimed: OutboxEvent | None = None
        topic = ""
        try:
            with write_session(session_factory) as session:
                claimed = _claim_next(session, topics, after)
                if claimed is None:
                    break
                after, topic = claimed.id, claimed.topic
                handlers[topic](session, claimed)
                done = session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id == after, OutboxEvent.published_at.is_(None))
                    .values(published_at=now)
                    .execution_options(synchronize_session=False)
                )
                if done.rowcount != 1:  # pragma: no cover - the claim holds the row
                    raise RuntimeError(f"outbox event {after} was published meanwhile")
        except Exception:
            if claimed is None:
                raise  # the claim itself failed: the database, not a handler
            log.exception("outbox event %s (%s) failed; it stays unpublished", after, topic)
            continue
        published += 1
    return published

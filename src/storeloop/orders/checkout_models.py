"""Checkout's own tables: idempotency keys, the transactional outbox and order status history.

All three are written in the same transaction as the order they describe, so an acknowledged
order always has its key, its ``order.created`` event and its first history row, and a rolled
back checkout leaves none of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime, utcnow


class IdempotencyKey(Base):
    """One checkout request per key. ``fingerprint`` is a hash of the request body: replaying the
    key with the same body returns the same order, with another body it is refused."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64), comment="sha256 of the request")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEvent(Base):
    """An event to publish, written with the change it announces; ``published_at`` is set by the
    relay once delivered (at least once: consumers must be idempotent on ``id``)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True, comment="order.created, order.paid…")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dedupe_key: Mapped[str | None] = mapped_column(
        String(128), unique=True, comment="at most one event per key, e.g. order.unpaid_1h:7"
    )


class OrderStatusHistory(Base):
    """Every status an order took, in order; ``from_status`` is null for the first."""

    __tablename__ = "order_status_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

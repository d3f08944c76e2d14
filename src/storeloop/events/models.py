"""The behavioural event stream.

One narrow table for every step of the funnel (visit, product_view, search, add_to_cart,
checkout_start, payment) so funnels, UV and conversion are computed from one source. Visitors are
anonymous ids; ``customer_id`` is set once the visitor is known.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime

EVENT_TYPES = ("visit", "product_view", "search", "add_to_cart", "checkout_start", "payment")
CHANNELS = ("search", "recommend", "social", "ads", "direct", "private", "live")
DEVICES = ("ios", "android", "mini_program", "pc")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(
            "type IN ('visit', 'product_view', 'search', 'add_to_cart', 'checkout_start', "
            "'payment')",
            name="type_known",
        ),
        Index("ix_events_visitor_time", "visitor_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    visitor_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    device: Mapped[str] = mapped_column(String(16))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    query: Mapped[str | None] = mapped_column(String(255), comment="search events only")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))

"""What left which warehouse in which parcel, and the money that went back to customers.

``shipment_lines`` says which order line's units a shipment carries, so an order split across
warehouses ships as several parcels and each line is shipped once. ``refunds`` records every
amount paid back (a cancelled paid order, an accepted return) with the points returned; the
gateway's refund id is unique, so a retried refund is recorded once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Amount, Base, BigId, UTCDateTime, utcnow


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "order_line_id", name="uq_shipment_lines_shipment_line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column()


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"), index=True)
    amount: Mapped[int] = mapped_column(Amount, comment="minor units paid back")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    points: Mapped[int] = mapped_column(BigInteger, default=0, comment="points given back")
    reason: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="succeeded")
    gateway_refund_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

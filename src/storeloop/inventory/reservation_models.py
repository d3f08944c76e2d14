"""Stock reservations: units held for an unpaid order until it is paid, released or expires.

A reservation is *open* while both ``released_at`` and ``consumed_at`` are null. Invariant, per
SKU and warehouse: ``stock_levels.reserved`` equals the sum of open reservations' quantities. A
reservation ends exactly once (the CHECK forbids both ends), and the services end it with a
guarded UPDATE (``WHERE released_at IS NULL AND consumed_at IS NULL``) so that an expiry racing a
payment can end it only once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime, utcnow


class StockReservation(Base):
    __tablename__ = "stock_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("released_at IS NULL OR consumed_at IS NULL", name="ends_once"),
        Index("ix_stock_reservations_sku_warehouse", "sku_id", "warehouse_id"),
        Index("ix_stock_reservations_open_expiry", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_open(self) -> bool:
        return self.released_at is None and self.consumed_at is None

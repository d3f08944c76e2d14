"""Warehouses, stock levels and the stock-movement ledger.

``stock_levels`` is the fast answer to "how many can I sell"; ``stock_movements`` is the
append-only history it must always equal (on hand = sum of movements per SKU and warehouse).
The check constraints make a negative or over-reserved level impossible at the database, so a
racing writer fails instead of overselling.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime, utcnow

WAREHOUSE_KINDS = ("central", "forward")
MOVEMENT_REASONS = ("receipt", "sale", "return", "adjustment", "writeoff", "transfer")


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (CheckConstraint("kind IN ('central', 'forward')", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(64), default="")
    region: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)


class StockLevel(Base):
    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id", name="uq_stock_levels_sku_warehouse"),
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StockMovement(Base):
    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_non_zero"),
        CheckConstraint(
            "reason IN ('receipt', 'sale', 'return', 'adjustment', 'writeoff', 'transfer')",
            name="reason_known",
        ),
        Index("ix_stock_movements_sku_warehouse", "sku_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(comment="signed: + into stock, - out of stock")
    reason: Mapped[str] = mapped_column(String(16))
    ref_type: Mapped[str | None] = mapped_column(String(32), comment="order, return, po, manual")
    ref_id: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

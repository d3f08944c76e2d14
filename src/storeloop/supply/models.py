"""Suppliers, purchase orders and carriers.

Purchase orders keep promised and received dates and defective quantities because the supplier
scorecard (S1.3c: on-time rate, defect rate) is computed from exactly those; carriers carry a
service tier because routing (S1.3b) picks by region and order value.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeloop.db import Amount, Base, BigId, UTCDateTime, utcnow


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    province: Mapped[str] = mapped_column(String(32), default="")
    lead_time_days: Mapped[int] = mapped_column(default=7, comment="agreed lead time")
    is_active: Mapped[bool] = mapped_column(default=True)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'received', 'cancelled')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    ordered_on: Mapped[date] = mapped_column(Date)
    promised_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(order_by="PurchaseOrderLine.id")


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0", name="received_non_negative"),
        CheckConstraint("defective_quantity >= 0", name="defective_non_negative"),
        CheckConstraint(
            "defective_quantity <= received_quantity", name="defective_within_received"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    unit_cost: Mapped[int] = mapped_column(Amount, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    received_quantity: Mapped[int] = mapped_column(default=0)
    defective_quantity: Mapped[int] = mapped_column(default=0)


class Carrier(Base):
    __tablename__ = "carriers"
    __table_args__ = (CheckConstraint("tier IN ('economy', 'express')", name="tier_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str] = mapped_column(String(16))
    base_fee: Mapped[int] = mapped_column(Amount, comment="minor units per parcel")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    is_active: Mapped[bool] = mapped_column(default=True)

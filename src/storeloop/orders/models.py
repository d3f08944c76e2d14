"""Orders, order lines, payments, shipments and returns.

Every amount is integer minor units in the order's currency. ``order_lines.discount_amount`` is
the line's share of every discount on the order, allocated by the pricing engine, so a partial
return refunds what the unit really cost. A presale order is paid as a deposit then a balance,
two ``payments`` rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeloop.db import Amount, Base, BigId, UTCDateTime, utcnow

ORDER_STATUSES = (
    "pending_payment",
    "deposit_paid",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "closed",
)
PAYMENT_KINDS = ("full", "deposit", "balance")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "refunded")
SHIPMENT_STATUSES = ("pending", "shipped", "delivered", "lost")
RETURN_REASONS = ("size", "quality", "not_as_described", "changed_mind", "damaged", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status_known"),
        CheckConstraint("goods_amount >= 0", name="goods_non_negative"),
        CheckConstraint("discount_amount >= 0", name="discount_non_negative"),
        CheckConstraint("shipping_amount >= 0", name="shipping_non_negative"),
        CheckConstraint(
            "total_amount = goods_amount - discount_amount + shipping_amount",
            name="total_adds_up",
        ),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(24), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    device: Mapped[str] = mapped_column(String(16), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    goods_amount: Mapped[int] = mapped_column(Amount, comment="sum of list price × quantity")
    discount_amount: Mapped[int] = mapped_column(Amount, default=0)
    shipping_amount: Mapped[int] = mapped_column(Amount, default=0)
    total_amount: Mapped[int] = mapped_column(Amount, comment="goods - discount + shipping")
    is_presale: Mapped[bool] = mapped_column(default=False)
    ship_province: Mapped[str] = mapped_column(String(32))
    ship_city: Mapped[str] = mapped_column(String(64), default="")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # presale (migration 0004): the engine's deposit due at checkout and the balance window
    deposit_amount: Mapped[int] = mapped_column(
        Amount, default=0, server_default="0", comment="presale deposit due, 0 if none"
    )
    balance_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    balance_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # points (migration 0005): points spent at checkout and the money they stood for, which is
    # part of discount_amount and allocated to the lines like any order-level discount
    points_spent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_amount: Mapped[int] = mapped_column(
        Amount, default=0, server_default="0", comment="part of discount_amount paid by points"
    )

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id")
    shipments: Mapped[list[Shipment]] = relationship(order_by="Shipment.id")


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        CheckConstraint("discount_amount >= 0", name="discount_non_negative"),
        CheckConstraint("discount_amount <= unit_price * quantity", name="discount_within_line"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column(Amount, comment="list price at order time, minor units")
    discount_amount: Mapped[int] = mapped_column(
        Amount, default=0, comment="allocated to this line"
    )
    points_amount: Mapped[int] = mapped_column(
        Amount, default=0, server_default="0", comment="part of discount_amount paid by points"
    )

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity - self.discount_amount


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(_in("kind", PAYMENT_KINDS), name="kind_known"),
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status_known"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gateway_transaction_id: Mapped[str | None] = mapped_column(
        String(128), unique=True, comment="the gateway's id: a replayed callback hits this"
    )


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (CheckConstraint(_in("status", SHIPMENT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    tracking_number: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))
    insured: Mapped[bool] = mapped_column(default=False)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refund_amount >= 0", name="refund_non_negative"),
        CheckConstraint(_in("reason", RETURN_REASONS), name="reason_known"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(24))
    refund_amount: Mapped[int] = mapped_column(Amount, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    restocked: Mapped[bool] = mapped_column(default=True)
    refund_points: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default="0", comment="points given back"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

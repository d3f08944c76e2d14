"""Carts: what a shopper means to buy, before checkout turns it into an order.

An anonymous visitor's cart is found by the hash of its cart token; a signed-in customer has at
most one open cart (a partial unique index), into which an anonymous cart is merged at sign-in.
A cart holds no stock and no prices: it is priced live by the engine each time it is shown, so
it can never show a stale price.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeloop.db import Base, BigId, UTCDateTime, utcnow

CART_STATUSES = ("open", "merged", "ordered")


class Cart(Base):
    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'merged', 'ordered')", name="status_known"),
        Index(
            "uq_carts_open_per_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("status = 'open' AND customer_id IS NOT NULL"),
            postgresql_where=text("status = 'open' AND customer_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="sha256 of an anonymous cart's token"
    )
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    channel: Mapped[str] = mapped_column(String(32), default="web")
    coupon_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[CartLine]] = relationship(
        order_by="CartLine.id", cascade="all, delete-orphan"
    )


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "sku_id", name="uq_cart_lines_cart_sku"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column()
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Catalog tables.

A product (SPU) is what a shopper sees on one detail page; its SKUs are the sellable variants
(size, colour) that carry price, cost and stock. Certificates hang off the product because
platform compliance (S1.2a) is checked per listing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeloop.db import Amount, Base, BigId, UTCDateTime, utcnow


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    brand: Mapped[str] = mapped_column(String(128), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Matched by offers' products.tags (pricing); last, where migration 0002 added it.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))

    category: Mapped[Category] = relationship()
    skus: Mapped[list[Sku]] = relationship(back_populates="product", order_by="Sku.id")
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="product", order_by="Certificate.id"
    )


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("list_price >= 0", name="list_price_non_negative"),
        CheckConstraint("cost >= 0", name="cost_non_negative"),
        CheckConstraint("weight_g >= 0", name="weight_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    list_price: Mapped[int] = mapped_column(Amount, comment="minor units")
    cost: Mapped[int] = mapped_column(Amount, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    weight_g: Mapped[int] = mapped_column(default=0)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_presale: Mapped[bool] = mapped_column(default=False)
    is_dropship: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="skus")


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64), comment="e.g. CCC, CE, QC report")
    number: Mapped[str] = mapped_column(String(128))
    issuer: Mapped[str] = mapped_column(String(255), default="")
    valid_until: Mapped[date | None] = mapped_column(Date)

    product: Mapped[Product] = relationship(back_populates="certificates")

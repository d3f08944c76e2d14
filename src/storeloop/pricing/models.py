"""Stored offers, their coupon codes and the usage counters the engine reads.

Classes are named ``Stored…`` because the engine's own models (``Offer``, ``CouponCode``,
``OfferUsage``) are imported beside them wherever offers are stored or priced.

An offer's ``definition`` is the engine's own JSON, validated by the engine's Pydantic models before
it is written, so what the admin API stores and what checkout prices with cannot drift apart. The
columns beside it (code, kind, level, window, exclusive) are copies taken from the validated
definition on every write, so that lists can filter on them.

The counters are what checkout (issue 4) will increment with conditional UPDATEs
(``SET uses = uses + 1 WHERE uses < max_uses``). A CHECK cannot look into another table, so every
counter row carries copies of the caps it is held to; the CHECKs then make over-use impossible even
for a writer that forgets its WHERE clause, and two racing checkouts cannot both take the last use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeloop.db import Amount, Base, BigId, UTCDateTime, utcnow
from storeloop.pricing.offer_schemas import AnyOffer, Level

# Taken from the engine's models so a new kind needs no second list here (the migration that adds
# it still has to widen the CHECK: migrations are frozen snapshots).
OFFER_KINDS: tuple[str, ...] = tuple(
    get_args(model.model_fields["kind"].annotation)[0] for model in get_args(AnyOffer)
)
LEVELS: tuple[str, ...] = tuple(level.value for level in Level)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _within(counter: str, cap: str) -> str:
    return f"{cap} IS NULL OR {counter} <= {cap}"


class StoredOffer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(_one_of("kind", OFFER_KINDS), name="kind_known"),
        CheckConstraint(_one_of("level", LEVELS), name="level_known"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at", name="window_ordered"
        ),
        CheckConstraint(
            "(is_active AND deactivated_at IS NULL)"
            " OR (NOT is_active AND deactivated_at IS NOT NULL)",
            name="deactivation_recorded",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, comment="the engine's offer id")
    kind: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16), comment="stacking level: item, shop, coupon…")
    name: Mapped[str] = mapped_column(Text, default="")
    exclusive: Mapped[bool] = mapped_column(default=False)
    definition: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="the engine's offer JSON, without coupon codes (see coupon_codes)"
    )
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    usage: Mapped[StoredOfferUsage] = relationship(lazy="selectin")


class StoredOfferUsage(Base):
    """One row per offer, created with it: the totals the engine compares with the caps."""

    __tablename__ = "offer_usage"
    __table_args__ = (
        CheckConstraint("uses >= 0", name="uses_non_negative"),
        CheckConstraint("units >= 0", name="units_non_negative"),
        CheckConstraint("spent >= 0", name="spent_non_negative"),
        CheckConstraint(_within("uses", "max_uses"), name="uses_within_cap"),
        CheckConstraint(_within("units", "max_units"), name="units_within_cap"),
        CheckConstraint(_within("spent", "budget"), name="spent_within_budget"),
    )

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    uses: Mapped[int] = mapped_column(default=0, comment="orders that used the offer")
    units: Mapped[int] = mapped_column(default=0, comment="units sold under it (flash, limited)")
    spent: Mapped[int] = mapped_column(Amount, default=0, comment="discount given, minor units")
    max_uses: Mapped[int | None] = mapped_column(comment="copy of the definition's max_uses")
    max_units: Mapped[int | None] = mapped_column(comment="copy of total_quantity")
    budget: Mapped[int | None] = mapped_column(Amount, comment="copy of budget, minor units")
    max_uses_per_customer: Mapped[int | None] = mapped_column(
        comment="copied into offer_customer_usage rows as they are created"
    )
    max_units_per_customer: Mapped[int | None] = mapped_column(comment="copy of per_customer_limit")


class StoredCustomerUsage(Base):
    """One row per offer and customer who used it; checkout creates it on first use."""

    __tablename__ = "offer_customer_usage"
    __table_args__ = (
        CheckConstraint("uses >= 0", name="uses_non_negative"),
        CheckConstraint("units >= 0", name="units_non_negative"),
        CheckConstraint(_within("uses", "max_uses"), name="uses_within_cap"),
        CheckConstraint(_within("units", "max_units"), name="units_within_cap"),
    )

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id"), primary_key=True, index=True
    )
    uses: Mapped[int] = mapped_column(default=0)
    units: Mapped[int] = mapped_column(default=0)
    max_uses: Mapped[int | None] = mapped_column(comment="copy of max_uses_per_customer")
    max_units: Mapped[int | None] = mapped_column(comment="copy of per_customer_limit")


class StoredCouponCode(Base):
    """A code of a coupon offer. Codes live here, not in the definition, so a batch of 100,000
    does not make every read of the offer carry them."""

    __tablename__ = "coupon_codes"
    __table_args__ = (
        CheckConstraint("uses >= 0", name="uses_non_negative"),
        CheckConstraint(_within("uses", "max_uses"), name="uses_within_cap"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), index=True, comment="bound to this customer; null: open"
    )
    max_uses: Mapped[int | None] = mapped_column(comment="copy of uses_per_code; null: unlimited")
    uses: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredPricingSettings(Base):
    """The store's stacking policy and shipping rule: one row, read by every preview and checkout.

    Kept in the database, not in environment settings, so an operator changes the free-shipping
    line or the discount caps from the admin API and the next checkout prices with them. Both
    columns hold the engine's own JSON (``Policy``, ``Shipping``), validated before writing.
    """

    __tablename__ = "pricing_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    shipping: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

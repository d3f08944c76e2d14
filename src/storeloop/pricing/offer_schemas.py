"""The offer kinds: one model per kind, each a condition plus a benefit over a product scope.

These models are the stored form of an offer (the admin API will keep them as JSON and validate
them with the same classes), so they hold definitions only. What changes while an offer runs —
uses so far, units sold, budget spent — arrives separately as usage (see ``schemas.OfferUsage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from storeloop.pricing.fields import (
    Amount,
    BasisPoints,
    FieldProblem,
    Identifier,
    PositiveAmount,
    Quantity,
    StrictModel,
)


class Level(StrEnum):
    """Where an offer sits in the stacking order (see docs/pricing.md, "Stacking")."""

    ITEM = "item"
    SHOP = "shop"
    COUPON = "coupon"
    DEPOSIT = "deposit"


class ProductScope(StrictModel):
    """The goods an offer covers.

    A SKU is covered when it is listed, or its category is, or any of its tags is; an empty scope
    covers every SKU, which is how storewide offers are written.
    """

    skus: tuple[Identifier, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class Audience(StrictModel):
    """Who may use an offer; an empty list means nobody is excluded on that ground."""

    tiers: tuple[str, ...] = ()
    new_customers_only: bool = False
    channels: tuple[str, ...] = ()


class OfferBase(StrictModel):
    """What every offer has: an id to name it in errors and explanations, and a validity window."""

    level: ClassVar[Level]

    id: Identifier
    name: str = ""
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    customers: Audience = Audience()
    allow_below_cost: bool = False

    @model_validator(mode="after")
    def _window_is_ordered(self) -> OfferBase:
        _ensure_after(self.starts_at, self.ends_at, "starts_at", "ends_at")
        return self

    @cached_property
    def window_seconds(self) -> tuple[float | None, float | None]:
        """The window as POSIX seconds, computed once per offer: comparing aware datetimes in
        different zones costs a UTC-offset lookup per comparison, on every cart."""
        return (
            None if self.starts_at is None else self.starts_at.timestamp(),
            None if self.ends_at is None else self.ends_at.timestamp(),
        )


class Capped(StrictModel):
    """Usage caps and a budget; the usage so far is input, so the engine only compares."""

    max_uses: Quantity | None = None
    max_uses_per_customer: Quantity | None = None
    budget: Amount | None = None


class Exclusive(StrictModel):
    """Shop-level offers and coupons may refuse to combine with others of their level."""

    exclusive: bool = False


# --- item level: one per line, the best wins -------------------------------------------------


class FlashSale(OfferBase, Capped):
    """秒杀: a special unit price for a limited number of units."""

    level: ClassVar[Level] = Level.ITEM
    kind: Literal["flash_sale"]
    products: ProductScope
    price: Amount
    total_quantity: Quantity
    per_customer_limit: Quantity | None = None


class LimitedTime(OfferBase, Capped):
    """限时优惠: "order today, ¥10 off, N left" — an amount off each unit while units remain."""

    level: ClassVar[Level] = Level.ITEM
    kind: Literal["limited_time"]
    products: ProductScope
    amount_off: PositiveAmount
    total_quantity: Quantity | None = None
    per_customer_limit: Quantity | None = None


class MemberPrice(OfferBase, Capped):
    """会员价: a tier's percent off; with ``days_of_month`` it is a member-day offer."""

    level: ClassVar[Level] = Level.ITEM
    kind: Literal["member_price"]
    products: ProductScope = ProductScope()
    percent_off_bp: BasisPoints
    days_of_month: tuple[Annotated[int, Field(strict=True, ge=1, le=31)], ...] = ()

    @model_validator(mode="after")
    def _names_a_tier(self) -> MemberPrice:
        if not self.customers.tiers:
            raise FieldProblem(("customers", "tiers"), "a member price must name at least one tier")
        return self


class SubscriptionPrice(OfferBase, Capped):
    """订阅价: a percent off lines the customer has put on a recurring delivery."""

    level: ClassVar[Level] = Level.ITEM
    kind: Literal["subscription"]
    products: ProductScope = ProductScope()
    percent_off_bp: BasisPoints


# --- shop level: thresholds measured on item-level prices ------------------------------------


class QuantityTier(StrictModel):
    min_quantity: Annotated[int, Field(strict=True, ge=2)]
    percent_off_bp: BasisPoints


class QuantityTiers(OfferBase, Capped, Exclusive):
    """多件多折: buy 2 eligible units 10 % off, 3 or more 20 % off."""

    level: ClassVar[Level] = Level.SHOP
    kind: Literal["quantity_tiers"]
    products: ProductScope = ProductScope()
    tiers: tuple[QuantityTier, ...] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _tiers_ascend(cls, tiers: tuple[QuantityTier, ...]) -> tuple[QuantityTier, ...]:
        _ensure_ascending(tiers, "min_quantity")
        _ensure_ascending(tiers, "percent_off_bp")
        return tiers

    @cached_property
    def thresholds(self) -> tuple[int, ...]:
        """The tiers' minimum quantities, ascending: the tier reached is a bisection, not a scan
        of every tier on every proposal of every cart."""
        return tuple(tier.min_quantity for tier in self.tiers)


class SpendTier(StrictModel):
    min_spend: PositiveAmount
    amount_off: PositiveAmount


class SpendTiers(OfferBase, Capped, Exclusive):
    """满减: spend ¥200 get ¥20 off, spend ¥300 get ¥40 off."""

    level: ClassVar[Level] = Level.SHOP
    kind: Literal["spend_tiers"]
    products: ProductScope = ProductScope()
    tiers: tuple[SpendTier, ...] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _tiers_ascend(cls, tiers: tuple[SpendTier, ...]) -> tuple[SpendTier, ...]:
        _ensure_ascending(tiers, "min_spend")
        _ensure_ascending(tiers, "amount_off")
        return tiers

    @cached_property
    def thresholds(self) -> tuple[int, ...]:
        """The tiers' minimum spends, ascending: as ``QuantityTiers.thresholds``."""
        return tuple(tier.min_spend for tier in self.tiers)


class SpendRepeat(OfferBase, Capped, Exclusive):
    """每满减: every ¥100 spent, ¥10 off, up to ``max_off``."""

    level: ClassVar[Level] = Level.SHOP
    kind: Literal["spend_repeat"]
    products: ProductScope = ProductScope()
    every: PositiveAmount
    amount_off: PositiveAmount
    max_off: PositiveAmount | None = None


class BundleItem(StrictModel):
    sku: Identifier
    quantity: Quantity = 1


class Bundle(OfferBase, Capped, Exclusive):
    """组合套装: a set of SKUs at a fixed price, or an amount or percent off the set."""

    level: ClassVar[Level] = Level.SHOP
    kind: Literal["bundle"]
    items: tuple[BundleItem, ...] = Field(min_length=1)
    price: Amount | None = None
    amount_off: PositiveAmount | None = None
    percent_off_bp: BasisPoints | None = None
    max_sets: Quantity | None = None

    @field_validator("items")
    @classmethod
    def _items_form_a_set(cls, items: tuple[BundleItem, ...]) -> tuple[BundleItem, ...]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.sku in seen:
                raise FieldProblem((i, "sku"), f"SKU {item.sku!r} is listed twice")
            seen.add(item.sku)
        if sum(item.quantity for item in items) < 2:
            raise FieldProblem((), "a bundle needs at least two units in its set")
        return items

    @model_validator(mode="after")
    def _one_benefit(self) -> Bundle:
        _ensure_one_of(self, ("price", "amount_off", "percent_off_bp"))
        return self


class GiftCondition(StrictModel):
    """Every condition given must hold; spend and quantity conditions repeat per multiple."""

    min_spend: PositiveAmount | None = None
    min_quantity: Quantity | None = None
    birthday_month: bool = False

    @model_validator(mode="after")
    def _has_a_condition(self) -> GiftCondition:
        if self.min_spend is None and self.min_quantity is None and not self.birthday_month:
            raise FieldProblem((), "give min_spend, min_quantity or birthday_month")
        return self


class GiftReward(StrictModel):
    """The SKU handed out; ``price`` 0 is a free gift, anything else a discounted add-on."""

    sku: Identifier
    quantity: Quantity = 1
    price: Amount = 0


class Gift(OfferBase, Capped, Exclusive):
    """赠品 / 买赠: gift with purchase, birthday gift, buy X get Y."""

    level: ClassVar[Level] = Level.SHOP
    kind: Literal["gift"]
    products: ProductScope = ProductScope()
    condition: GiftCondition
    reward: GiftReward
    max_applications: Quantity = 1


# --- coupons: thresholds measured after shop-level offers ------------------------------------

CouponCodeText = Annotated[
    str, StringConstraints(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
]


class CouponCode(StrictModel):
    code: CouponCodeText
    customer: Identifier | None = None


class Coupon(OfferBase, Capped, Exclusive):
    """优惠券: amount off, percent off up to a maximum, or free shipping; min_spend 0 = 无门槛."""

    level: ClassVar[Level] = Level.COUPON
    kind: Literal["coupon"]
    products: ProductScope = ProductScope()
    min_spend: Amount = 0
    amount_off: PositiveAmount | None = None
    percent_off_bp: BasisPoints | None = None
    max_off: PositiveAmount | None = None
    free_shipping: bool = False
    codes: tuple[CouponCode, ...] = Field(min_length=1)
    uses_per_code: Quantity | None = 1

    @model_validator(mode="after")
    def _one_benefit(self) -> Coupon:
        _ensure_one_of(self, ("amount_off", "percent_off_bp", "free_shipping"))
        if self.max_off is not None and self.percent_off_bp is None:
            raise FieldProblem(("max_off",), "max_off only limits a percent_off_bp coupon")
        seen: set[str] = set()
        for i, entry in enumerate(self.codes):
            if entry.code in seen:
                raise FieldProblem(("codes", i, "code"), f"code {entry.code!r} is listed twice")
            seen.add(entry.code)
        return self


# --- deposit inflation: applied last -----------------------------------------------------------


class Presale(OfferBase):
    """定金膨胀: a deposit paid in the deposit window counts for ``worth`` at the balance."""

    level: ClassVar[Level] = Level.DEPOSIT
    kind: Literal["presale"]
    products: ProductScope
    deposit: PositiveAmount
    worth: PositiveAmount
    deposit_starts_at: AwareDatetime
    deposit_ends_at: AwareDatetime
    balance_starts_at: AwareDatetime
    balance_ends_at: AwareDatetime

    @model_validator(mode="after")
    def _windows_are_ordered(self) -> Presale:
        if self.worth < self.deposit:
            raise FieldProblem(("worth",), f"must be at least the deposit ({self.deposit})")
        _ensure_after(
            self.deposit_starts_at, self.deposit_ends_at, "deposit_starts_at", "deposit_ends_at"
        )
        _ensure_after(
            self.deposit_ends_at,
            self.balance_starts_at,
            "deposit_ends_at",
            "balance_starts_at",
            allow_equal=True,
        )
        _ensure_after(
            self.balance_starts_at, self.balance_ends_at, "balance_starts_at", "balance_ends_at"
        )
        return self


ItemOffer = FlashSale | LimitedTime | MemberPrice | SubscriptionPrice
ShopOffer = QuantityTiers | SpendTiers | SpendRepeat | Bundle | Gift
Offer = Annotated[ItemOffer | ShopOffer | Coupon | Presale, Field(discriminator="kind")]
AnyOffer = ItemOffer | ShopOffer | Coupon | Presale


def _ensure_after(
    start: datetime | None,
    end: datetime | None,
    start_field: str,
    end_field: str,
    *,
    allow_equal: bool = False,
) -> None:
    if start is None or end is None:
        return
    if end < start or (end == start and not allow_equal):
        raise FieldProblem((end_field,), f"{end.isoformat()} is not after {start_field}")


def _ensure_ascending(tiers: Sequence[StrictModel], key: str) -> None:
    """Tiers out of order would make "the highest tier reached" ambiguous, so they are refused."""
    for i in range(1, len(tiers)):
        previous, current = getattr(tiers[i - 1], key), getattr(tiers[i], key)
        if current <= previous:
            raise FieldProblem(
                (i, key), f"{current} must be greater than tiers[{i - 1}].{key} ({previous})"
            )


def _ensure_one_of(model: StrictModel, fields: tuple[str, ...]) -> None:
    given = [name for name in fields if getattr(model, name) not in (None, False)]
    if len(given) != 1:
        raise FieldProblem(
            (fields[0],), f"give exactly one of {', '.join(fields)} (got {len(given)})"
        )

"""The three input formats of the pricing engine: CART, OFFERS and CUSTOMER (docs/pricing.md).

The cart carries its own catalogue section — list price, cost, category and tags of every SKU the
cart or the offers name — so that the engine stays a pure function of its inputs; in the store that
section is filled from the catalog tables.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from storeloop.money import CURRENCY_EXPONENT
from storeloop.pricing.errors import from_validation_error
from storeloop.pricing.fields import (
    Amount,
    CapBasisPoints,
    Count,
    FieldProblem,
    Identifier,
    Quantity,
    StrictModel,
)
from storeloop.pricing.offer_schemas import AnyOffer, Coupon, Offer

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _known_currency(code: str) -> str:
    if code not in CURRENCY_EXPONENT:
        raise ValueError(f"unknown currency {code!r}")
    return code


class SkuInfo(StrictModel):
    name: str = ""
    list_price: Amount
    cost: Amount
    category: str = ""
    tags: tuple[str, ...] = ()


class DepositPaid(StrictModel):
    """Units of this line whose presale deposit was paid earlier, under which presale offer."""

    offer: Identifier
    units: Quantity


class CartLine(StrictModel):
    sku: Identifier
    quantity: Quantity
    subscription: bool = False
    deposit: DepositPaid | None = None

    @model_validator(mode="after")
    def _deposit_fits(self) -> CartLine:
        if self.deposit is not None and self.deposit.units > self.quantity:
            raise FieldProblem(
                ("deposit", "units"), f"{self.deposit.units} exceeds the quantity {self.quantity}"
            )
        return self


class Cart(StrictModel):
    currency: Currency = "CNY"
    channel: Identifier = "web"
    catalogue: dict[Identifier, SkuInfo]
    lines: tuple[CartLine, ...] = ()
    coupon_codes: tuple[str, ...] = ()

    _currency = field_validator("currency")(_known_currency)

    @model_validator(mode="after")
    def _lines_name_known_skus(self) -> Cart:
        seen: set[str] = set()
        for i, line in enumerate(self.lines):
            if line.sku not in self.catalogue:
                raise FieldProblem(
                    ("lines", i, "sku"), f"unknown SKU {line.sku!r} (not in catalogue)"
                )
            if line.sku in seen:
                raise FieldProblem(
                    ("lines", i, "sku"), f"SKU {line.sku!r} is on two lines; merge them"
                )
            seen.add(line.sku)
        codes: set[str] = set()
        for i, code in enumerate(self.coupon_codes):
            if code in codes:
                raise FieldProblem(("coupon_codes", i), f"code {code!r} is given twice")
            codes.add(code)
        return self


class CustomerUsage(StrictModel):
    """What this customer already used of one offer: orders, and units (for 限购 limits)."""

    uses: Count = 0
    units: Count = 0


class Customer(StrictModel):
    id: Identifier
    tier: str | None = None
    new_customer: bool = False
    birth_date: date | None = None
    usage: dict[Identifier, CustomerUsage] = Field(default_factory=dict)


class OfferUsage(StrictModel):
    """Counters of a running offer, read from the store (or Redis) at pricing time."""

    uses: Count = 0
    units: Count = 0
    spent: Amount = 0
    code_uses: dict[str, Count] = Field(default_factory=dict)


class Policy(StrictModel):
    """The store's stacking settings; the defaults are Tmall-like and put no percentage cap."""

    max_line_discount_bp: CapBasisPoints = 10_000
    max_order_discount_bp: CapBasisPoints = 10_000
    max_coupons: Count = 1
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return name


class Shipping(StrictModel):
    """A flat fee, waived when goods after coupons reach ``free_threshold`` (满额包邮)."""

    fee: Amount = 0
    free_threshold: Amount | None = None


class OffersDocument(StrictModel):
    currency: Currency = "CNY"
    policy: Policy = Policy()
    shipping: Shipping = Shipping()
    offers: tuple[Offer, ...] = ()
    usage: dict[Identifier, OfferUsage] = Field(default_factory=dict)

    _currency = field_validator("currency")(_known_currency)

    @model_validator(mode="after")
    def _ids_and_codes_are_unique(self) -> OffersDocument:
        ids: set[str] = set()
        code_owner: dict[str, str] = {}
        for i, offer in enumerate(self.offers):
            if offer.id in ids:
                raise FieldProblem(("offers", i, "id"), f"offer id {offer.id!r} is used twice")
            ids.add(offer.id)
            if isinstance(offer, Coupon):
                for j, entry in enumerate(offer.codes):
                    owner = code_owner.setdefault(entry.code, offer.id)
                    if owner != offer.id:
                        raise FieldProblem(
                            ("offers", i, "codes", j, "code"),
                            f"code {entry.code!r} already belongs to offer {owner!r}",
                        )
        for offer_id in self.usage:
            if offer_id not in ids:
                raise FieldProblem(("usage", offer_id), "no offer has this id")
        return self


Catalogue = dict[str, SkuInfo]


def parse_offer(raw: Any, source: str = "offer") -> AnyOffer:
    """One offer as the admin API and storage receive it, validated by the very models the
    engine uses; errors name the offer and the field, as the CLI's do."""
    wrapped = {"offers": [raw]}
    try:
        return OffersDocument.model_validate(wrapped).offers[0]
    except ValidationError as exc:
        raise from_validation_error(exc, wrapped, source) from None


__all__ = [
    "Cart",
    "CartLine",
    "Catalogue",
    "Customer",
    "CustomerUsage",
    "DepositPaid",
    "OfferUsage",
    "OffersDocument",
    "Policy",
    "Shipping",
    "SkuInfo",
    "parse_offer",
]

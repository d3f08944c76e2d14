"""Request and response bodies of the offers API and the pricing preview.

The engine's input formats live in ``schemas.py`` and ``offer_schemas.py``; these are the store's
edges around them. An offer body is not modelled again here: it is the engine's offer JSON, passed
through as a mapping and validated by the engine's own models in the service, so that the API, the
CLI and storage refuse exactly the same offers with the same messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, JsonValue, model_validator

from storeloop.pricing.fields import Identifier, Quantity
from storeloop.pricing.models import OFFER_KINDS
from storeloop.pricing.schemas import DepositPaid, Policy, Shipping
from storeloop.schemas import Id, PageParams, ReadModel, UtcDatetime, WriteModel, text

OfferKind = Literal[OFFER_KINDS]  # type: ignore[valid-type]
OfferBody = dict[str, Any]
"""An offer in the engine's JSON (docs/pricing.md, "OFFERS"); validated by the service."""

MAX_BATCH = 10_000


class OfferUsageRead(ReadModel):
    uses: int
    units: int
    spent: int = Field(description="discount given so far, minor units")
    max_uses: int | None
    max_units: int | None
    budget: int | None
    max_uses_per_customer: int | None
    max_units_per_customer: int | None


class OfferRead(ReadModel):
    id: int
    code: str = Field(description="the offer's id in the engine, in explanations and errors")
    kind: str
    level: str
    name: str
    exclusive: bool
    starts_at: datetime | None
    ends_at: datetime | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    definition: dict[str, JsonValue] = Field(description="the engine's offer JSON, without codes")
    usage: OfferUsageRead


class OfferFilter(PageParams):
    code: Identifier | None = None
    kind: OfferKind | None = None
    is_active: bool | None = None
    active_at: UtcDatetime | None = Field(
        None, description="active and within its window at this time: what the preview prices"
    )
    q: Annotated[str, text(255, min_length=1)] | None = Field(
        None, description="name or code contains, case-insensitive"
    )


class CouponBatch(WriteModel):
    """``count`` open codes, or one code bound to each of ``customer_ids``."""

    count: int | None = Field(None, ge=1, le=MAX_BATCH)
    customer_ids: list[Id] | None = Field(None, min_length=1, max_length=MAX_BATCH)
    prefix: str = Field("", description="e.g. '618-'; codes are checked by the engine's rules")

    @model_validator(mode="after")
    def _one_way(self) -> CouponBatch:
        if (self.count is None) == (self.customer_ids is None):
            raise ValueError("give either count or customer_ids")
        if self.customer_ids is not None and len(set(self.customer_ids)) < len(self.customer_ids):
            raise ValueError("customer_ids lists a customer twice")
        return self


class CouponCodeRead(ReadModel):
    code: str
    customer_id: int | None
    max_uses: int | None
    uses: int
    created_at: datetime


class CouponCodeFilter(PageParams):
    customer_id: Id | None = None


class CouponBatchRead(BaseModel):
    offer_id: int
    codes: list[CouponCodeRead]


class PreviewLine(WriteModel):
    """A cart line naming its SKU by id or by code; the catalogue section comes from the store."""

    sku_id: Id | None = None
    sku: Identifier | None = Field(None, description="the SKU's code")
    quantity: Quantity
    subscription: bool = False
    deposit: DepositPaid | None = None

    @model_validator(mode="after")
    def _names_one_sku(self) -> PreviewLine:
        if (self.sku_id is None) == (self.sku is None):
            raise ValueError("give either sku_id or sku")
        return self


class PreviewCart(WriteModel):
    """Priced in the store's currency, the one stored offers are written in."""

    channel: Identifier = "web"
    lines: list[PreviewLine] = Field(default_factory=list, max_length=500)
    coupon_codes: list[str] = Field(default_factory=list, max_length=50)


class PreviewRequest(WriteModel):
    cart: PreviewCart
    draft_offers: list[OfferBody] = Field(default_factory=list, max_length=1_000)
    include_stored: bool = Field(True, description="price against the stored active offers too")
    at: UtcDatetime | None = Field(None, description="when to price; default now")
    customer_id: Id | None = None
    tier: Identifier | None = Field(
        None, description="the membership tier to price as (the store does not keep tiers yet)"
    )
    policy: Policy | None = Field(None, description="default: the store's pricing settings")
    shipping: Shipping | None = Field(None, description="default: the store's pricing settings")


class PricingSettings(WriteModel):
    """The store's stacking policy and shipping rule (docs/pricing.md)."""

    policy: Policy = Policy()
    shipping: Shipping = Shipping()


class PreviewInputs(BaseModel):
    """The engine's three inputs as built from the store: ``storeloop price`` reproduces the
    result from them."""

    cart: dict[str, JsonValue]
    offers: dict[str, JsonValue]
    customer: dict[str, JsonValue] | None
    at: datetime


class PreviewRead(BaseModel):
    priced: dict[str, JsonValue] = Field(description="the priced cart (docs/pricing.md)")
    inputs: PreviewInputs

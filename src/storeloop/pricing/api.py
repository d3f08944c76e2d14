"""Offer administration and the pricing preview; every route needs an admin token.

An offer body is the engine's offer JSON (docs/pricing.md, "OFFERS"), validated by the service
with the engine's own models, so the 422s here carry the engine's messages naming offer and field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from storeloop.db import utcnow
from storeloop.pricing import service
from storeloop.pricing.store_schemas import (
    CouponBatch,
    CouponBatchRead,
    CouponCodeFilter,
    CouponCodeRead,
    OfferBody,
    OfferFilter,
    OfferRead,
    PreviewInputs,
    PreviewRead,
    PreviewRequest,
    PricingSettings,
)
from storeloop.pricing.store_settings import pricing_settings, save_pricing_settings
from storeloop.schemas import Page
from storeloop.web.deps import ADMIN, IdPath, SessionDep
from storeloop.web.pagination import paginate

router = APIRouter(tags=["pricing"], dependencies=ADMIN)

_OFFER_EXAMPLE: dict[str, Any] = {
    "id": "tea-2-3",
    "kind": "quantity_tiers",
    "name": "买2件9折，买3件8折",
    "products": {"categories": ["tea"]},
    "tiers": [
        {"min_quantity": 2, "percent_off_bp": 1000},
        {"min_quantity": 3, "percent_off_bp": 2000},
    ],
    "starts_at": "2026-06-01T00:00:00+08:00",
    "ends_at": "2026-06-19T00:00:00+08:00",
}
OfferJson = Annotated[
    OfferBody,
    Body(
        description="an offer in the engine's JSON (docs/pricing.md, OFFERS)",
        examples=[_OFFER_EXAMPLE],
    ),
]


@router.post("/offers", status_code=201, summary="Create an offer")
def create_offer(session: SessionDep, body: OfferJson) -> OfferRead:
    return OfferRead.model_validate(service.create_offer(session, body))


@router.get("/offers", summary="List offers")
def list_offers(session: SessionDep, filters: Annotated[OfferFilter, Query()]) -> Page[OfferRead]:
    return paginate(session, service.offer_query(filters), filters, OfferRead.model_validate)


@router.get("/offers/{offer_id}", summary="Get an offer with its usage so far")
def get_offer(session: SessionDep, offer_id: IdPath) -> OfferRead:
    return OfferRead.model_validate(service.get_offer(session, offer_id))


@router.patch("/offers/{offer_id}", summary="Change an offer's definition")
def update_offer(
    session: SessionDep,
    offer_id: IdPath,
    body: Annotated[OfferBody, Body(description="definition fields to replace")],
) -> OfferRead:
    return OfferRead.model_validate(service.update_offer(session, offer_id, body))


@router.post("/offers/{offer_id}/deactivate", summary="Stop an offer for good")
def deactivate_offer(session: SessionDep, offer_id: IdPath) -> OfferRead:
    return OfferRead.model_validate(service.deactivate_offer(session, offer_id))


@router.post("/offers/{offer_id}/coupons", status_code=201, summary="Issue a batch of coupon codes")
def issue_coupon_codes(session: SessionDep, offer_id: IdPath, body: CouponBatch) -> CouponBatchRead:
    rows = service.issue_coupon_codes(session, offer_id, body)
    return CouponBatchRead(
        offer_id=offer_id, codes=[CouponCodeRead.model_validate(row) for row in rows]
    )


@router.get("/offers/{offer_id}/coupons", summary="List a coupon's codes")
def list_coupon_codes(
    session: SessionDep, offer_id: IdPath, filters: Annotated[CouponCodeFilter, Query()]
) -> Page[CouponCodeRead]:
    query = service.coupon_code_query(session, offer_id, filters)
    return paginate(session, query, filters, CouponCodeRead.model_validate)


@router.post("/pricing/preview", summary="Price a cart against stored and draft offers")
def preview(session: SessionDep, body: PreviewRequest) -> PreviewRead:
    result = service.preview(
        session,
        body.cart,
        draft_offers=body.draft_offers,
        include_stored=body.include_stored,
        at=body.at or utcnow(),
        customer_id=body.customer_id,
        tier=body.tier,
        policy=body.policy,
        shipping=body.shipping,
    )
    return PreviewRead(
        priced=result.priced.to_json(),
        inputs=PreviewInputs(
            cart=result.cart.model_dump(mode="json"),
            offers=result.offers.model_dump(mode="json"),
            customer=None if result.customer is None else result.customer.model_dump(mode="json"),
            at=result.at,
        ),
    )


@router.get("/pricing/settings", summary="The store's stacking policy and shipping rule")
def get_pricing_settings(session: SessionDep) -> PricingSettings:
    policy, shipping = pricing_settings(session)
    return PricingSettings(policy=policy, shipping=shipping)


@router.put("/pricing/settings", summary="Replace the stacking policy and shipping rule")
def put_pricing_settings(session: SessionDep, body: PricingSettings) -> PricingSettings:
    save_pricing_settings(session, body.policy, body.shipping, at=utcnow())
    return body

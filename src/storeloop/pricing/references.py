"""Offers may only name SKUs the catalogue knows: a typo in a SKU would make an offer silently
match nothing. The CLI checks against the cart's catalogue section; storage will check against
the catalog tables with the same function."""

from __future__ import annotations

from collections.abc import Container

from storeloop.pricing.errors import PricingInputError
from storeloop.pricing.offer_schemas import AnyOffer, Bundle, Gift
from storeloop.pricing.schemas import OffersDocument


def check_skus_known(document: OffersDocument, catalogue: Container[str], source: str) -> None:
    for offer in document.offers:
        for field, sku in named_skus(offer):
            if sku not in catalogue:
                raise PricingInputError(
                    source,
                    f"unknown SKU {sku!r} (not in the catalogue)",
                    offer=offer.id,
                    field=field,
                )


def named_skus(offer: AnyOffer) -> list[tuple[str, str]]:
    if isinstance(offer, Bundle):
        return [(f"items[{i}].sku", item.sku) for i, item in enumerate(offer.items)]
    named = [(f"products.skus[{i}]", sku) for i, sku in enumerate(offer.products.skus)]
    if isinstance(offer, Gift):
        named.append(("reward.sku", offer.reward.sku))
    return named

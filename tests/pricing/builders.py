"""Small builders so each hand-worked test states only the figures it reasons about."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storeloop.pricing import Cart, Customer, OffersDocument, PricedCart, price_cart
from storeloop.pricing.result import PricedLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2025, 6, 18, 10, 0, tzinfo=SHANGHAI)  # 6.18, a member day in several tests

CATALOGUE: dict[str, dict[str, Any]] = {
    "TEA": {
        "name": "Green tea 250 g",
        "list_price": 9900,
        "cost": 4000,
        "category": "tea",
        "tags": ["green"],
    },
    "OOLONG": {"name": "Oolong 250 g", "list_price": 12800, "cost": 5000, "category": "tea"},
    "CUP": {"name": "Tea cup", "list_price": 3500, "cost": 1000, "category": "ware"},
    "SERUM-5": {"name": "Serum trial 5 ml", "list_price": 990, "cost": 300, "category": "beauty"},
    "SERUM-50": {"name": "Serum 50 ml", "list_price": 19900, "cost": 6000, "category": "beauty"},
    "MASK": {"name": "Sheet mask", "list_price": 1500, "cost": 300, "category": "beauty"},
}


def cart(lines: dict[str, int] | list[dict[str, Any]], **extra: Any) -> Cart:
    """``{"TEA": 3}`` or full line dicts; the shared catalogue unless one is given."""
    items = (
        [{"sku": s, "quantity": q} for s, q in lines.items()] if isinstance(lines, dict) else lines
    )
    return Cart.model_validate({"catalogue": CATALOGUE, "lines": items, **extra})


def offers(*entries: dict[str, Any], **extra: Any) -> OffersDocument:
    return OffersDocument.model_validate({"offers": list(entries), **extra})


def customer(**fields: Any) -> Customer:
    return Customer.model_validate({"id": "c-1", **fields})


def price(
    the_cart: Cart,
    the_offers: OffersDocument,
    *,
    who: Customer | None = None,
    at: datetime = AT,
) -> PricedCart:
    return price_cart(the_cart, the_offers, at=at, customer=who)


def line(priced: PricedCart, sku: str) -> PricedLine:
    return next(found for found in priced.lines if found.sku == sku)


def applied(priced: PricedCart) -> dict[str, int]:
    return {entry.offer: entry.amount for entry in priced.applied}


def reasons(priced: PricedCart) -> dict[str, str]:
    return {(entry.offer or entry.code or ""): entry.reason for entry in priced.rejected}

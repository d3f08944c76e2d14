"""Item-level kinds: flash sale, limited-time offer, member price, subscription price.

Each prices one line on its own; the stacking engine keeps the best one per line, so these rules
never add up on the same unit.
"""

from __future__ import annotations

from collections.abc import Sequence

from storeloop.money import percent_of
from storeloop.pricing.context import Context, Line
from storeloop.pricing.kinds.base import money_text, percent_text
from storeloop.pricing.offer_schemas import (
    FlashSale,
    ItemOffer,
    LimitedTime,
    MemberPrice,
    SubscriptionPrice,
)


def stock_left(offer: ItemOffer, ctx: Context) -> int | None:
    """Units the offer may still sell to anyone; None when it has no total quantity."""
    if isinstance(offer, FlashSale | LimitedTime) and offer.total_quantity is not None:
        return max(0, offer.total_quantity - ctx.offer_usage(offer.id).units)
    return None


def customer_units_left(offer: ItemOffer, ctx: Context) -> int | None:
    """Units this customer may still buy under the offer (限购); None when unlimited."""
    if isinstance(offer, FlashSale | LimitedTime) and offer.per_customer_limit is not None:
        return max(0, offer.per_customer_limit - ctx.customer_usage(offer.id).units)
    return None


def units_left(offer: ItemOffer, ctx: Context) -> int | None:
    limits = [n for n in (stock_left(offer, ctx), customer_units_left(offer, ctx)) if n is not None]
    return min(limits) if limits else None


def covered(offer: ItemOffer, positions: tuple[int, ...], lines: Sequence[Line]) -> tuple[int, ...]:
    """The lines of ``positions`` the offer prices: a subscription price is for lines on a
    recurring delivery only; every other kind takes all of them."""
    if isinstance(offer, SubscriptionPrice):
        return tuple(pos for pos in positions if lines[pos].subscription)
    return positions


def line_discount(offer: ItemOffer, line: Line, units: int) -> int:
    """Discount on ``units`` of the line (all of them for percentage kinds)."""
    if isinstance(offer, FlashSale):
        return units * max(0, line.unit_price - offer.price)
    if isinstance(offer, LimitedTime):
        return units * min(offer.amount_off, line.unit_price)
    return percent_of(line.list_amount, offer.percent_off_bp)


def rule_text(offer: ItemOffer, currency: str) -> str:
    if isinstance(offer, FlashSale):
        return f"flash price {money_text(offer.price, currency)}"
    if isinstance(offer, LimitedTime):
        return f"{money_text(offer.amount_off, currency)} off each unit"
    if isinstance(offer, MemberPrice):
        return f"member price: {percent_text(offer.percent_off_bp)} off"
    return f"subscription: {percent_text(offer.percent_off_bp)} off"

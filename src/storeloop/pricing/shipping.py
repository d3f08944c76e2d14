"""The shipping fee rule: a flat fee, free once goods after coupons reach the threshold (满额包邮).

The threshold is measured after coupons — what the shopper actually pays for goods — and before
deposit inflation, which settles the presale rather than discounting the order.
"""

from __future__ import annotations

from storeloop.pricing.kinds.base import money_text
from storeloop.pricing.result import Nudge
from storeloop.pricing.schemas import Shipping

SHIPPING = "shipping"  # the offer and kind a shipping nudge names


def fee_for(rule: Shipping, goods: int) -> int:
    if rule.free_threshold is not None and goods >= rule.free_threshold:
        return 0
    return rule.fee


def nudge(rule: Shipping, goods: int, currency: str) -> Nudge | None:
    if rule.free_threshold is None or fee_for(rule, goods) == 0:
        return None
    more = money_text(rule.free_threshold - goods, currency)
    return Nudge(
        offer=SHIPPING,
        kind=SHIPPING,
        add_amount=rule.free_threshold - goods,
        add_units=0,
        sku=None,
        unlocks=rule.fee,
        message_en=f"{more} more for free shipping",
        message_zh=f"再买{more}包邮",
    )

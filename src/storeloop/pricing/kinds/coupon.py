"""优惠券: coupon benefits, measured on prices after shop-level offers, and batch code issuing."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from storeloop.money import percent_of
from storeloop.pricing.kinds.base import (
    Proposal,
    Scope,
    money_text,
    nothing,
    percent_text,
)
from storeloop.pricing.offer_schemas import Coupon
from storeloop.pricing.result import Nudge

# No 0/O, 1/I/L: codes are read aloud by customer service and typed from package inserts.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def reaches_threshold(coupon: Coupon, spend: int) -> bool:
    return spend >= coupon.min_spend


def goods_discount(coupon: Coupon, spend: int) -> int:
    """What the coupon takes off goods worth ``spend`` (free shipping takes nothing off goods)."""
    if coupon.amount_off is not None:
        return min(coupon.amount_off, spend)
    if coupon.percent_off_bp is not None:
        off = percent_of(spend, coupon.percent_off_bp)
        return off if coupon.max_off is None else min(off, coupon.max_off)
    return 0


def rule_text(coupon: Coupon, currency: str) -> str:
    if coupon.free_shipping:
        benefit = "free shipping"
    elif coupon.amount_off is not None:
        benefit = f"{money_text(coupon.amount_off, currency)} off"
    else:
        assert coupon.percent_off_bp is not None
        cap = "" if coupon.max_off is None else f" (up to {money_text(coupon.max_off, currency)})"
        benefit = f"{percent_text(coupon.percent_off_bp)} off{cap}"
    if not coupon.min_spend:
        return f"{benefit}, no threshold"
    return f"{benefit} over {money_text(coupon.min_spend, currency)}"


def propose(coupon: Coupon, scope: Scope, rule: str) -> Proposal:
    """``rule`` is ``rule_text(coupon)``, passed in because the search proposes a coupon once per
    shop combination."""
    spend = scope.spend
    if not reaches_threshold(coupon, spend):
        currency = scope.ctx.currency
        return nothing(
            lambda: (
                f"spend {money_text(spend, currency)} of "
                f"{money_text(coupon.min_spend, currency)} after shop offers"
            )
        )
    return Proposal(
        amount=goods_discount(coupon, spend),
        weights=scope.weights(),
        rule=rule,
        free_shipping=coupon.free_shipping,
    )


def nudge(coupon: Coupon, scope: Scope, shipping_fee: int) -> Nudge | None:
    spend = scope.spend
    if reaches_threshold(coupon, spend):
        return None
    gap = coupon.min_spend - spend
    unlocked = shipping_fee if coupon.free_shipping else goods_discount(coupon, coupon.min_spend)
    if unlocked <= 0:
        return None
    currency = scope.ctx.currency
    more = money_text(gap, currency)
    benefit = "free shipping" if coupon.free_shipping else f"{money_text(unlocked, currency)} off"
    benefit_zh = "包邮" if coupon.free_shipping else f"减{money_text(unlocked, currency)}"
    return Nudge(
        offer=coupon.id,
        kind=coupon.kind,
        add_amount=gap,
        add_units=0,
        sku=None,
        unlocks=unlocked,
        message_en=f"{more} more to use your coupon: {benefit}",
        message_zh=f"再买{more}可用券{benefit_zh}",
    )


def issue_codes(
    count: int, *, length: int = 12, prefix: str = "", taken: Iterable[str] = ()
) -> list[str]:
    """``count`` new unique codes no one can guess: 12 characters of a 31-letter alphabet ≈ 59 bits.

    ``taken`` holds codes already issued, so a second batch never repeats the first.
    """
    if count < 0 or length < 8:
        raise ValueError("count must be ≥ 0 and length ≥ 8 (shorter codes can be guessed)")
    seen = set(taken)
    codes: list[str] = []
    while len(codes) < count:
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes

"""Nudges: the cheapest change that unlocks more of an offer (S2.2c), cheapest first.

Each is estimated for its own offer at the prices of the chosen combination — shop rules at
item-level prices, coupons after shop offers, free shipping after coupons — which is what a cart
page can show next to the offer ("add 1 more for 20% off", "¥35.00 more for ¥20.00 off").
"""

from __future__ import annotations

from storeloop.pricing.kinds import coupon as coupon_rule
from storeloop.pricing.pipeline import SHOP_RULES, Outcome, Plan
from storeloop.pricing.result import Nudge
from storeloop.pricing.shipping import nudge as shipping_nudge


def nudges(plan: Plan, outcome: Outcome) -> tuple[Nudge, ...]:
    """Each rule builds its nudge whole, naming its own offer: built once, kept or not here."""
    at_items, at_shop = outcome.at_items.amounts, outcome.at_shop.amounts
    found = [
        SHOP_RULES[offer.kind].nudge(offer, plan.scope(positions, at_items))
        for offer, positions in plan.shop_offers
    ]
    fee = outcome.shipping_fee
    found += [
        coupon_rule.nudge(presented.offer, plan.scope(presented.positions, at_shop), fee)
        for presented in plan.coupons
    ]
    if not outcome.shipping_discount:
        found.append(shipping_nudge(plan.shipping, outcome.goods_after_coupons, plan.ctx.currency))
    kept = [nudge for nudge in found if nudge is not None and nudge.unlocks > 0]
    return tuple(sorted(kept, key=lambda nudge: (nudge.add_amount, nudge.offer)))

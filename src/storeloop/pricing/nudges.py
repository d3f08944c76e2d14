"""Nudges: the cheapest change that unlocks more of an offer (S2.2c), cheapest first.

Each is estimated for its own offer at the prices of the chosen combination — shop rules at
item-level prices, coupons after shop offers, free shipping after coupons — which is what a cart
page can show next to the offer ("add 1 more for 20% off", "¥35.00 more for ¥20.00 off").
"""

from __future__ import annotations

from storeloop.pricing.kinds import coupon as coupon_rule
from storeloop.pricing.kinds.base import NudgeDraft
from storeloop.pricing.pipeline import SHOP_RULES, Outcome, Plan
from storeloop.pricing.result import Nudge
from storeloop.pricing.shipping import nudge as shipping_nudge

SHIPPING = "shipping"


def nudges(plan: Plan, outcome: Outcome) -> tuple[Nudge, ...]:
    found: list[Nudge] = []
    for offer, positions in plan.shop_offers:
        scope = plan.scope(positions, outcome.at_items.amounts)
        _keep(found, offer.id, offer.kind, SHOP_RULES[offer.kind].nudge(offer, scope))
    for presented in plan.coupons:
        scope = plan.scope(presented.positions, outcome.at_shop.amounts)
        draft = coupon_rule.nudge(presented.offer, scope, outcome.shipping_fee)
        _keep(found, presented.offer.id, presented.offer.kind, draft)
    if not outcome.shipping_discount:
        draft = shipping_nudge(plan.shipping, outcome.goods_after_coupons, plan.ctx.currency)
        _keep(found, SHIPPING, SHIPPING, draft)
    return tuple(sorted(found, key=lambda nudge: (nudge.add_amount, nudge.offer)))


def _keep(found: list[Nudge], offer_id: str, kind: str, draft: NudgeDraft | None) -> None:
    if draft is None or draft.unlocks <= 0:
        return
    found.append(
        Nudge(
            offer=offer_id,
            kind=kind,
            add_amount=draft.add_amount,
            add_units=draft.add_units,
            sku=draft.sku,
            unlocks=draft.unlocks,
            message_en=draft.message_en,
            message_zh=draft.message_zh,
        )
    )

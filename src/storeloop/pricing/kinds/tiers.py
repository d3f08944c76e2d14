"""Shop-level tiers: 多件多折 (quantity tiers), 满减 (spend tiers) and 每满减 (repeating spend).

Conditions are measured on item-level prices — a flash-sale unit counts at its flash price towards
"spend ¥200" — as on Tmall and JD.
"""

from __future__ import annotations

from bisect import bisect_right

from storeloop.money import percent_of
from storeloop.pricing.kinds.base import (
    Proposal,
    Scope,
    cheapest_line,
    money_text,
    nothing,
    percent_text,
    zhe_text,
)
from storeloop.pricing.offer_schemas import QuantityTiers, SpendRepeat, SpendTiers
from storeloop.pricing.result import Nudge


class QuantityTiersRule:
    """Condition: enough eligible units. Benefit: the reached tier's percent off those lines."""

    def reads_prices(self, offer: QuantityTiers) -> bool:
        return False

    def step(self, offer: QuantityTiers, scope: Scope) -> int:
        return bisect_right(offer.thresholds, scope.units)  # tiers reached: those at most it

    def propose(self, offer: QuantityTiers, scope: Scope) -> Proposal:
        reached = self.step(offer, scope)
        if not reached:
            return nothing(lambda: f"{scope.units} eligible units of {offer.tiers[0].min_quantity}")
        tier = offer.tiers[reached - 1]
        return Proposal(
            amount=percent_of(scope.spend, tier.percent_off_bp),
            weights=scope.weights(),
            rule=lambda: f"{tier.min_quantity}+ units: {percent_text(tier.percent_off_bp)} off",
        )

    def nudge(self, offer: QuantityTiers, scope: Scope) -> Nudge | None:
        reached = self.step(offer, scope)
        if reached == len(offer.tiers):
            return None
        line = cheapest_line(scope.lines, scope.positions)
        if line is None:
            return None
        tier = offer.tiers[reached]
        more = tier.min_quantity - scope.units
        current = percent_of(scope.spend, offer.tiers[reached - 1].percent_off_bp) if reached else 0
        unlocked = percent_of(scope.spend + more * line.unit_price, tier.percent_off_bp) - current
        return Nudge(
            offer=offer.id,
            kind=offer.kind,
            add_amount=more * line.unit_price,
            add_units=more,
            sku=line.sku,
            unlocks=unlocked,
            message_en=f"add {more} more for {percent_text(tier.percent_off_bp)} off",
            message_zh=f"再买{more}件享{zhe_text(tier.percent_off_bp)}",
        )


class SpendTiersRule:
    """Condition: enough eligible spend. Benefit: the reached tier's amount off."""

    def reads_prices(self, offer: SpendTiers) -> bool:
        return True

    def step(self, offer: SpendTiers, scope: Scope) -> int:
        return bisect_right(offer.thresholds, scope.spend)

    def propose(self, offer: SpendTiers, scope: Scope) -> Proposal:
        reached = self.step(offer, scope)
        currency = scope.ctx.currency
        if not reached:
            first = offer.tiers[0].min_spend
            return nothing(
                lambda: (
                    f"spend {money_text(scope.spend, currency)} of {money_text(first, currency)}"
                )
            )
        tier = offer.tiers[reached - 1]
        return Proposal(
            amount=min(tier.amount_off, scope.spend),
            weights=scope.weights(),
            rule=lambda: (
                f"spend {money_text(tier.min_spend, currency)}: "
                f"{money_text(tier.amount_off, currency)} off"
            ),
        )

    def nudge(self, offer: SpendTiers, scope: Scope) -> Nudge | None:
        reached = self.step(offer, scope)
        if reached == len(offer.tiers):
            return None
        tier = offer.tiers[reached]
        gap = tier.min_spend - scope.spend
        current = offer.tiers[reached - 1].amount_off if reached else 0
        off = money_text(tier.amount_off, scope.ctx.currency)
        more = money_text(gap, scope.ctx.currency)
        return Nudge(
            offer=offer.id,
            kind=offer.kind,
            add_amount=gap,
            add_units=0,
            sku=None,
            unlocks=tier.amount_off - current,
            message_en=f"{more} more for {off} off",
            message_zh=f"再买{more}可减{off}",
        )


class SpendRepeatRule:
    """Condition: each full ``every`` of eligible spend. Benefit: ``amount_off`` each, capped."""

    def reads_prices(self, offer: SpendRepeat) -> bool:
        return True

    def step(self, offer: SpendRepeat, scope: Scope) -> int:
        return self._value(offer, scope.spend)

    def _value(self, offer: SpendRepeat, spend: int) -> int:
        value = spend // offer.every * offer.amount_off
        return value if offer.max_off is None else min(value, offer.max_off)

    def propose(self, offer: SpendRepeat, scope: Scope) -> Proposal:
        currency = scope.ctx.currency
        value = self._value(offer, scope.spend)
        if not value:
            return nothing(
                lambda: (
                    f"spend {money_text(scope.spend, currency)} of "
                    f"{money_text(offer.every, currency)}"
                )
            )

        def rule() -> str:
            cap = "" if offer.max_off is None else f", up to {money_text(offer.max_off, currency)}"
            return (
                f"every {money_text(offer.every, currency)}: "
                f"{money_text(offer.amount_off, currency)} off{cap}"
            )

        return Proposal(amount=min(value, scope.spend), weights=scope.weights(), rule=rule)

    def nudge(self, offer: SpendRepeat, scope: Scope) -> Nudge | None:
        spend = scope.spend
        gap = (spend // offer.every + 1) * offer.every - spend
        unlocked = self._value(offer, spend + gap) - self._value(offer, spend)
        if unlocked <= 0:
            return None
        currency = scope.ctx.currency
        off, more = money_text(unlocked, currency), money_text(gap, currency)
        return Nudge(
            offer=offer.id,
            kind=offer.kind,
            add_amount=gap,
            add_units=0,
            sku=None,
            unlocks=unlocked,
            message_en=f"{more} more for another {off} off",
            message_zh=f"再买{more}再减{off}",
        )

"""组合套装: a set of SKUs sold together (trial size + full size: ¥20 off)."""

from __future__ import annotations

from storeloop.money import percent_of
from storeloop.pricing.kinds.base import (
    Proposal,
    Scope,
    money_text,
    nothing,
    percent_text,
    sku_info,
)
from storeloop.pricing.offer_schemas import Bundle
from storeloop.pricing.result import Nudge


class BundleRule:
    """Condition: complete sets in the cart. Benefit: fixed price, amount or percent off each set.

    The set's value is measured at item-level prices, the share of each line being the units the
    sets use, so a fixed bundle price never charges more than the items would cost alone.
    """

    def reads_prices(self, offer: Bundle) -> bool:
        """Complete sets depend on quantities, never on prices."""
        return False

    def step(self, offer: Bundle, scope: Scope) -> int:
        return 0

    def _sets(self, offer: Bundle, scope: Scope) -> int:
        held = {scope.lines[pos].sku: scope.lines[pos].quantity for pos in scope.positions}
        sets = min(held.get(item.sku, 0) // item.quantity for item in offer.items)
        return sets if offer.max_sets is None else min(sets, offer.max_sets)

    def _benefit(self, offer: Bundle, value: int, sets: int) -> int:
        if offer.price is not None:
            return max(0, value - sets * offer.price)
        if offer.amount_off is not None:
            return min(sets * offer.amount_off, value)
        assert offer.percent_off_bp is not None
        return percent_of(value, offer.percent_off_bp)

    def _rule(self, offer: Bundle, currency: str) -> str:
        if offer.price is not None:
            return f"set price {money_text(offer.price, currency)}"
        if offer.amount_off is not None:
            return f"{money_text(offer.amount_off, currency)} off the set"
        assert offer.percent_off_bp is not None
        return f"{percent_text(offer.percent_off_bp)} off the set"

    def propose(self, offer: Bundle, scope: Scope) -> Proposal:
        sets = self._sets(offer, scope)
        if not sets:
            return nothing("the set is not complete")
        values = [0] * len(scope.lines)
        by_sku = {scope.lines[pos].sku: pos for pos in scope.positions}
        for item in offer.items:
            pos = by_sku[item.sku]
            line = scope.lines[pos]
            values[pos] = scope.amounts[pos] * sets * item.quantity // line.quantity
        times = f" × {sets}" if sets > 1 else ""
        return Proposal(
            amount=self._benefit(offer, sum(values), sets),
            weights=tuple(values),
            rule=lambda: self._rule(offer, scope.ctx.currency) + times,
        )

    def nudge(self, offer: Bundle, scope: Scope) -> Nudge | None:
        sets = self._sets(offer, scope)
        if offer.max_sets is not None and sets >= offer.max_sets:
            return None
        held = {scope.lines[pos].sku: scope.lines[pos].quantity for pos in scope.positions}
        catalogue = scope.ctx.catalogue
        missing: list[tuple[str, int, int]] = []
        set_value = 0
        for i, item in enumerate(offer.items):
            price = sku_info(catalogue, item.sku, offer.id, f"items[{i}].sku").list_price
            set_value += item.quantity * price
            short = (sets + 1) * item.quantity - held.get(item.sku, 0)
            if short > 0:
                missing.append((item.sku, short, price))
        unlocked = self._benefit(offer, set_value, 1)
        if not missing or unlocked <= 0:
            return None
        currency = scope.ctx.currency
        what = ", ".join(f"{units} × {sku}" for sku, units, _ in missing)
        saving = money_text(unlocked, currency)
        goal, goal_zh = (
            ("complete the set", "凑成套装") if not sets else ("make another set", "再凑一套")
        )
        return Nudge(
            offer=offer.id,
            kind=offer.kind,
            add_amount=sum(units * price for _, units, price in missing),
            add_units=sum(units for _, units, _ in missing),
            sku=missing[0][0] if len(missing) == 1 else None,
            unlocks=unlocked,
            message_en=f"add {what} to {goal} and save {saving}",
            message_zh=f"加购{what}{goal_zh}，立省{saving}",
        )

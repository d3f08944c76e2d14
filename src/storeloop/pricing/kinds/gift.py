"""赠品 / 买赠: gift with purchase, birthday gift and buy X get Y, repeating up to a maximum.

Reward units already in the cart are used first (the third unit of "buy 2 get 1" becomes free);
missing free units are added as gift lines. A discounted (not free) reward is never added on the
shopper's behalf: it must be in the cart, and the nudge says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from storeloop.pricing.kinds.base import (
    Proposal,
    Scope,
    cheapest_line,
    money_text,
    nothing,
    sku_info,
)
from storeloop.pricing.offer_schemas import Gift
from storeloop.pricing.result import Nudge


@dataclass(slots=True)  # not frozen: one per gift offer of every cart, and frozen inits are slow
class _Reach:
    applications: int
    from_cart: int
    reward_pos: int | None


class GiftRule:
    """Condition: spend, quantity and/or birthday month. Benefit: reward units free or cheaper."""

    def reads_prices(self, offer: Gift) -> bool:
        return offer.condition.min_spend is not None

    def step(self, offer: Gift, scope: Scope) -> int:
        return self._reach(offer, scope).applications

    def _reach(self, offer: Gift, scope: Scope) -> _Reach:
        """The most applications the cart earns, taking reward units from the cart where the
        condition can spare them (the third tea of "buy 2 get 1") and adding the rest."""
        condition, reward = offer.condition, offer.reward
        reward_pos = next((line.pos for line in scope.lines if line.sku == reward.sku), None)
        in_cart = 0 if reward_pos is None else scope.lines[reward_pos].quantity
        upper = offer.max_applications
        if condition.min_spend is not None:
            upper = min(upper, scope.spend // condition.min_spend)
        if condition.min_quantity is not None:
            upper = min(upper, scope.units // condition.min_quantity)
        if condition.min_spend is None and condition.min_quantity is None:
            upper = min(upper, 1)
        list_price = sku_info(scope.ctx.catalogue, reward.sku, offer.id, "reward.sku").list_price
        per_application = reward.quantity * max(0, list_price - reward.price)
        budget = scope.ctx.budget_left(offer.id, offer.budget)
        if budget is not None and per_application:
            upper = min(upper, budget // per_application)
        # More applications are never easier, so search the most that still fit, by halves.
        best, low, high = _Reach(0, 0, reward_pos), 1, upper
        while low <= high:
            middle = (low + high) // 2
            from_cart = self._most_from_cart(offer, scope, middle, reward_pos, in_cart)
            if from_cart is None:
                high = middle - 1
            else:
                best, low = _Reach(middle, from_cart, reward_pos), middle + 1
        return best

    def _most_from_cart(
        self, offer: Gift, scope: Scope, applications: int, reward_pos: int | None, in_cart: int
    ) -> int | None:
        """The most reward units the cart can give for ``applications`` while the condition
        still holds, or None when it cannot hold. Setting units aside never helps, so halve."""
        need = offer.reward.quantity * applications
        low = need if offer.reward.price else 0  # a paid reward is never added for the shopper
        high = min(need, in_cart)
        if low > high or not self._holds(offer, scope, applications, reward_pos, low):
            return None
        while low < high:
            middle = (low + high + 1) // 2
            if self._holds(offer, scope, applications, reward_pos, middle):
                low = middle
            else:
                high = middle - 1
        return low

    def _holds(
        self, offer: Gift, scope: Scope, applications: int, reward_pos: int | None, from_cart: int
    ) -> bool:
        """Does the condition hold ``applications`` times once ``from_cart`` reward units are
        set aside? Reward units never count towards the condition that earns them."""
        units, spend = scope.units, scope.spend
        if reward_pos is not None and reward_pos in scope.positions and from_cart:
            units -= from_cart
            spend -= scope.amounts[reward_pos] * from_cart // scope.lines[reward_pos].quantity
        condition = offer.condition
        return (condition.min_spend is None or spend >= condition.min_spend * applications) and (
            condition.min_quantity is None or units >= condition.min_quantity * applications
        )

    def propose(self, offer: Gift, scope: Scope) -> Proposal:
        if offer.condition.birthday_month and not scope.ctx.is_birthday_month:
            return nothing("not the customer's birthday month")
        reach = self._reach(offer, scope)
        if not reach.applications:
            return nothing(lambda: self._unmet(offer, scope))
        reward = offer.reward
        weights = [0] * len(scope.lines)
        amount = 0
        if reach.from_cart:
            assert reach.reward_pos is not None
            line = scope.lines[reach.reward_pos]
            value = scope.amounts[reach.reward_pos] * reach.from_cart // line.quantity
            amount = max(0, value - reward.price * reach.from_cart)
            weights[reach.reward_pos] = 1
        added = reward.quantity * reach.applications - reach.from_cart

        def rule() -> str:
            price = "free" if not reward.price else f"at {money_text(reward.price, currency)}"
            return f"{reward.quantity * reach.applications} × {reward.sku} {price}"

        currency = scope.ctx.currency
        return Proposal(
            amount=amount,
            weights=tuple(weights),
            rule=rule,
            gifts=((reward.sku, added),) if added else (),
            gift_value=added * scope.ctx.catalogue[reward.sku].list_price,
        )

    def _unmet(self, offer: Gift, scope: Scope) -> str:
        condition, currency = offer.condition, scope.ctx.currency
        if condition.min_spend is not None and scope.spend < condition.min_spend:
            spent, needed = (
                money_text(scope.spend, currency),
                money_text(condition.min_spend, currency),
            )
            return f"spend {spent} of {needed}"
        if condition.min_quantity is not None and scope.units < condition.min_quantity:
            return f"{scope.units} eligible units of {condition.min_quantity}"
        if offer.reward.price:
            return f"{offer.reward.sku} is not in the cart"
        return "the budget cannot cover one more gift"

    def nudge(self, offer: Gift, scope: Scope) -> Nudge | None:
        condition, reward, ctx = offer.condition, offer.reward, scope.ctx
        if condition.birthday_month and not ctx.is_birthday_month:
            return None
        applications = self._reach(offer, scope).applications
        repeats = condition.min_spend is not None or condition.min_quantity is not None
        if applications >= (offer.max_applications if repeats else 1):
            return None
        target = applications + 1
        spend_gap = max(0, (condition.min_spend or 0) * target - scope.spend)
        units_gap = max(0, (condition.min_quantity or 0) * target - scope.units)
        line = cheapest_line(scope.lines, scope.positions)
        add_units, sku = units_gap, (line.sku if units_gap and line else None)
        add_amount = max(spend_gap, units_gap * (line.unit_price if line else 0))
        info = sku_info(ctx.catalogue, reward.sku, offer.id, "reward.sku")
        if not add_amount:
            add_amount, add_units, sku = reward.price * reward.quantity, reward.quantity, reward.sku
        label = info.name or reward.sku
        price = money_text(reward.price, ctx.currency)
        get_en = f"{reward.quantity} × {reward.sku}" + (f" at {price}" if reward.price else " free")
        get_zh = (f"{price}换购" if reward.price else "送") + label
        if units_gap:
            ask_en, ask_zh = f"add {units_gap} more", f"再买{units_gap}件"
        elif spend_gap:
            more = money_text(add_amount, ctx.currency)
            ask_en, ask_zh = f"{more} more", f"再买{more}"
        else:
            ask_en, ask_zh = "add it to the cart", "加入购物车即可"
        return Nudge(
            offer=offer.id,
            kind=offer.kind,
            add_amount=add_amount,
            add_units=add_units,
            sku=sku,
            unlocks=reward.quantity * max(0, info.list_price - reward.price),
            message_en=f"{ask_en} to get {get_en}",
            message_zh=f"{ask_zh}{get_zh}",
        )

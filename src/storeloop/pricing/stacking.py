"""Choosing the combination of offers that is best for the customer.

Allowed combinations: any set of item-level offers (each line takes the best enabled one), any set
of non-exclusive shop-level offers or one exclusive one alone, and up to ``max_coupons`` coupons
(plus one free-shipping coupon) or one exclusive coupon alone. The search is exhaustive over these,
so removing an offer can never lower the best total — with one exact shortcut: an offer is fixed
*on* when no threshold (spend tier, coupon minimum, free-shipping line) can change between the
lowest and the highest prices its lines can have. Without a threshold to cross, a larger discount
never costs the customer anything, so the combinations without it need not be priced.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

from storeloop.pricing.kinds import coupon as coupon_rule
from storeloop.pricing.kinds import item
from storeloop.pricing.kinds.base import Proposal
from storeloop.pricing.offer_schemas import ItemOffer, ShopOffer
from storeloop.pricing.pipeline import (
    SHOP_RULES,
    Ledger,
    Outcome,
    Plan,
    ProposalCache,
    apply_coupons,
    apply_items,
    apply_shop,
    coupon_proposals,
    finish,
    shop_proposals,
)
from storeloop.pricing.shipping import fee_for

Offer = TypeVar("Offer", ItemOffer, ShopOffer)
MAX_TOGGLED = 5  # at most 2**5 item-offer sets, and 2**5 shop-offer sets for each
WORK_BUDGET = 4000  # offer applications per cart, so a cart that 100+ offers match stays fast


@dataclass(slots=True)  # not frozen: built for every cart, and frozen inits are slow
class Choice:
    outcome: Outcome
    combinations: int
    truncated: bool
    best_with: dict[str, int]
    # offers that only item-offer sets skipped by their floor could use: the lowest such floor
    floor_with: dict[str, int]


def choose(plan: Plan) -> Choice:
    """Price every combination worth trying and keep the best, remembering for each offer the
    best total of a combination that used it — the explanation of why it was left out."""
    return _Search(plan).run()


class _Search:
    """The enumeration: item-offer sets, then shop-offer sets for each, then coupon sets.

    Sets are tried most-enabled first, so that when a cart matched by very many offers exhausts
    ``WORK_BUDGET`` (counted in offer applications, not time, so the result stays
    deterministic), what was priced is what most likely wins; ``truncated`` then says so.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.start = plan.start()
        self.cache = ProposalCache()
        self.coupon_combos = _coupon_combinations(plan)
        self.stacking = tuple(offer for offer, _ in plan.shop_offers if not offer.exclusive)
        self.exclusive = [(offer,) for offer, _ in plan.shop_offers if offer.exclusive]
        self.best: Outcome | None = None
        self.best_with: dict[str, int] = {}
        self.floor_with: dict[str, int] = {}
        self.count = 0
        self.work = 0
        self.truncated = False

    def run(self) -> Choice:
        plan = self.plan
        everything = frozenset(offer.id for offer in plan.item_offers)
        lowest = apply_items(plan, self.start, everything)
        toggled, cut = _at_most(_items_worth_toggling(plan, lowest, self.cache))
        self.truncated |= cut
        fixed = everything - {offer.id for offer in toggled}
        for chosen in _subsets_largest_first(toggled):
            if self._spent():
                break
            enabled = fixed | {offer.id for offer in chosen}
            at_items = lowest if enabled == everything else apply_items(plan, self.start, enabled)
            proposals = shop_proposals(plan, at_items.amounts, self.cache)
            if self.best is not None:
                least = self._least_from(at_items, proposals)
                if least > self.best.objective:
                    self._skipped(at_items, proposals, least)  # all cost more than the best
                    continue
            self._shop_level(at_items, proposals)
        assert self.best is not None
        return Choice(self.best, self.count, self.truncated, self.best_with, self.floor_with)

    def _shop_level(self, at_items: Ledger, proposals: dict[str, Proposal]) -> None:
        plan = self.plan
        all_on = self._apply(at_items, self.stacking, proposals)
        toggled, cut = _at_most(_shop_worth_toggling(plan, at_items, all_on, self.stacking))
        self.truncated |= cut
        self._coupon_level(at_items, proposals, all_on)
        for combo in self.exclusive:
            if self._spent():
                return
            self._coupon_level(at_items, proposals, self._apply(at_items, combo, proposals))
        if not toggled:
            return
        names = {offer.id for offer in toggled}
        fixed = tuple(offer for offer in self.stacking if offer.id not in names)
        # Unconstrained, offers apply independently of order: the fixed ones once, then each set
        # of toggled ones on top; otherwise every set is applied afresh in id order.
        shared = None if all_on.constrained else self._apply(at_items, fixed, proposals)
        for chosen in _subsets_largest_first(toggled):
            if len(chosen) == len(toggled):
                continue  # that is all_on, priced above
            if self._spent():
                return
            if shared is not None:
                at_shop = self._apply(shared, chosen, proposals)
            else:
                combo = tuple(sorted([*fixed, *chosen], key=lambda offer: offer.id))
                at_shop = self._apply(at_items, combo, proposals)
            self._coupon_level(at_items, proposals, at_shop)

    def _coupon_level(
        self, at_items: Ledger, proposals: dict[str, Proposal], at_shop: Ledger
    ) -> None:
        plan = self.plan
        offered = coupon_proposals(plan, at_shop)
        # Priced sets whose every coupon lowered the total on its own: their subsets cost more.
        dominant: list[tuple[frozenset[int], frozenset[int]]] = []
        can_dominate = (
            not plan.inflations
            and not at_shop.constrained
            and not any(proposal.gifts for proposal in offered)
        )
        fee_without = fee_for(plan.shipping, sum(at_shop.amounts))
        for coupons in self.coupon_combos:
            if not all(offered[index].gives_something for index in coupons):
                continue  # the same as the combination without that coupon
            chosen = frozenset(coupons)
            if any(chosen < combo and combo - chosen <= gave for combo, gave in dominant):
                continue
            ledger = apply_coupons(plan, at_shop, coupons, offered)
            self.work += len(coupons) + 1
            outcome = finish(plan, ledger, (at_items, proposals), (at_shop, offered))
            self._consider(outcome)
            if can_dominate and not ledger.constrained and outcome.shipping_fee == fee_without:
                dominant.append((chosen, _lowering(coupons, ledger, at_shop, outcome)))

    def _apply(
        self, ledger: Ledger, combo: tuple[ShopOffer, ...], proposals: dict[str, Proposal]
    ) -> Ledger:
        self.work += len(combo)
        return apply_shop(self.plan, ledger, combo, proposals)

    def _least_from(self, at_items: Ledger, proposals: dict[str, Proposal]) -> int:
        """A floor under the objective of every combination built on ``at_items``: each later
        discount at most what its rule asks for at these prices (caps and budgets only cut),
        shop offers all stacked or the best exclusive one, every coupon at once, every deposit
        inflation in full, and the fee these goods pay — which lower goods only raise — unless a
        free-shipping coupon could waive it."""
        plan = self.plan

        def worth(offer: ShopOffer) -> int:
            return proposals[offer.id].amount + proposals[offer.id].gift_value

        shop = max(
            sum(worth(offer) for offer in self.stacking),
            max((worth(offer) for (offer,) in self.exclusive), default=0),
        )
        amounts = at_items.amounts
        coupons = sum(
            coupon_rule.goods_discount(
                presented.offer, sum(amounts[pos] for pos in presented.positions)
            )
            for presented in plan.coupons
        )
        goods = sum(amounts)
        waivable = any(presented.offer.free_shipping for presented in plan.coupons)
        fee = 0 if waivable else fee_for(plan.shipping, goods)
        inflation = sum(inflation.amount for inflation in plan.inflations)
        return goods - shop - coupons - inflation + fee

    def _skipped(self, at_items: Ledger, proposals: dict[str, Proposal], least: int) -> None:
        """Remember, for each offer a skipped set could have used, the floor that ruled it out,
        so an offer never priced is still explained as part of a costlier combination."""
        plan = self.plan
        amounts = at_items.amounts
        usable = [*at_items.used]
        usable += [offer.id for offer, _ in plan.shop_offers if proposals[offer.id].gives_something]
        usable += [
            presented.offer.id
            for presented in plan.coupons
            if presented.offer.free_shipping
            or coupon_rule.goods_discount(
                presented.offer, sum(amounts[pos] for pos in presented.positions)
            )
        ]
        for offer_id in usable:
            self.floor_with[offer_id] = min(self.floor_with.get(offer_id, least), least)

    def _consider(self, outcome: Outcome) -> None:
        self.count += 1
        for offer_id in outcome.used:
            previous = self.best_with.get(offer_id)
            if previous is None or outcome.objective < previous:
                self.best_with[offer_id] = outcome.objective
        if self.best is None or outcome.better_than(self.best):
            self.best = outcome

    def _spent(self) -> bool:
        """Out of budget: stop here, with the combinations priced so far, and say so."""
        spent = self.best is not None and self.work > WORK_BUDGET
        self.truncated |= spent
        return spent


def _items_worth_toggling(plan: Plan, lowest: Ledger, cache: ProposalCache) -> list[ItemOffer]:
    """Item offers on lines where some threshold can change between the lowest prices the
    offers can make and list prices, or that compete for an offer's scarce units or budget; on
    every other line a larger discount is simply better."""
    if not plan.item_offers:
        return []
    lines = plan.lines
    list_amounts = [line.list_amount for line in lines]
    # A step reads the prices of its own lines only: no item offer lowering them, no change.
    lowered = {pos for pos, amount in enumerate(lowest.amounts) if amount != list_amounts[pos]}
    sensitive_lines = _competing_lines(plan)
    for offer, positions in plan.shop_offers:
        rule = SHOP_RULES[offer.kind]
        if (
            rule.reads_prices(offer)
            and not lowered.isdisjoint(positions)
            and rule.step(offer, plan.scope(positions, lowest.amounts))
            != rule.step(offer, plan.scope(positions, list_amounts))
        ):
            sensitive_lines.update(positions)
    minimums = [presented for presented in plan.coupons if presented.offer.min_spend]
    free_line = plan.shipping.fee > 0 and plan.shipping.free_threshold is not None
    if minimums or free_line:
        at_list = shop_proposals(plan, list_amounts, cache)
        if minimums:
            most_off_line = _most_off_per_line(
                plan, lowest, at_list, shop_proposals(plan, lowest.amounts, cache)
            )
        for presented in minimums:
            positions = presented.positions
            high_spend = sum(list_amounts[pos] for pos in positions)
            low_spend = sum(lowest.amounts[pos] - most_off_line[pos] for pos in positions)
            reaches = coupon_rule.reaches_threshold
            if reaches(presented.offer, low_spend) != reaches(presented.offer, high_spend):
                sensitive_lines.update(positions)
        coupon_most_off = sum(
            coupon_rule.goods_discount(
                presented.offer, sum(list_amounts[pos] for pos in presented.positions)
            )
            for presented in plan.coupons
        )
        most_off = sum(proposal.amount for proposal in at_list.values())
        low_goods = sum(lowest.amounts) - most_off - coupon_most_off
        if fee_for(plan.shipping, low_goods) != fee_for(plan.shipping, sum(list_amounts)):
            sensitive_lines.update(range(len(lines)))
    touching = {offer.id for pos in sensitive_lines for offer in plan.item_options[pos]}
    return [offer for offer in plan.item_offers if offer.id in touching]


def _competing_lines(plan: Plan) -> set[int]:
    """Lines covered by an item offer with fewer units or less budget left than they could take,
    when it covers more than one.

    Lines take their item offers one after another, so where a flash sale's last unit goes
    depends on what else each line could take: leaving out an offer on one line can free the
    unit for a line where it is worth more. (Found by the property test: a presale line capped
    below the flash discount took the last free unit that a dearer line needed.)
    """
    lines = plan.lines
    found: set[int] = set()
    for offer in plan.item_offers:
        positions = plan.item_lines[offer.id]
        if len(positions) < 2:
            continue  # one line: nobody to compete with
        units = item.units_left(offer, plan.ctx)
        budget = plan.budget_left(offer)
        short = units is not None and units < sum(lines[pos].quantity for pos in positions)
        if not short and budget is not None:
            most = sum(
                item.line_discount(offer, lines[pos], lines[pos].quantity) for pos in positions
            )
            short = budget < most
        if short:
            found.update(positions)
    return found


def _most_off_per_line(
    plan: Plan,
    lowest: Ledger,
    at_list: dict[str, Proposal],
    at_lowest: dict[str, Proposal],
) -> list[int]:
    """The most shop-level offers can ever take off each line, at any item-level prices.

    An offer takes ``amount × weight / total weight`` from a line. Its amount is largest at list
    prices, the line's weight too, and the total weight smallest at the lowest item prices — so
    their ratio bounds every share. That holds while no line runs out of room (a full line
    passes its share on to the others); when the bounds could fill a line, each line falls back
    to the whole amount of every offer covering it, which holds always.
    """
    shares = [0] * len(plan.lines)
    whole = [0] * len(plan.lines)
    for offer, _ in plan.shop_offers:
        top, low = at_list[offer.id], at_lowest[offer.id]
        least_total = sum(low.weights) if low.gives_something else 0
        for pos, weight in enumerate(top.weights):
            if weight:
                whole[pos] += top.amount
                share = -(-top.amount * weight // least_total) if least_total else top.amount
                shares[pos] += min(top.amount, share)
    for line in plan.lines:
        pos = line.pos
        item_most = line.list_amount - lowest.amounts[pos]
        room = min(plan.line_caps[pos] - item_most, lowest.amounts[pos] - plan.floors[pos])
        if shares[pos] > room:
            return whole
    return shares


def _shop_worth_toggling(
    plan: Plan, at_items: Ledger, all_on: Ledger, stacking: tuple[ShopOffer, ...]
) -> list[ShopOffer]:
    """With item prices fixed, stacking shop offers only ever lower prices, so leaving one out
    can only matter for a coupon minimum or the free-shipping line that every stacking offer
    together misses but no offer at all reaches."""
    coupon_most_off = 0
    touching: set[str] = set()
    for presented in plan.coupons:
        positions = presented.positions
        high = sum(at_items.amounts[pos] for pos in positions)
        low = sum(all_on.amounts[pos] for pos in positions)
        coupon_most_off += coupon_rule.goods_discount(presented.offer, high)
        reaches = coupon_rule.reaches_threshold
        if reaches(presented.offer, low) != reaches(presented.offer, high):
            covered = set(positions)
            touching.update(o.id for o, scope in plan.shop_offers if covered.intersection(scope))
    low_goods = sum(all_on.amounts) - coupon_most_off
    if fee_for(plan.shipping, low_goods) != fee_for(plan.shipping, sum(at_items.amounts)):
        return list(stacking)
    return [offer for offer in stacking if offer.id in touching]


def _at_most(offers: list[Offer]) -> tuple[list[Offer], bool]:
    """Beyond ``MAX_TOGGLED`` offers to toggle, the last ones (by id) stay fixed on; the result
    then says the search was truncated."""
    return offers[:MAX_TOGGLED], len(offers) > MAX_TOGGLED


def _lowering(
    coupons: tuple[int, ...], ledger: Ledger, at_shop: Ledger, outcome: Outcome
) -> frozenset[int]:
    """The coupons of a priced set that each lowered its total by themselves.

    Why a subset of such a set need not be priced: with no cap or room cut (``constrained``), no
    gift and no deposit inflation after coupons, each coupon takes its own amount whatever else
    applies; with the shipping fee the same at the set's goods and at no coupon at all (the fee
    only steps down as goods rise), every goods amount in between pays that fee too. Dropping a
    coupon that took something, or the free-shipping coupon that waived the fee, then raises the
    total strictly — so the subset can neither win nor be the best combination using any offer
    the superset also uses.
    """
    entries = ledger.entries[len(at_shop.entries) :]  # one per coupon, in ``coupons`` order
    lowering = set()
    for index, entry in zip(coupons, entries, strict=True):
        if any(entry.parts) or (entry.free_shipping and outcome.shipping_discount > 0):
            lowering.add(index)
    return frozenset(lowering)


def _coupon_combinations(plan: Plan) -> list[tuple[int, ...]]:
    """Up to ``max_coupons`` goods coupons plus at most one free-shipping coupon; an exclusive
    coupon goes alone. Largest sets first, so that the sets they make pointless are skipped."""
    goods, shipping, exclusive = [], [], []
    for index, presented in enumerate(plan.coupons):
        coupon = presented.offer
        if coupon.exclusive:
            if coupon.free_shipping or plan.ctx.policy.max_coupons:
                exclusive.append((index,))
        else:
            (shipping if coupon.free_shipping else goods).append(index)
    result: list[tuple[int, ...]] = []
    for size in range(min(plan.ctx.policy.max_coupons, len(goods)) + 1):
        for chosen in combinations(goods, size):
            result.append(chosen)
            result.extend(tuple(sorted((*chosen, ship))) for ship in shipping)
    return sorted(result + exclusive, key=len, reverse=True)


def _subsets_largest_first(offers: Sequence[Offer]) -> Iterator[tuple[Offer, ...]]:
    for size in range(len(offers), -1, -1):
        yield from combinations(offers, size)

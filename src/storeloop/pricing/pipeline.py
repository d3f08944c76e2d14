"""One combination of offers applied level by level: item → shop → coupon → shipping → deposit.

A ``Ledger`` carries the running line amounts and how much more discount each line and the order
may still take. Every level goes through ``Ledger.take``, so "never below zero", "never under what
a presale line keeps for its deposit" and the per-line and per-order percentage caps hold whatever
the offers are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from storeloop.money import allocate
from storeloop.pricing.allocation import allocate_capped
from storeloop.pricing.context import Context, Line
from storeloop.pricing.kinds import coupon as coupon_rule
from storeloop.pricing.kinds import item
from storeloop.pricing.kinds.base import Proposal, Scope, ShopRule, Text
from storeloop.pricing.kinds.bundle import BundleRule
from storeloop.pricing.kinds.gift import GiftRule
from storeloop.pricing.kinds.tiers import QuantityTiersRule, SpendRepeatRule, SpendTiersRule
from storeloop.pricing.offer_schemas import AnyOffer, Coupon, ItemOffer, Presale, ShopOffer
from storeloop.pricing.schemas import Shipping
from storeloop.pricing.shipping import fee_for

SHOP_RULES: dict[str, ShopRule] = {
    "quantity_tiers": QuantityTiersRule(),
    "spend_tiers": SpendTiersRule(),
    "spend_repeat": SpendRepeatRule(),
    "bundle": BundleRule(),
    "gift": GiftRule(),
}


@dataclass(slots=True)  # not frozen: frozen inits are slow, and these are built per cart
class Presented:
    """A coupon code the shopper presented that passed every check, with the lines it covers."""

    offer: Coupon
    code: str
    positions: tuple[int, ...]


@dataclass(slots=True)  # not frozen: as Presented
class Inflation:
    """``amount`` off line ``pos``, never below ``deposit`` (the deposit money itself)."""

    offer: Presale
    pos: int
    amount: int
    deposit: int


@dataclass(slots=True)  # not frozen: as Presented
class Plan:
    """Everything the search needs, fixed before it starts: eligible offers and the limits."""

    lines: tuple[Line, ...]
    ctx: Context
    item_offers: tuple[ItemOffer, ...]
    item_options: tuple[tuple[ItemOffer, ...], ...]  # per line, the item offers covering it
    item_lines: dict[str, tuple[int, ...]]  # per item offer, the lines it covers
    shop_offers: tuple[tuple[ShopOffer, tuple[int, ...]], ...]
    shop_reads: dict[str, tuple[int, ...]]
    coupons: tuple[Presented, ...]
    inflations: tuple[Inflation, ...]
    floors: tuple[int, ...]
    line_caps: tuple[int, ...]
    order_cap: int
    shipping: Shipping
    # Wording of item offers, coupons and presales, which no price changes: the offer book's,
    # written once for every cart priced against it.
    rule_text: Callable[[ItemOffer | Coupon | Presale], str]

    def start(self) -> Ledger:
        amounts = [line.list_amount for line in self.lines]
        room = [
            max(0, min(cap, amount - floor))
            for cap, amount, floor in zip(self.line_caps, amounts, self.floors, strict=True)
        ]
        return Ledger(amounts, room, self.order_cap)

    def budget_left(self, offer: AnyOffer) -> int | None:
        return self.ctx.budget_left(offer.id, getattr(offer, "budget", None))

    def scope(self, positions: tuple[int, ...], amounts: Sequence[int]) -> Scope:
        return Scope(
            self.lines, positions, amounts, self.ctx, sum(map(amounts.__getitem__, positions))
        )


@dataclass(slots=True)
class Entry:
    """One offer's effect in a combination; ``parts`` has one amount per line."""

    offer: AnyOffer
    rule: Text
    requested: int
    parts: Sequence[int]
    code: str | None = None
    gifts: tuple[tuple[str, int], ...] = ()
    free_shipping: bool = False


@dataclass(slots=True)
class Ledger:
    """Running state of one combination; ``used`` lists offers that gave something so far.

    ``constrained`` turns true when a cap, a floor or the order's room cut or moved a discount.
    Until then every offer took exactly its plain pro-rata split, whatever else applied — so the
    order of application does not matter, which the search uses to share work.
    """

    amounts: list[int]
    room: list[int]
    order_room: int
    entries: list[Entry] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    coupons_used: int = 0
    gift_value: int = 0
    free_shipping: Entry | None = None
    constrained: bool = False

    def copy(self) -> Ledger:
        return Ledger(
            list(self.amounts),
            list(self.room),
            self.order_room,
            list(self.entries),
            list(self.used),
            self.coupons_used,
            self.gift_value,
            self.free_shipping,
            self.constrained,
        )

    def record(self, entry: Entry, taken: int, gift_value: int = 0) -> None:
        """``taken`` is the sum of ``entry.parts``, which every caller has at hand."""
        self.entries.append(entry)
        if gift_value or taken:
            self.used.append(entry.offer.id)
            self.gift_value += gift_value
            self.coupons_used += entry.code is not None
        if entry.free_shipping:
            self.free_shipping = entry

    def take(self, entry: Entry, proposal: Proposal, budget: int | None) -> None:
        """Allocate ``entry.requested`` within the budget and room left, recording each part."""
        wanted = entry.requested if budget is None else min(entry.requested, budget)
        target = min(wanted, self.order_room)
        self.constrained |= target < wanted
        taken = 0
        if target > 0:
            parts, taken = self._split(target, proposal)
            entry.parts = parts
            amounts, room = self.amounts, self.room
            for pos in proposal.covered:  # no other line takes a part
                part = parts[pos]
                amounts[pos] -= part
                room[pos] -= part
            self.order_room -= taken
        self.record(entry, taken, proposal.gift_value)

    def _split(self, target: int, proposal: Proposal) -> tuple[Sequence[int], int]:
        """The parts and their sum: the plain pro-rata split when it fits everywhere
        (``allocate_capped`` would return exactly it, summing to ``target``), else the capped
        allocation, which may give less."""
        weights = proposal.weights
        plain = proposal.split if target == proposal.amount else allocate(target, weights)
        room, covered = self.room, proposal.covered
        for pos in covered:
            left = room[pos]
            if left <= 0 or plain[pos] > left:
                self.constrained = True
                capped = allocate_capped(target, weights, room)
                return capped, sum(capped)
        return plain, target if covered else 0  # no line weighs: nothing taken (see ``split``)


def apply_items(plan: Plan, start: Ledger, enabled: frozenset[str]) -> Ledger:
    """Each line takes the enabled item-level offer worth most to it; lines go in SKU order, so a
    scarce flash-sale unit goes to the same line whatever order the cart listed them in."""
    ledger = start.copy()
    units: dict[str, int | None] = {}
    budgets: dict[str, int | None] = {}
    for line in plan.lines:
        best: tuple[int, ItemOffer, int, int, bool] | None = None
        for offer in plan.item_options[line.pos]:
            if offer.id not in enabled:
                continue
            if offer.id not in units:
                units[offer.id] = item.units_left(offer, plan.ctx)
                budgets[offer.id] = plan.budget_left(offer)
            left, budget = units[offer.id], budgets[offer.id]
            count = line.quantity if left is None else min(line.quantity, left)
            requested = item.line_discount(offer, line, count) if count else 0
            wanted = requested if budget is None else min(requested, budget)
            worth = min(wanted, ledger.room[line.pos], ledger.order_room)
            if worth > 0 and (best is None or worth > best[0]):
                best = (worth, offer, count, requested, worth < wanted)
        if best is None:
            continue
        worth, offer, count, requested, cut = best
        ledger.constrained |= cut
        parts = [0] * len(plan.lines)
        parts[line.pos] = worth
        ledger.amounts[line.pos] -= worth
        ledger.room[line.pos] -= worth
        ledger.order_room -= worth
        ledger.record(Entry(offer, plan.rule_text(offer), requested, parts), worth)
        left, budget = units[offer.id], budgets[offer.id]
        units[offer.id] = None if left is None else left - count
        budgets[offer.id] = None if budget is None else budget - worth
    return ledger


@dataclass(slots=True)
class ProposalCache:
    """One cart's shop proposals: per offer on the prices it reads, shared by item sets that
    leave its lines alone, and whole per item-level prices — the search's first item set prices
    the lines as low as the shortcut already proposed on."""

    by_offer: dict[tuple[str, tuple[int, ...]], Proposal] = field(default_factory=dict)
    by_prices: dict[tuple[int, ...], dict[str, Proposal]] = field(default_factory=dict)


def shop_proposals(plan: Plan, amounts: Sequence[int], cache: ProposalCache) -> dict[str, Proposal]:
    """Shop-level rules all measure item-level prices, so they are proposed once per item set.
    The result is shared: read it, never change it."""
    prices = tuple(amounts)
    proposals = cache.by_prices.get(prices)
    if proposals is not None:
        return proposals
    proposals = cache.by_prices[prices] = {}
    by_offer = cache.by_offer
    for offer, positions in plan.shop_offers:
        key = (offer.id, tuple(map(prices.__getitem__, plan.shop_reads[offer.id])))
        found = by_offer.get(key)
        if found is None:
            found = by_offer[key] = SHOP_RULES[offer.kind].propose(
                offer, plan.scope(positions, prices)
            )
        proposals[offer.id] = found
    return proposals


def apply_shop(
    plan: Plan, at_items: Ledger, combo: tuple[ShopOffer, ...], proposals: dict[str, Proposal]
) -> Ledger:
    ledger = at_items.copy()
    for offer in combo:
        proposal = proposals[offer.id]
        if proposal.gives_something:
            _take(plan, ledger, offer, proposal, None)
    return ledger


def coupon_proposals(plan: Plan, at_shop: Ledger) -> list[Proposal]:
    """Coupon thresholds are measured after shop-level offers, hence once per shop combination."""
    return [
        coupon_rule.propose(
            presented.offer,
            plan.scope(presented.positions, at_shop.amounts),
            plan.rule_text(presented.offer),
        )
        for presented in plan.coupons
    ]


def apply_coupons(
    plan: Plan, at_shop: Ledger, combo: tuple[int, ...], proposals: list[Proposal]
) -> Ledger:
    ledger = at_shop.copy()
    for index in combo:
        proposal = proposals[index]
        if proposal.gives_something:
            presented = plan.coupons[index]
            _take(plan, ledger, presented.offer, proposal, presented.code)
    return ledger


def _take(
    plan: Plan, ledger: Ledger, offer: AnyOffer, proposal: Proposal, code: str | None
) -> None:
    entry = Entry(  # positional: keywords make a slotted init several times slower
        offer,
        proposal.rule,
        proposal.amount,
        [0] * len(plan.lines),
        code,
        proposal.gifts,
        proposal.free_shipping,
    )
    ledger.take(entry, proposal, plan.budget_left(offer))


@dataclass(slots=True)
class Outcome:
    """A fully priced combination; ``objective`` is what the search minimises."""

    ledger: Ledger
    at_items: Ledger
    at_shop: Ledger
    shop_proposals: dict[str, Proposal]
    coupon_proposals: list[Proposal]
    goods_after_coupons: int
    shipping_fee: int
    shipping_discount: int
    gift_value: int
    objective: int
    used: frozenset[str]

    def better_than(self, other: Outcome) -> bool:
        """Lowest cost first; on a tie, fewer coupons (the shopper keeps them for later), fewer
        offers, then offer ids, so the choice never depends on input order."""
        mine = (self.objective, self.ledger.coupons_used, len(self.used))
        theirs = (other.objective, other.ledger.coupons_used, len(other.used))
        if mine != theirs:
            return mine < theirs
        return sorted(self.used) < sorted(other.used)


def finish(
    plan: Plan,
    ledger: Ledger,
    at_items: tuple[Ledger, dict[str, Proposal]],
    at_shop: tuple[Ledger, list[Proposal]],
) -> Outcome:
    """Shipping on goods after coupons, then deposit inflation, which no cap may cut.

    ``at_items`` and ``at_shop`` are the earlier stages with the proposals made on them, kept
    for the explanation and the nudges."""
    goods = sum(ledger.amounts)
    fee = fee_for(plan.shipping, goods)
    shipping_discount = 0
    free = ledger.free_shipping
    if free is not None and fee:
        budget = plan.budget_left(free.offer)
        shipping_discount = fee if budget is None else min(fee, budget)
        if shipping_discount:
            ledger.used.append(free.offer.id)
            ledger.coupons_used += 1
    for inflation in plan.inflations:
        pos = inflation.pos
        worth = max(0, min(inflation.amount, ledger.amounts[pos] - inflation.deposit))
        parts = [0] * len(plan.lines)
        parts[pos] = worth
        ledger.amounts[pos] -= worth
        rule = plan.rule_text(inflation.offer)
        ledger.record(Entry(inflation.offer, rule, inflation.amount, parts), worth)
    return Outcome(
        ledger=ledger,
        at_items=at_items[0],
        at_shop=at_shop[0],
        shop_proposals=at_items[1],
        coupon_proposals=at_shop[1],
        goods_after_coupons=goods,
        shipping_fee=fee,
        shipping_discount=shipping_discount,
        gift_value=ledger.gift_value,
        objective=sum(ledger.amounts) + fee - shipping_discount - ledger.gift_value,
        used=frozenset(ledger.used),
    )

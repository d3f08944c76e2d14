"""Turning the chosen combination into a priced cart that explains itself.

Every discount names its offer and the rule that fired; every offer that matched but is not in
the price says why — ineligible, condition not met, outranked on its lines, or part of a costlier
combination (with how much costlier).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storeloop.pricing.deposits import Deposits
from storeloop.pricing.kinds import item
from storeloop.pricing.kinds.base import Proposal, money_text, text_of
from storeloop.pricing.margin import margin_flags
from storeloop.pricing.nudges import nudges
from storeloop.pricing.offer_schemas import AnyOffer, ItemOffer, Level
from storeloop.pricing.pipeline import Entry, Outcome, Plan
from storeloop.pricing.result import (
    Applied,
    Discount,
    GiftLine,
    PricedCart,
    PricedLine,
    Rejection,
    SearchReport,
    Totals,
)
from storeloop.pricing.stacking import Choice


def priced_cart(
    plan: Plan,
    choice: Choice,
    *,
    rejected: Sequence[Rejection],
    deposits: Deposits,
    sku_order: Sequence[str],
    at: datetime,
) -> PricedCart:
    outcome = choice.outcome
    entries = sorted(
        (entry for entry in outcome.ledger.entries if _counts(entry, outcome)),
        key=lambda entry: (_LEVELS[entry.offer.level], entry.offer.id),
    )
    # An entry's wording is read by its discount on every line and by its applied offer: word
    # it once (a shop rule covering the whole cart would otherwise be worded once per line).
    rules = [text_of(entry.rule) for entry in entries]
    lines = _priced_lines(plan, outcome, entries, rules, deposits)
    position = {line.sku: line.pos for line in plan.lines}
    reasons = [*rejected, *_not_chosen(plan, choice)]
    return PricedCart(
        currency=plan.ctx.currency,
        at=at,
        lines=tuple(lines[position[sku]] for sku in sku_order),
        gifts=_gifts(plan, entries),
        applied=_applied(plan, outcome, entries, rules),
        totals=_totals(outcome, lines, deposits),
        rejected=tuple(sorted(reasons, key=lambda r: (r.offer or "", r.code or "", r.reason))),
        nudges=nudges(plan, outcome),
        margin_flags=margin_flags(plan.lines, [line.final_amount for line in lines], entries),
        search=SearchReport(choice.combinations, choice.truncated),
    )


# The stacking order, in which discounts are listed.
_LEVELS = {level: rank for rank, level in enumerate(Level)}


def _counts(entry: Entry, outcome: Outcome) -> bool:
    return (
        any(entry.parts)
        or bool(entry.gifts)
        or (entry.free_shipping and outcome.shipping_discount > 0)
    )


def _priced_lines(
    plan: Plan,
    outcome: Outcome,
    entries: Sequence[Entry],
    rules: Sequence[str],
    deposits: Deposits,
) -> list[PricedLine]:
    """Each line with its discounts, listed in the order of ``entries``."""
    discounts: list[list[Discount]] = [[] for _ in plan.lines]
    for entry, rule in zip(entries, rules, strict=True):
        offer = entry.offer
        for pos, part in enumerate(entry.parts):
            if part:
                discounts[pos].append(Discount(offer.id, offer.kind, offer.level, rule, part))
    amounts, credits, dues = outcome.ledger.amounts, deposits.credits, deposits.dues
    # Positional, as the fields are declared: keywords make a slotted init four times slower.
    return [
        PricedLine(
            line.sku,
            line.quantity,
            line.unit_price,
            line.list_amount,
            tuple(discounts[line.pos]),
            amounts[line.pos],
            line.subscription,
            credits[line.pos],
            dues[line.pos],
        )
        for line in plan.lines
    ]


def _applied(
    plan: Plan, outcome: Outcome, entries: Sequence[Entry], rules: Sequence[str]
) -> tuple[Applied, ...]:
    """One entry per offer (and code): item-level offers are recorded line by line, so merge.
    ``entries`` come in stacking order, and so do the results."""
    grouped: dict[tuple[str, str | None], list[int]] = {}
    for index, entry in enumerate(entries):
        grouped.setdefault((entry.offer.id, entry.code), []).append(index)
    skus = [line.sku for line in plan.lines]
    applied = []
    for group in grouped.values():
        first = entries[group[0]]
        offer = first.offer
        parts = (
            first.parts
            if len(group) == 1
            else [sum(column) for column in zip(*(entries[i].parts for i in group), strict=True)]
        )
        applied.append(
            Applied(  # positional, as in _priced_lines
                offer.id,
                offer.kind,
                offer.level,
                rules[group[0]],
                sum(parts),
                sum(entries[i].requested for i in group),
                {sku: part for sku, part in zip(skus, parts, strict=True) if part},
                first.code,
                outcome.shipping_discount if first.free_shipping else 0,
            )
        )
    return tuple(applied)


def _gifts(plan: Plan, entries: Sequence[Entry]) -> tuple[GiftLine, ...]:
    catalogue = plan.ctx.catalogue
    gifts = [
        GiftLine(
            sku=sku,
            quantity=units,
            offer=entry.offer.id,
            value=catalogue[sku].list_price * units,
            cost=catalogue[sku].cost * units,
        )
        for entry in entries
        for sku, units in entry.gifts
    ]
    return tuple(sorted(gifts, key=lambda gift: (gift.offer, gift.sku)))


def _totals(outcome: Outcome, lines: Sequence[PricedLine], deposits: Deposits) -> Totals:
    by_level = dict.fromkeys(Level, 0)
    for line in lines:
        for discount in line.discounts:
            by_level[discount.level] += discount.amount
    goods = sum(line.list_amount for line in lines)
    discount = sum(by_level.values())
    shipping = outcome.shipping_fee - outcome.shipping_discount
    total = goods - discount + shipping
    balance_later = sum(line.final_amount - line.deposit_due for line in lines if line.deposit_due)
    credit = sum(deposits.credits)
    return Totals(
        goods=goods,
        item_discount=by_level[Level.ITEM],
        shop_discount=by_level[Level.SHOP],
        coupon_discount=by_level[Level.COUPON],
        deposit_inflation=by_level[Level.DEPOSIT],
        discount=discount,
        shipping_fee=outcome.shipping_fee,
        shipping_discount=outcome.shipping_discount,
        shipping=shipping,
        total=total,
        gift_value=outcome.gift_value,
        deposit_credit=credit,
        deposit_due=sum(deposits.dues),
        balance_later=balance_later,
        to_pay=total - credit - balance_later,
    )


def _not_chosen(plan: Plan, choice: Choice) -> list[Rejection]:
    """Why each eligible offer that is not in the price was left out."""
    outcome = choice.outcome
    used = set(outcome.used)
    shop, coupons = outcome.shop_proposals, outcome.coupon_proposals
    unused: list[tuple[AnyOffer, str | None, tuple[str, str]]] = [
        (offer, None, _outranked(plan, offer)) for offer in plan.item_offers if offer.id not in used
    ]
    unused += [
        (offer, None, _unmet(shop[offer.id]))
        for offer, _ in plan.shop_offers
        if offer.id not in used
    ]
    unused += [
        (presented.offer, presented.code, _unmet(proposal))
        for presented, proposal in zip(plan.coupons, coupons, strict=True)
        if presented.offer.id not in used
    ]
    currency = plan.ctx.currency
    reasons = []
    for offer, code, never_used in unused:
        best = choice.best_with.get(offer.id)
        exclusive = "exclusive; " if getattr(offer, "exclusive", False) else ""
        if best is None:
            floor = choice.floor_with.get(offer.id)
            if floor is None:
                reasons.append(Rejection(offer.id, *never_used, code))
            else:
                more = money_text(floor - outcome.objective, currency)
                detail = (
                    f"{exclusive}every combination using it costs at least "
                    f"{money_text(floor, currency)}, {more} more"
                )
                reasons.append(Rejection(offer.id, "worse_combination", detail, code))
            continue
        if best == outcome.objective:
            detail = "the same total without it, so it is kept for later"
            reasons.append(Rejection(offer.id, "not_needed", detail, code))
            continue
        detail = (
            f"{exclusive}the best combination using it costs {money_text(best, currency)}, "
            f"{money_text(best - outcome.objective, currency)} more"
        )
        reasons.append(Rejection(offer.id, "worse_combination", detail, code))
    return reasons


def _unmet(proposal: Proposal) -> tuple[str, str]:
    if proposal.unmet:
        return "condition_not_met", text_of(proposal.unmet)
    if proposal.free_shipping:
        return "no_benefit", "shipping is already free"
    return "capped", "the caps left no room for it"


def _outranked(plan: Plan, offer: ItemOffer) -> tuple[str, str]:
    lines = [plan.lines[pos] for pos in plan.item_lines[offer.id]]
    if any(item.line_discount(offer, line, line.quantity) for line in lines):
        return "outranked", "another item-level offer is worth more on every line it covers"
    return "no_benefit", "it takes nothing off the lines it covers"

"""``price_cart``: a cart, the offers, the moment and the customer in; a priced cart out.

Pure: no I/O, no database, no clock of its own — the same inputs always give the same output, which
is what lets the CLI, the preview endpoint and the checkout agree to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storeloop.pricing.context import Context, Line, cart_lines
from storeloop.pricing.deposits import gather_deposits
from storeloop.pricing.errors import PricingInputError
from storeloop.pricing.explain import priced_cart
from storeloop.pricing.index import OfferBook
from storeloop.pricing.kinds import item
from storeloop.pricing.offer_schemas import Gift, ItemOffer, Level, Presale, ShopOffer
from storeloop.pricing.pipeline import Plan, Presented
from storeloop.pricing.result import PricedCart, Rejection
from storeloop.pricing.schemas import Cart, Customer, OffersDocument
from storeloop.pricing.stacking import choose


def price_cart(
    cart: Cart,
    offers: OfferBook | OffersDocument,
    *,
    at: datetime,
    customer: Customer | None = None,
) -> PricedCart:
    """Price ``cart`` at ``at`` (timezone-aware) for ``customer`` (None: an anonymous shopper).

    Pass an ``OfferBook`` to price many carts against the same offers without re-indexing them.
    """
    book = offers if isinstance(offers, OfferBook) else OfferBook(offers)
    document = book.document
    if document.currency != cart.currency:
        raise PricingInputError(
            "offers",
            f"{document.currency} differs from the cart's {cart.currency}",
            field="currency",
        )
    ctx = Context.create(
        cart, at=at, customer=customer, policy=document.policy, usage=document.usage
    )
    lines = cart_lines(cart)
    rejected: list[Rejection] = []
    found = _sort_matches(book, lines, ctx, rejected)
    deposits = gather_deposits(cart, book, ctx, lines, found.presales, rejected)
    coupons = _presented_coupons(cart, book, ctx, lines, rejected)
    policy = document.policy
    item_offers, shop_offers = found.item_offers, found.shop_offers
    plan = Plan(
        lines=lines,
        ctx=ctx,
        item_offers=tuple(item_offers),
        item_options=tuple(tuple(offers) for offers in found.options),
        item_lines=found.item_lines,
        shop_offers=tuple(shop_offers),
        shop_reads={offer.id: _reads(offer, positions, lines) for offer, positions in shop_offers},
        coupons=coupons,
        inflations=deposits.inflations,
        floors=deposits.floors,
        line_caps=tuple(line.list_amount * policy.max_line_discount_bp // 10_000 for line in lines),
        order_cap=sum(line.list_amount for line in lines) * policy.max_order_discount_bp // 10_000,
        shipping=document.shipping,
        rule_text=book.rule_text,
    )
    return priced_cart(
        plan,
        choose(plan),
        rejected=rejected,
        deposits=deposits,
        sku_order=[line.sku for line in cart.lines],
        at=at,
    )


@dataclass(slots=True)
class _Matches:
    item_offers: list[ItemOffer] = field(default_factory=list)
    options: list[list[ItemOffer]] = field(default_factory=list)  # item offers per line
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)  # lines per item offer
    shop_offers: list[tuple[ShopOffer, tuple[int, ...]]] = field(default_factory=list)
    presales: list[tuple[Presale, tuple[int, ...]]] = field(default_factory=list)


def _sort_matches(
    book: OfferBook, lines: tuple[Line, ...], ctx: Context, rejected: list[Rejection]
) -> _Matches:
    """The offers the index found, by level, once the eligible ones are told from the rest."""
    found = _Matches(options=[[] for _ in lines])
    for offer, positions in book.matching(lines):
        if isinstance(offer, Presale):
            found.presales.append((offer, positions))  # contracts: see deposits.py
            continue
        reason = book.ineligibility(offer, ctx)
        if reason is not None:
            rejected.append(reason)
        elif offer.level is Level.ITEM:
            covered = item.covered(offer, positions, lines)
            if not covered:
                rejected.append(Rejection(offer.id, "no_subscription_line", "no line subscribes"))
                continue
            found.item_offers.append(offer)
            found.item_lines[offer.id] = covered
            for pos in covered:
                found.options[pos].append(offer)
        else:
            found.shop_offers.append((offer, positions))
    return found


def _presented_coupons(
    cart: Cart, book: OfferBook, ctx: Context, lines: tuple[Line, ...], rejected: list[Rejection]
) -> tuple[Presented, ...]:
    """The codes the shopper presented that may be used: known, theirs, not used up, eligible."""
    found: dict[str, Presented] = {}
    for code in sorted(cart.coupon_codes):
        hit = book.coupon(code)
        if hit is None:
            rejected.append(Rejection(None, "unknown_code", "no coupon has this code", code))
            continue
        coupon, entry = hit
        customer_id = None if ctx.customer is None else ctx.customer.id
        uses = ctx.offer_usage(coupon.id).code_uses.get(code, 0)
        keys = book.keys(coupon.id)
        positions = tuple(line.pos for line in lines if keys.covers(line))
        reason = book.ineligibility(coupon, ctx)
        if entry.customer is not None and entry.customer != customer_id:
            reason = Rejection(coupon.id, "bound_to_other_customer", "issued to another customer")
        elif coupon.uses_per_code is not None and uses >= coupon.uses_per_code:
            reason = Rejection(coupon.id, "code_used_up", f"used {uses} of {coupon.uses_per_code}")
        elif reason is None and coupon.id in found:
            reason = Rejection(coupon.id, "same_coupon", f"{found[coupon.id].code} is already used")
        elif reason is None and not positions:
            reason = Rejection(coupon.id, "no_eligible_goods", "covers nothing in the cart")
        if reason is not None:
            rejected.append(Rejection(reason.offer, reason.reason, reason.detail, code))
            continue
        found[coupon.id] = Presented(coupon, code, positions)
    return tuple(found[offer_id] for offer_id in sorted(found))


def _reads(
    offer: ShopOffer, positions: tuple[int, ...], lines: tuple[Line, ...]
) -> tuple[int, ...]:
    """The lines whose prices a shop rule reads: its scope, and a gift's reward line, which may
    lie outside it. Proposals are cached on these prices, so none may be missing."""
    if isinstance(offer, Gift):
        reward = tuple(line.pos for line in lines if line.sku == offer.reward.sku)
        return tuple(sorted(set(positions) | set(reward)))
    return positions

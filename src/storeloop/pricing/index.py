"""An index from SKU, category and tag to the offers that can match a cart.

With thousands of running offers, most name goods that are not in a given cart; looking offers
up by the cart's SKUs, categories and tags makes the cost of pricing grow with the offers that can
match, not with all of them. Audience rules (tier, new customer, channel) are checked on the
candidates this returns, which is what lets the explanation say *why* a matching offer was left
out. Coupons are found by code, never by scope: a coupon the customer did not present must not
apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storeloop.pricing.context import Context, Line
from storeloop.pricing.eligibility import Check, checks_for, first_failed
from storeloop.pricing.kinds import coupon as coupon_rule
from storeloop.pricing.kinds import item, presale
from storeloop.pricing.offer_schemas import AnyOffer, Bundle, Coupon, CouponCode, ItemOffer, Presale
from storeloop.pricing.result import Rejection
from storeloop.pricing.schemas import OffersDocument


@dataclass(frozen=True, slots=True)
class ScopeKeys:
    skus: frozenset[str]
    categories: frozenset[str]
    tags: frozenset[str]

    @property
    def everything(self) -> bool:
        return not (self.skus or self.categories or self.tags)

    def covers(self, line: Line) -> bool:
        return (
            self.everything
            or line.sku in self.skus
            or line.category in self.categories
            or not self.tags.isdisjoint(line.tags)
        )


def scope_keys(offer: AnyOffer) -> ScopeKeys:
    """A bundle's scope is its items; every other kind names its scope in ``products``."""
    if isinstance(offer, Bundle):
        return ScopeKeys(frozenset(item.sku for item in offer.items), frozenset(), frozenset())
    products = offer.products
    return ScopeKeys(
        frozenset(products.skus), frozenset(products.categories), frozenset(products.tags)
    )


Match = tuple[AnyOffer, tuple[int, ...]]


class OfferBook:
    """Offers validated once and indexed, to price many carts against."""

    def __init__(self, document: OffersDocument) -> None:
        self.document = document
        self._by_id: dict[str, AnyOffer] = {}
        self._keys: dict[str, ScopeKeys] = {}
        self._codes: dict[str, tuple[Coupon, CouponCode]] = {}
        self._scoped: list[AnyOffer] = []
        self._by_sku: dict[str, list[AnyOffer]] = {}
        self._by_category: dict[str, list[AnyOffer]] = {}
        self._by_tag: dict[str, list[AnyOffer]] = {}
        self._storewide: list[AnyOffer] = []
        self._rule_texts: dict[str, str] = {}
        self._checks: dict[str, tuple[Check, ...]] = {}
        for offer in sorted(document.offers, key=lambda o: o.id):
            self._by_id[offer.id] = offer
            keys = self._keys[offer.id] = scope_keys(offer)
            self._checks[offer.id] = checks_for(offer)
            if isinstance(offer, Coupon):
                for entry in offer.codes:
                    self._codes[entry.code] = (offer, entry)
                continue
            self._scoped.append(offer)
            if keys.everything:
                self._storewide.append(offer)
            for table, values in (
                (self._by_sku, keys.skus),
                (self._by_category, keys.categories),
                (self._by_tag, keys.tags),
            ):
                for value in values:
                    table.setdefault(value, []).append(offer)

    def offer(self, offer_id: str) -> AnyOffer | None:
        return self._by_id.get(offer_id)

    def coupon(self, code: str) -> tuple[Coupon, CouponCode] | None:
        return self._codes.get(code)

    def keys(self, offer_id: str) -> ScopeKeys:
        return self._keys[offer_id]

    def ineligibility(self, offer: AnyOffer, ctx: Context) -> Rejection | None:
        """Why ``offer`` may not be used for this cart, customer and moment (None: it may),
        running only the checks it can fail."""
        return first_failed(offer, ctx, self._checks[offer.id])

    def rule_text(self, offer: ItemOffer | Coupon | Presale) -> str:
        """The wording of a rule no price changes, written on the first cart that needs it and
        kept for every later cart priced against this book."""
        text = self._rule_texts.get(offer.id)
        if text is None:
            text = self._rule_texts[offer.id] = _rule_text(offer, self.document.currency)
        return text

    def matching(self, lines: Sequence[Line]) -> list[Match]:
        """Non-coupon offers covering at least one line, by id, each with the lines it covers."""
        hits: dict[str, list[int]] = {}
        offers: dict[str, AnyOffer] = {}
        by_sku, by_category, by_tag = self._by_sku, self._by_category, self._by_tag
        for line in lines:
            pos = line.pos
            # Lists joined, not a generator chained: resuming a generator per offer costs more.
            candidates = by_sku.get(line.sku, _NONE) + by_category.get(line.category, _NONE)
            for tag in line.tags:
                candidates += by_tag.get(tag, _NONE)
            for offer in candidates:
                positions = hits.get(offer.id)
                if positions is None:
                    hits[offer.id] = [pos]
                    offers[offer.id] = offer
                elif positions[-1] != pos:
                    positions.append(pos)
        everyone = tuple(line.pos for line in lines)
        for offer in self._storewide if lines else ():
            hits[offer.id] = list(everyone)
            offers[offer.id] = offer
        return [(offers[offer_id], tuple(hits[offer_id])) for offer_id in sorted(hits)]


_NONE: list[AnyOffer] = []  # never changed: ``+`` and ``+=`` above build new lists from it


def _rule_text(offer: ItemOffer | Coupon | Presale, currency: str) -> str:
    if isinstance(offer, Coupon):
        return coupon_rule.rule_text(offer, currency)
    if isinstance(offer, Presale):
        return presale.rule_text(offer, currency)
    return item.rule_text(offer, currency)


class ScanningOfferBook(OfferBook):
    """The plain loop over every offer: the benchmark's baseline and the tests' oracle."""

    def matching(self, lines: Sequence[Line]) -> list[Match]:
        found: list[Match] = []
        for offer in self._scoped:
            keys = self._keys[offer.id]
            positions = tuple(line.pos for line in lines if keys.covers(line))
            if positions:
                found.append((offer, positions))
        return found

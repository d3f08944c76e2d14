"""The facts one pricing run reads: the cart's lines in canonical order, the customer, the clock.

Lines are sorted by SKU and numbered so that every tie (which line gets the last fen, which line
takes a scarce flash-sale unit first) is broken the same way whatever order the cart listed them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from zoneinfo import ZoneInfo

from storeloop.pricing.schemas import (
    Cart,
    Customer,
    CustomerUsage,
    OfferUsage,
    Policy,
    SkuInfo,
)

_NO_OFFER_USAGE = OfferUsage()
_NO_CUSTOMER_USAGE = CustomerUsage()


@dataclass(slots=True)  # not frozen: built for every line of every cart, and frozen inits are slow
class Line:
    pos: int
    sku: str
    quantity: int
    unit_price: int
    list_amount: int
    cost_amount: int
    category: str
    tags: tuple[str, ...]
    subscription: bool


def cart_lines(cart: Cart) -> tuple[Line, ...]:
    catalogue = cart.catalogue
    result = []
    for pos, line in enumerate(sorted(cart.lines, key=attrgetter("sku"))):
        info = catalogue[line.sku]
        quantity = line.quantity
        # Positional: keyword arguments make the call four times slower, on every line priced.
        result.append(
            Line(
                pos,
                line.sku,
                quantity,
                info.list_price,
                info.list_price * quantity,
                info.cost * quantity,
                info.category,
                info.tags,
                line.subscription,
            )
        )
    return tuple(result)


@dataclass(slots=True)  # not frozen: built for every cart, as Line
class Context:
    at: datetime
    at_seconds: float  # ``at`` as POSIX seconds, compared with offers' ``window_seconds``
    local_day: date
    channel: str
    customer: Customer | None
    policy: Policy
    usage: Mapping[str, OfferUsage]
    catalogue: Mapping[str, SkuInfo]
    currency: str

    @classmethod
    def create(
        cls,
        cart: Cart,
        *,
        at: datetime,
        customer: Customer | None,
        policy: Policy,
        usage: Mapping[str, OfferUsage],
    ) -> Context:
        """Calendar rules (member days, birthday month) use the store's time zone, not UTC."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must carry a UTC offset")
        return cls(
            at=at,
            at_seconds=at.timestamp(),
            local_day=at.astimezone(ZoneInfo(policy.timezone)).date(),
            channel=cart.channel,
            customer=customer,
            policy=policy,
            usage=usage,
            catalogue=cart.catalogue,
            currency=cart.currency,
        )

    def offer_usage(self, offer_id: str) -> OfferUsage:
        return self.usage.get(offer_id, _NO_OFFER_USAGE)

    def customer_usage(self, offer_id: str) -> CustomerUsage:
        if self.customer is None:
            return _NO_CUSTOMER_USAGE
        return self.customer.usage.get(offer_id, _NO_CUSTOMER_USAGE)

    def budget_left(self, offer_id: str, budget: int | None) -> int | None:
        return None if budget is None else max(0, budget - self.offer_usage(offer_id).spent)

    @property
    def tier(self) -> str | None:
        return None if self.customer is None else self.customer.tier

    @property
    def is_birthday_month(self) -> bool:
        birth = None if self.customer is None else self.customer.birth_date
        return birth is not None and birth.month == self.local_day.month

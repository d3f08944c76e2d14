"""What the engine returns: a priced cart that explains every number in it.

Plain slotted dataclasses, serialised through a Pydantic ``TypeAdapter`` so the CLI and the API
print one documented JSON shape. Read-only by convention but not frozen: a cart builds dozens of
them, and a frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) made up about a
tenth of the time to price a cart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from storeloop.pricing.offer_schemas import Level


@dataclass(slots=True)
class Discount:
    """One offer's share of one line's discount."""

    offer: str
    kind: str
    level: Level
    rule: str
    amount: int


@dataclass(slots=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: int
    list_amount: int
    discounts: tuple[Discount, ...]
    final_amount: int
    subscription: bool
    deposit_credit: int
    deposit_due: int


@dataclass(slots=True)
class Applied:
    """An offer the chosen combination used, with its allocation to lines (summing to ``amount``).

    ``requested`` is what the rule asked for; it is larger than ``amount`` when a budget, a cap or
    the floor of zero cut it.
    """

    offer: str
    kind: str
    level: Level
    rule: str
    amount: int
    requested: int
    allocations: dict[str, int]
    code: str | None = None
    shipping: int = 0


@dataclass(slots=True)
class GiftLine:
    """Free units the engine adds; kept out of ``lines`` so they never dilute a discount."""

    sku: str
    quantity: int
    offer: str
    value: int
    cost: int


@dataclass(slots=True)
class Totals:
    goods: int
    item_discount: int
    shop_discount: int
    coupon_discount: int
    deposit_inflation: int
    discount: int
    shipping_fee: int
    shipping_discount: int
    shipping: int
    total: int
    gift_value: int
    deposit_credit: int
    deposit_due: int
    balance_later: int
    to_pay: int


@dataclass(slots=True)
class Rejection:
    """Why an offer (or a presented code) is not part of the price."""

    offer: str | None
    reason: str
    detail: str
    code: str | None = None


@dataclass(slots=True)
class Nudge:
    """The cheapest change that unlocks more of an offer, estimated at the current prices."""

    offer: str
    kind: str
    add_amount: int
    add_units: int
    sku: str | None
    unlocks: int
    message_en: str
    message_zh: str


@dataclass(slots=True)
class MarginFlag:
    sku: str
    cost_amount: int
    final_amount: int
    offers: tuple[str, ...]


@dataclass(slots=True)
class SearchReport:
    """Combinations priced; ``truncated`` says some offers were fixed on, not explored."""

    combinations: int
    truncated: bool


@dataclass(slots=True)
class PricedCart:
    currency: str
    at: datetime
    lines: tuple[PricedLine, ...]
    gifts: tuple[GiftLine, ...]
    applied: tuple[Applied, ...]
    totals: Totals
    rejected: tuple[Rejection, ...]
    nudges: tuple[Nudge, ...]
    margin_flags: tuple[MarginFlag, ...]
    search: SearchReport

    def to_json(self) -> dict[str, Any]:
        return _ADAPTER.dump_python(self, mode="json")


_ADAPTER = TypeAdapter(PricedCart)

"""What a rule hands back to the stacking engine, and the wording shared by explanations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from storeloop.money import CURRENCY_EXPONENT, allocate
from storeloop.pricing.context import Context, Line
from storeloop.pricing.errors import PricingInputError
from storeloop.pricing.result import Nudge
from storeloop.pricing.schemas import SkuInfo

# Wording the search may never show: most proposals are made for combinations that are not
# chosen, so their rule and unmet texts are formatted only when an explanation reads them.
Text = str | Callable[[], str]


def text_of(text: Text) -> str:
    return text if isinstance(text, str) else text()


@dataclass(slots=True)
class Proposal:
    """A rule's requested discount and how to spread it over lines.

    ``weights`` has one entry per cart line (zero outside the rule's scope); ``gifts`` are free
    units the engine adds; ``unmet`` says why a rule gives nothing.
    """

    amount: int
    weights: tuple[int, ...]
    rule: Text
    unmet: Text = ""
    gifts: tuple[tuple[str, int], ...] = ()
    gift_value: int = 0
    free_shipping: bool = False
    _split: tuple[int, ...] | None = field(default=None, repr=False, compare=False)
    _covered: tuple[int, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def gives_something(self) -> bool:
        return self.amount > 0 or bool(self.gifts) or self.free_shipping

    @property
    def split(self) -> tuple[int, ...]:
        """The plain pro-rata split, computed once: the search applies the same proposal in
        many combinations, and in most of them no cap or floor interferes."""
        if self._split is None:
            weights = self.weights
            self._split = tuple(allocate(self.amount, weights)) if any(weights) else weights
        return self._split

    @property
    def covered(self) -> tuple[int, ...]:
        """The lines with a weight, found once: only they can take a part or run out of room."""
        if self._covered is None:
            self._covered = tuple(pos for pos, weight in enumerate(self.weights) if weight)
        return self._covered


@dataclass(slots=True)  # not frozen: built thousands of times per cart, and frozen inits are slow
class Scope:
    """The lines a rule covers, priced at the level the rule measures its condition on, with
    the eligible spend every rule reads."""

    lines: Sequence[Line]
    positions: tuple[int, ...]
    amounts: Sequence[int]
    ctx: Context
    spend: int
    _units: int | None = field(default=None, repr=False)

    @property
    def units(self) -> int:
        """Counted once: tier rules read it for every tier, and again for the nudge."""
        if self._units is None:
            self._units = sum(self.lines[pos].quantity for pos in self.positions)
        return self._units

    def weights(self) -> tuple[int, ...]:
        return weights_over(self.positions, self.amounts, len(self.lines))


class ShopRule(Protocol):
    """A shop-level kind: its condition and benefit, read at item-level prices.

    ``step`` is the part of the outcome that depends on spend thresholds (the tier reached, the
    multiples counted); the search compares it at the lowest and the list prices to know whether
    a threshold lies between them.
    """

    def reads_prices(self, offer: Any) -> bool:
        """Whether a price change can change the outcome's step (a spend condition)."""
        ...

    def step(self, offer: Any, scope: Scope) -> int: ...

    def propose(self, offer: Any, scope: Scope) -> Proposal: ...

    def nudge(self, offer: Any, scope: Scope) -> Nudge | None: ...


def nothing(why: Text) -> Proposal:
    return Proposal(amount=0, weights=(), rule="", unmet=why)


def weights_over(positions: Sequence[int], values: Sequence[int], size: int) -> tuple[int, ...]:
    weights = [0] * size
    for pos in positions:
        weights[pos] = values[pos]
    return tuple(weights)


def cheapest_line(lines: Sequence[Line], positions: Sequence[int]) -> Line | None:
    """The cheapest unit a shopper could add towards a rule: more of what is in the cart."""
    covered = [lines[pos] for pos in positions]
    return min(covered, key=lambda line: (line.unit_price, line.sku), default=None)


def sku_info(catalogue: Mapping[str, SkuInfo], sku: str, offer_id: str, field: str) -> SkuInfo:
    info = catalogue.get(sku)
    if info is None:
        raise PricingInputError(
            "offers",
            f"unknown SKU {sku!r} (not in the cart's catalogue)",
            offer=offer_id,
            field=field,
        )
    return info


def money_text(amount: int, currency: str) -> str:
    exponent = CURRENCY_EXPONENT[currency]
    if exponent:
        whole, minor = divmod(amount, 10**exponent)
        units = f"{whole}.{minor:0{exponent}d}"
    else:
        units = str(amount)
    return f"¥{units}" if currency == "CNY" else f"{units} {currency}"


# Cached: every cart words the same few percentages, and basis points are at most 10,000.
@cache
def percent_text(basis_points: int) -> str:
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"


@cache
def zhe_text(basis_points: int) -> str:
    """Chinese shoppers read 20 % off as 8折 and 15 % off as 8.5折."""
    paid = 10_000 - basis_points
    whole, rest = divmod(paid, 1000)
    return f"{whole}折" if not rest else f"{whole}.{rest:03d}".rstrip("0") + "折"

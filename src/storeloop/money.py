"""Money as integer minor units (fen, cents) plus a currency.

Floats cannot represent ¥0.10 exactly; every sum, discount and refund in storeloop is an integer
count of minor units, and splitting an amount across lines uses the largest-remainder method so
that the parts always add up to the whole, to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CURRENCY_EXPONENT: dict[str, int] = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0}


@dataclass(frozen=True, slots=True, order=True)
class Money:
    amount: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be an int of minor units, got {self.amount!r}")
        if self.currency not in CURRENCY_EXPONENT:
            raise ValueError(f"unknown currency {self.currency!r}")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("multiply Money by an int; use allocate() or percent_of() for ratios")
        return Money(self.amount * factor, self.currency)

    def __str__(self) -> str:
        exp = CURRENCY_EXPONENT[self.currency]
        sign = "-" if self.amount < 0 else ""
        units, minor = divmod(abs(self.amount), 10**exp) if exp else (abs(self.amount), 0)
        return (
            f"{sign}{units}.{minor:0{exp}d} {self.currency}"
            if exp
            else f"{sign}{units} {self.currency}"
        )

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        return [Money(a, self.currency) for a in allocate(self.amount, weights)]


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` so the parts sum exactly to ``amount``.

    Largest-remainder: each part gets the floor of its exact share, then the leftover units go to
    the parts with the largest remainders (ties to the earlier part, so the result is
    deterministic). A partial refund later reads these parts, so they must never drift.
    """
    if not weights:
        return []
    if min(weights) < 0:
        raise ValueError("weights must be non-negative")
    total = sum(weights)
    if total == 0:
        raise ValueError("weights must not all be zero")
    magnitude = abs(amount)
    floors = [magnitude * w // total for w in weights]
    leftover = magnitude - sum(floors)
    if leftover:
        remainders = [magnitude * w % total for w in weights]
        # A stable sort keeps equal remainders in index order, reversed or not: ties go earlier.
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:leftover]:
            floors[i] += 1
    return floors if amount >= 0 else [-f for f in floors]


def percent_of(amount: int, basis_points: int) -> int:
    """``amount × basis_points / 10000``, rounded half up: a percentage discount in minor units."""
    return (amount * basis_points + 5000) // 10000

"""Spreading an order-level discount over lines, and what a partial return refunds.

Both build on ``storeloop.money.allocate`` (largest remainder), so every split adds up to the
whole to the fen and a refund reads the same parts the order was priced with.
"""

from __future__ import annotations

from collections.abc import Sequence

from storeloop.money import allocate
from storeloop.pricing.result import PricedLine


def allocate_capped(amount: int, weights: Sequence[int], room: Sequence[int]) -> list[int]:
    """Split ``amount`` pro rata to ``weights`` without giving any line more than its ``room``.

    A line that would go past its room (below zero, under the deposit already paid, over the
    per-line cap) keeps only its room and the excess is spread again over the lines that still
    have some, by the same weights. What no line can take is dropped: the parts sum to
    ``min(amount, total room of weighted lines)``, exactly.
    """
    parts = [0] * len(weights)
    active = [i for i, weight in enumerate(weights) if weight > 0 and room[i] > 0]
    remaining = amount
    while remaining > 0 and active:
        shares = allocate(remaining, [weights[i] for i in active])
        remaining = 0
        still_open = []
        for i, share in zip(active, shares, strict=True):
            free = room[i] - parts[i]
            if share >= free:
                parts[i] += free
                remaining += share - free
            else:
                parts[i] += share
                still_open.append(i)
        active = still_open
    return parts


def unit_prices(line: PricedLine) -> list[int]:
    """What each unit of the line really cost, summing exactly to the line's final amount."""
    return allocate(line.final_amount, [1] * line.quantity)


def refund_for_return(line: PricedLine, units: int, *, already_returned: int = 0) -> int:
    """The refund for returning ``units`` of a line, after ``already_returned`` earlier returns.

    Returning one of three units bought under "3 for 20 % off" refunds that unit's share of the
    discounted line, not its list price; successive partial returns add up to the final amount.
    """
    if units < 0 or already_returned < 0 or already_returned + units > line.quantity:
        raise ValueError(
            f"cannot return {units} more of {line.quantity} units ({already_returned} returned)"
        )
    return sum(unit_prices(line)[already_returned : already_returned + units])

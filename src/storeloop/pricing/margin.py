"""The margin guardrail: a line sold below its cost is flagged with the offers that took it there.

Flagging, not refusing: a loss leader can be deliberate, so an offer may say ``allow_below_cost``
and is then left out of the blame; a line is flagged while any offer on it has not said so.
"""

from __future__ import annotations

from collections.abc import Sequence

from storeloop.pricing.context import Line
from storeloop.pricing.pipeline import Entry
from storeloop.pricing.result import MarginFlag


def margin_flags(
    lines: Sequence[Line], finals: Sequence[int], entries: Sequence[Entry]
) -> tuple[MarginFlag, ...]:
    flags = []
    for line in lines:
        final = finals[line.pos]
        if final >= line.cost_amount:
            continue
        blamed = sorted(
            {
                entry.offer.id
                for entry in entries
                if entry.parts[line.pos] and not entry.offer.allow_below_cost
            }
        )
        if blamed:
            flags.append(MarginFlag(line.sku, line.cost_amount, final, tuple(blamed)))
    return tuple(flags)

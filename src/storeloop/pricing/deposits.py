"""Presale lines of a cart: the deposit already paid, the deposit due now, and the inflation.

A deposit already paid is money, not a discount: it is credited against what is left to pay.
Its inflation — worth minus deposit — is a discount applied after coupons, outside the percentage
caps, because the shop promised it when the deposit was taken. Other discounts may not take the
line below the deposit's worth (the ``floor``), so the inflation always applies in full: were it
squeezed by whatever room other offers left, moving a capped discount from one line to another
would change the price, and the best combination would stop being well defined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storeloop.pricing.context import Context, Line
from storeloop.pricing.errors import PricingInputError
from storeloop.pricing.index import OfferBook
from storeloop.pricing.kinds.presale import Stage, inflation, stage_at
from storeloop.pricing.offer_schemas import Presale
from storeloop.pricing.pipeline import Inflation
from storeloop.pricing.result import Rejection
from storeloop.pricing.schemas import Cart


@dataclass(slots=True)  # not frozen: built for every cart, and frozen inits are slow
class Deposits:
    floors: tuple[int, ...]
    credits: tuple[int, ...]
    dues: tuple[int, ...]
    inflations: tuple[Inflation, ...]


def gather_deposits(
    cart: Cart,
    book: OfferBook,
    ctx: Context,
    lines: Sequence[Line],
    presales: Sequence[tuple[Presale, tuple[int, ...]]],
    rejected: list[Rejection],
) -> Deposits:
    credits, dues = [0] * len(lines), [0] * len(lines)
    inflations: list[Inflation] = []
    paid_for = {line.sku: line.deposit for line in cart.lines}
    for line in lines:
        paid = paid_for[line.sku]
        if paid is None:
            continue
        offer = book.offer(paid.offer)
        if not isinstance(offer, Presale) or not book.keys(offer.id).covers(line):
            raise PricingInputError(
                "cart",
                f"no presale offer {paid.offer!r} covers this SKU",
                line=line.sku,
                field="deposit.offer",
            )
        _check_deposit_fits(offer, line)
        credits[line.pos] = offer.deposit * paid.units
        if stage_at(offer, ctx.at) is Stage.BALANCE:
            inflations.append(
                Inflation(offer, line.pos, inflation(offer, paid.units), credits[line.pos])
            )
        else:
            rejected.append(
                Rejection(
                    offer.id,
                    "outside_balance_window",
                    f"the deposit counts at face value outside "
                    f"{offer.balance_starts_at.isoformat()} – {offer.balance_ends_at.isoformat()}",
                )
            )
    best_first = sorted(
        presales, key=lambda match: (match[0].deposit - match[0].worth, match[0].id)
    )
    for offer, positions in best_first:
        reason = book.ineligibility(offer, ctx)
        if reason is None and stage_at(offer, ctx.at) is not Stage.DEPOSIT:
            reason = Rejection(offer.id, "outside_deposit_window", "deposits are not taken now")
        if reason is not None:
            if not any(paid is not None and paid.offer == offer.id for paid in paid_for.values()):
                rejected.append(reason)
            continue
        for pos in positions:
            line = lines[pos]
            if credits[pos] or dues[pos]:
                continue
            _check_deposit_fits(offer, line)
            dues[pos] = offer.deposit * line.quantity
            inflations.append(Inflation(offer, pos, inflation(offer, line.quantity), dues[pos]))
    floors = [credit + due for credit, due in zip(credits, dues, strict=True)]
    for promised in inflations:
        floors[promised.pos] += promised.amount
    inflations.sort(key=lambda item: item.pos)
    return Deposits(tuple(floors), tuple(credits), tuple(dues), tuple(inflations))


def _check_deposit_fits(offer: Presale, line: Line) -> None:
    if offer.deposit > line.unit_price:
        raise PricingInputError(
            "offers",
            f"{offer.deposit} exceeds the list price {line.unit_price} of {line.sku!r}",
            offer=offer.id,
            field="deposit",
        )

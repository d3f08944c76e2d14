"""定金膨胀: which stage of a presale the clock is in.

During the deposit window the shopper pays the deposit and the order is priced as it will be at the
balance, so the page can show 到手价; during the balance window a paid deposit counts for
``worth``. Outside both windows a paid deposit is still money paid, but no longer inflates.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from storeloop.pricing.kinds.base import money_text
from storeloop.pricing.offer_schemas import Presale


class Stage(StrEnum):
    DEPOSIT = "deposit"
    BALANCE = "balance"


def stage_at(offer: Presale, at: datetime) -> Stage | None:
    if offer.deposit_starts_at <= at < offer.deposit_ends_at:
        return Stage.DEPOSIT
    if offer.balance_starts_at <= at < offer.balance_ends_at:
        return Stage.BALANCE
    return None


def inflation(offer: Presale, units: int) -> int:
    return (offer.worth - offer.deposit) * units


def rule_text(offer: Presale, currency: str) -> str:
    return (
        f"deposit {money_text(offer.deposit, currency)} worth {money_text(offer.worth, currency)}"
    )

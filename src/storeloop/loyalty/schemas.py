"""Points request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from storeloop.schemas import Page, PageParams, ReadModel, WriteModel, text

# A manual correction beyond a million points (¥10,000) is a typo, not a goodwill gesture.
MAX_ADJUSTMENT = 1_000_000


class PointsAdjustment(WriteModel):
    """An operator's signed correction: positive adds points, negative takes them away."""

    delta: int = Field(
        strict=True,
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        description="signed points, not zero; taking more than the balance is refused (409)",
    )
    note: Annotated[str, text(255, min_length=1)] = Field(description="why, for the ledger")

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        return value


class PointsEntryRead(ReadModel):
    id: int
    delta: int = Field(description="signed: + earned/returned/added, - spent/reversed/expired")
    reason: str
    order_id: int | None
    remaining: int | None = Field(description="points of this lot not yet spent or expired")
    expires_at: datetime | None
    note: str
    created_at: datetime


class PointsAccountRead(ReadModel):
    customer_id: int
    balance: int = Field(description="points that can be spent; 100 points = ¥1")
    lifetime_earned: int = Field(description="earned less reversed; sets the tier")
    tier: str
    next_tier: str | None = None
    points_to_next_tier: int | None = None


class PointsRead(PointsAccountRead):
    ledger: Page[PointsEntryRead] = Field(description="the points ledger, oldest first")


class LedgerParams(PageParams):
    pass


class AdjustmentResult(ReadModel):
    entry: PointsEntryRead
    account: PointsAccountRead

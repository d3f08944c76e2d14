"""Inventory request and response bodies, and the list filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import MISSING, Field, StringConstraints, computed_field

from storeloop.inventory.models import MOVEMENT_REASONS, WAREHOUSE_KINDS
from storeloop.schemas import Id, PageParams, ReadModel, UtcDatetime, WriteModel, text

WarehouseCode = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
WarehouseKind = Literal[WAREHOUSE_KINDS]  # type: ignore[valid-type]
MovementReason = Literal[MOVEMENT_REASONS]  # type: ignore[valid-type]
# Sales and transfers are written by the order and transfer flows, which keep their own
# reservations and paired legs; a manual adjustment may only use the reasons below.
AdjustmentReason = Literal["receipt", "return", "adjustment", "writeoff"]
MAX_ADJUSTMENT = 1_000_000


class WarehouseCreate(WriteModel):
    code: WarehouseCode
    name: Annotated[str, text(128, min_length=1)]
    kind: WarehouseKind
    province: Annotated[str, text(32, min_length=1)]
    city: Annotated[str, text(64)] = ""
    region: Annotated[str, text(16, min_length=1)]
    is_active: bool = True


class WarehouseUpdate(WriteModel):
    code: WarehouseCode | MISSING = MISSING
    name: Annotated[str, text(128, min_length=1)] | MISSING = MISSING
    kind: WarehouseKind | MISSING = MISSING
    province: Annotated[str, text(32, min_length=1)] | MISSING = MISSING
    city: Annotated[str, text(64)] | MISSING = MISSING
    region: Annotated[str, text(16, min_length=1)] | MISSING = MISSING
    is_active: bool | MISSING = MISSING


class WarehouseRead(ReadModel):
    id: int
    code: str
    name: str
    kind: str
    province: str
    city: str
    region: str
    is_active: bool


class WarehouseFilter(PageParams):
    kind: WarehouseKind | None = None
    region: Annotated[str, text(16, min_length=1)] | None = None
    province: Annotated[str, text(32, min_length=1)] | None = None
    is_active: bool | None = None


class StockLevelRead(ReadModel):
    id: int
    sku_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockLevelFilter(PageParams):
    sku_id: Id | None = None
    warehouse_id: Id | None = None


class StockAdjustment(WriteModel):
    sku_id: Id
    warehouse_id: Id
    quantity: Annotated[
        int,
        Field(
            strict=True,
            ge=-MAX_ADJUSTMENT,
            le=MAX_ADJUSTMENT,
            description="signed: + into stock, - out of stock; never 0",
        ),
    ]
    reason: AdjustmentReason
    note: Annotated[str, text(255)] = ""


class StockMovementRead(ReadModel):
    id: int
    sku_id: int
    warehouse_id: int
    quantity: int
    reason: str
    ref_type: str | None
    ref_id: int | None
    note: str
    created_at: datetime


class StockMovementFilter(PageParams):
    sku_id: Id | None = None
    warehouse_id: Id | None = None
    reason: MovementReason | None = None
    created_from: UtcDatetime | None = None  # inclusive
    created_to: UtcDatetime | None = None  # exclusive


class AdjustmentResult(ReadModel):
    movement: StockMovementRead
    level: StockLevelRead

"""Request and response bodies of the fulfilment endpoints: ship, deliver, complete, cancel,
return units, and an order's refunds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from storeloop.orders.fulfilment_models import ShipmentLine
from storeloop.orders.models import RETURN_REASONS, Shipment
from storeloop.orders.schemas import OrderRead, ReturnRead, ShipmentRead
from storeloop.schemas import MAX_INT32, Id, ReadModel, WriteModel, text

ReturnReason = Literal[RETURN_REASONS]  # type: ignore[valid-type]


class ShipRequest(WriteModel):
    carrier_code: Annotated[str, text(32, min_length=1)] | None = Field(
        None, description="a carrier's code; omitted: chosen by the carrier rule (docs/orders.md)"
    )


class CancelRequest(WriteModel):
    reason: Annotated[str, text(200)] = ""


class ReturnRequest(WriteModel):
    order_line_id: Id
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_INT32)]
    reason: ReturnReason
    restock: bool = Field(
        description="true: back on hand where it shipped from; false: written off (not resold)"
    )


class ShipmentLineRead(ReadModel):
    order_line_id: int
    quantity: int


class ParcelRead(ShipmentRead):
    carrier_code: str
    lines: list[ShipmentLineRead]

    @classmethod
    def of(cls, shipment: Shipment, carrier_code: str, lines: Sequence[ShipmentLine]) -> ParcelRead:
        base = ShipmentRead.model_validate(shipment).model_dump()
        return cls.model_validate({**base, "carrier_code": carrier_code, "lines": lines})


class ShipResponse(ReadModel):
    order: OrderRead
    carrier_rule: str = Field(description="why this carrier")
    shipments: list[ParcelRead]


class RefundRead(ReadModel):
    id: int
    order_id: int
    return_id: int | None
    amount: int = Field(description="minor units paid back")
    currency: str
    points: int = Field(description="points given back (1 point = 1 fen)")
    reason: str
    status: str
    created_at: datetime


class CancelResponse(ReadModel):
    order: OrderRead
    refund: RefundRead | None = Field(description="null when nothing had been paid")
    points_returned: int


class ReturnResponse(ReadModel):
    returned: ReturnRead
    refund: RefundRead
    points_returned: int

"""Order response bodies and the list filter. Orders are read-only over the API for now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from storeloop.orders.models import ORDER_STATUSES, Order, Return
from storeloop.schemas import Id, PageParams, ReadModel, UtcDatetime, text

OrderStatus = Literal[ORDER_STATUSES]  # type: ignore[valid-type]


class OrderRead(ReadModel):
    id: int
    number: str
    customer_id: int
    status: str
    channel: str
    device: str
    currency: str
    goods_amount: int = Field(description="minor units: sum of list price × quantity")
    discount_amount: int = Field(description="minor units")
    shipping_amount: int = Field(description="minor units")
    total_amount: int = Field(description="minor units: goods - discount + shipping")
    is_presale: bool
    ship_province: str
    ship_city: str
    placed_at: datetime
    paid_at: datetime | None


class OrderLineRead(ReadModel):
    id: int
    sku_id: int
    quantity: int
    unit_price: int = Field(description="minor units, list price at order time")
    discount_amount: int = Field(description="minor units: this line's share of the discounts")
    line_total: int = Field(description="minor units: unit price × quantity - discount")


class PaymentRead(ReadModel):
    id: int
    kind: str
    status: str
    amount: int = Field(description="minor units")
    currency: str
    method: str
    created_at: datetime
    paid_at: datetime | None


class ShipmentRead(ReadModel):
    id: int
    carrier_id: int
    warehouse_id: int
    tracking_number: str
    status: str
    insured: bool
    shipped_at: datetime | None
    delivered_at: datetime | None


class ReturnRead(ReadModel):
    id: int
    order_line_id: int
    quantity: int
    reason: str
    refund_amount: int = Field(description="minor units")
    currency: str
    restocked: bool
    created_at: datetime


class OrderDetail(OrderRead):
    lines: list[OrderLineRead]
    payments: list[PaymentRead]
    shipments: list[ShipmentRead]
    returns: list[ReturnRead]

    @classmethod
    def of(cls, order: Order, returns: Sequence[Return]) -> OrderDetail:
        """Returns are not a relationship of Order (they hang off lines), so they come apart."""
        base = OrderRead.model_validate(order).model_dump()
        return cls.model_validate(
            {
                **base,
                "lines": order.lines,
                "payments": order.payments,
                "shipments": order.shipments,
                "returns": returns,
            }
        )


class OrderFilter(PageParams):
    customer_id: Id | None = None
    status: OrderStatus | None = None
    channel: Annotated[str, text(32, min_length=1)] | None = None
    placed_from: UtcDatetime | None = None  # inclusive
    placed_to: UtcDatetime | None = None  # exclusive

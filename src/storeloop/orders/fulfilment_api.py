"""Fulfilment endpoints (admin token): ship, deliver, complete, cancel, returns, refunds.

Thin: each write endpoint calls one service use case, which owns its own write transaction
(``write_session``), and translates the result. Illegal moves are 409 with the allowed ones.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from storeloop.db import utcnow
from storeloop.orders import fulfilment, returns
from storeloop.orders.fulfilment_schemas import (
    CancelRequest,
    CancelResponse,
    ParcelRead,
    RefundRead,
    ReturnRequest,
    ReturnResponse,
    ShipRequest,
    ShipResponse,
)
from storeloop.orders.schemas import OrderRead, ReturnRead
from storeloop.web.deps import ADMIN, IdPath, SessionDep, SessionFactoryDep

router = APIRouter(tags=["fulfilment"], dependencies=ADMIN)


@router.post("/orders/{order_id}/ship", summary="Ship a paid order (one parcel per warehouse)")
def ship(
    factory: SessionFactoryDep, order_id: IdPath, body: Annotated[ShipRequest | None, Body()] = None
) -> ShipResponse:
    result = fulfilment.ship_order(
        factory, order_id, at=utcnow(), carrier_code=body.carrier_code if body else None
    )
    return ShipResponse(
        order=OrderRead.model_validate(result.order),
        carrier_rule=result.carrier_rule,
        shipments=[ParcelRead.of(p.shipment, p.carrier_code, p.lines) for p in result.parcels],
    )


@router.post("/orders/{order_id}/deliver", summary="Mark a shipped order delivered")
def deliver(factory: SessionFactoryDep, order_id: IdPath) -> OrderRead:
    order = fulfilment.deliver_order(factory, order_id, at=utcnow())
    return OrderRead.model_validate(order)


@router.post("/orders/{order_id}/complete", summary="Complete a delivered order")
def complete(factory: SessionFactoryDep, order_id: IdPath) -> OrderRead:
    order = fulfilment.complete_order(factory, order_id, at=utcnow())
    return OrderRead.model_validate(order)


@router.post(
    "/orders/{order_id}/cancel",
    summary="Cancel an unpaid order, or a paid one before it ships (refunded)",
)
def cancel(
    factory: SessionFactoryDep,
    order_id: IdPath,
    body: Annotated[CancelRequest | None, Body()] = None,
) -> CancelResponse:
    result = fulfilment.cancel_order(
        factory, order_id, at=utcnow(), reason=body.reason if body else ""
    )
    return CancelResponse(
        order=OrderRead.model_validate(result.order),
        refund=RefundRead.model_validate(result.refund) if result.refund else None,
        points_returned=result.points_returned,
    )


@router.post(
    "/orders/{order_id}/returns",
    status_code=201,
    summary="Return units of a shipped order line and refund what they cost",
)
def create_return(
    factory: SessionFactoryDep, order_id: IdPath, body: ReturnRequest
) -> ReturnResponse:
    result = returns.return_units(
        factory,
        order_id,
        body.order_line_id,
        body.quantity,
        reason=body.reason,
        restock=body.restock,
        at=utcnow(),
    )
    return ReturnResponse(
        returned=ReturnRead.model_validate(result.returned),
        refund=RefundRead.model_validate(result.refund),
        points_returned=result.points_returned,
    )


@router.get("/orders/{order_id}/refunds", summary="List an order's refunds")
def list_refunds(session: SessionDep, order_id: IdPath) -> list[RefundRead]:
    return [RefundRead.model_validate(r) for r in fulfilment.list_refunds(session, order_id)]

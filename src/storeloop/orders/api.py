"""Order endpoints (read-only); all need an admin token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storeloop.orders import service
from storeloop.orders.schemas import OrderDetail, OrderFilter, OrderRead
from storeloop.schemas import Page
from storeloop.web.deps import ADMIN, IdPath, SessionDep
from storeloop.web.pagination import paginate

router = APIRouter(tags=["orders"], dependencies=ADMIN)


@router.get("/orders", summary="List orders")
def list_orders(session: SessionDep, filters: Annotated[OrderFilter, Query()]) -> Page[OrderRead]:
    return paginate(session, service.order_query(filters), filters, OrderRead.model_validate)


@router.get("/orders/{order_id}", summary="Get an order with lines, payments, shipments, returns")
def get_order(session: SessionDep, order_id: IdPath) -> OrderDetail:
    history = service.get_order_history(session, order_id)
    return OrderDetail.of(history.order, history.returns)

"""Inventory endpoints; all need an admin token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storeloop.inventory import service
from storeloop.inventory.schemas import (
    AdjustmentResult,
    StockAdjustment,
    StockLevelFilter,
    StockLevelRead,
    StockMovementFilter,
    StockMovementRead,
    WarehouseCreate,
    WarehouseFilter,
    WarehouseRead,
    WarehouseUpdate,
)
from storeloop.schemas import Page
from storeloop.web.deps import ADMIN, IdPath, SessionDep
from storeloop.web.pagination import paginate

router = APIRouter(tags=["inventory"], dependencies=ADMIN)


@router.get("/warehouses", summary="List warehouses")
def list_warehouses(
    session: SessionDep, filters: Annotated[WarehouseFilter, Query()]
) -> Page[WarehouseRead]:
    return paginate(
        session, service.warehouse_query(filters), filters, WarehouseRead.model_validate
    )


@router.get("/warehouses/{warehouse_id}", summary="Get a warehouse")
def get_warehouse(session: SessionDep, warehouse_id: IdPath) -> WarehouseRead:
    return WarehouseRead.model_validate(service.get_warehouse(session, warehouse_id))


@router.post("/warehouses", status_code=201, summary="Create a warehouse")
def create_warehouse(session: SessionDep, body: WarehouseCreate) -> WarehouseRead:
    return WarehouseRead.model_validate(service.create_warehouse(session, body))


@router.patch("/warehouses/{warehouse_id}", summary="Update a warehouse")
def update_warehouse(
    session: SessionDep, warehouse_id: IdPath, body: WarehouseUpdate
) -> WarehouseRead:
    return WarehouseRead.model_validate(service.update_warehouse(session, warehouse_id, body))


@router.get("/stock", summary="List stock levels per SKU and warehouse")
def list_stock(
    session: SessionDep, filters: Annotated[StockLevelFilter, Query()]
) -> Page[StockLevelRead]:
    return paginate(
        session, service.stock_level_query(filters), filters, StockLevelRead.model_validate
    )


@router.post(
    "/stock/adjustments",
    status_code=201,
    summary="Receive, return, write off or correct stock (409 if it would go negative)",
)
def adjust_stock(session: SessionDep, body: StockAdjustment) -> AdjustmentResult:
    movement, level = service.adjust_stock(session, body)
    return AdjustmentResult.model_validate({"movement": movement, "level": level})


@router.get("/stock/movements", summary="List the stock-movement ledger")
def list_movements(
    session: SessionDep, filters: Annotated[StockMovementFilter, Query()]
) -> Page[StockMovementRead]:
    return paginate(
        session, service.movement_query(filters), filters, StockMovementRead.model_validate
    )

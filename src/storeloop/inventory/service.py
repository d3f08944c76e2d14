"""Inventory use cases: warehouses, stock levels and the movement ledger.

Stock changes follow one rule: the level and its ledger row are written in the same
transaction, and the level is changed by a conditional UPDATE whose WHERE clause is the
invariant (``on_hand + q >= reserved``). A read-then-write would let two concurrent write-offs
both see enough stock; the conditional UPDATE makes the database serialise them and refuse the
second. Nothing here commits; the caller's unit of work does.
"""

from __future__ import annotations

from sqlalchemy import Insert, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storeloop.catalog.models import Sku
from storeloop.db import utcnow
from storeloop.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    check_references,
    flush_or_conflict,
    get_or_raise,
    save_changes,
)
from storeloop.filtering import apply_filters
from storeloop.inventory.models import StockLevel, StockMovement, Warehouse
from storeloop.inventory.schemas import (
    StockAdjustment,
    StockLevelFilter,
    StockMovementFilter,
    WarehouseCreate,
    WarehouseFilter,
    WarehouseUpdate,
)
from storeloop.schemas import MAX_INT32

# +1: must add stock, -1: must remove it, 0: either way (a stock-take correction).
_REASON_SIGN = {"receipt": 1, "return": 1, "writeoff": -1, "adjustment": 0}


# Warehouses


def warehouse_query(filters: WarehouseFilter) -> Select[tuple[Warehouse]]:
    return apply_filters(select(Warehouse), Warehouse, filters)


def get_warehouse(session: Session, warehouse_id: int) -> Warehouse:
    return get_or_raise(session, Warehouse, warehouse_id)


def create_warehouse(session: Session, data: WarehouseCreate) -> Warehouse:
    warehouse = Warehouse(**data.model_dump())
    session.add(warehouse)
    flush_or_conflict(session)
    return warehouse


def update_warehouse(session: Session, warehouse_id: int, patch: WarehouseUpdate) -> Warehouse:
    warehouse = get_warehouse(session, warehouse_id)
    return save_changes(session, warehouse, patch.model_dump())


# Stock levels and the ledger


def stock_level_query(filters: StockLevelFilter) -> Select[tuple[StockLevel]]:
    return apply_filters(select(StockLevel), StockLevel, filters)


def movement_query(filters: StockMovementFilter) -> Select[tuple[StockMovement]]:
    return apply_filters(select(StockMovement), StockMovement, filters)


def adjust_stock(session: Session, data: StockAdjustment) -> tuple[StockMovement, StockLevel]:
    """Apply a manual receipt, return, write-off or stock-take correction, with its ledger row.

    Raises Conflict, changing nothing, when the result would be negative or below what is
    reserved for open orders.
    """
    _check_sign(data)
    check_references(
        session,
        {"sku_id": (Sku, data.sku_id), "warehouse_id": (Warehouse, data.warehouse_id)},
    )
    if data.quantity > 0:
        session.execute(_insert_empty_level(session, data.sku_id, data.warehouse_id))
    level = session.scalar(
        update(StockLevel)
        .where(
            StockLevel.sku_id == data.sku_id,
            StockLevel.warehouse_id == data.warehouse_id,
            StockLevel.on_hand + data.quantity >= StockLevel.reserved,
            StockLevel.on_hand + data.quantity <= MAX_INT32,
        )
        .values(on_hand=StockLevel.on_hand + data.quantity, updated_at=utcnow())
        .returning(StockLevel),
        execution_options={"populate_existing": True},
    )
    if level is None:
        raise _insufficient(session, data)
    movement = StockMovement(
        sku_id=data.sku_id,
        warehouse_id=data.warehouse_id,
        quantity=data.quantity,
        reason=data.reason,
        ref_type="manual",
        note=data.note,
    )
    session.add(movement)
    session.flush()
    return movement, level


def _check_sign(data: StockAdjustment) -> None:
    sign = _REASON_SIGN[data.reason]
    if data.quantity == 0:
        message = "must not be 0"
    elif sign * data.quantity < 0:
        message = f"a {data.reason} must be {'positive' if sign > 0 else 'negative'}"
    else:
        return
    raise InvalidInput([FieldError("quantity", message)])


def _insert_empty_level(session: Session, sku_id: int, warehouse_id: int) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: a first receipt creates the row, racing ones share it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(StockLevel)
        .values(sku_id=sku_id, warehouse_id=warehouse_id, on_hand=0, reserved=0)
        .on_conflict_do_nothing(index_elements=["sku_id", "warehouse_id"])
    )


def _insufficient(session: Session, data: StockAdjustment) -> Conflict:
    row = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.sku_id == data.sku_id, StockLevel.warehouse_id == data.warehouse_id
        )
    ).first()
    on_hand, reserved = row if row is not None else (0, 0)
    return Conflict(
        f"adjusting by {data.quantity} would leave on hand {on_hand + data.quantity} "
        f"with {reserved} reserved (on hand {on_hand}); nothing was changed",
        field="quantity",
    )

"""Stock reservations: hold units for an unpaid order, release them, or consume them on payment.

Every change is a conditional UPDATE whose WHERE clause is the rule, never a read then a write:

* reserve: ``reserved += q WHERE on_hand - reserved >= q`` — no row updated means not enough
  free stock, and nothing changed;
* release / expire: the reservation is ended first (``WHERE released_at IS NULL AND consumed_at
  IS NULL``) and only the transaction that ended it gives the units back, so an expiry racing a
  payment or a second release cannot give them back twice;
* consume (payment): the reservation is ended the same way, then ``on_hand -= q, reserved -= q``
  and a ``sale`` ledger row, keeping on hand equal to the sum of the ledger.

Invariants, per SKU and warehouse: ``reserved`` = the sum of open reservations; ``on_hand`` = the
sum of ``stock_movements``. Nothing here commits; the caller's unit of work does (on SQLite it
must be a ``locks.write_session``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storeloop.db import utcnow
from storeloop.errors import Conflict
from storeloop.inventory.models import StockLevel, StockMovement
from storeloop.inventory.reservation_models import StockReservation


class OutOfStock(Conflict):
    def __init__(self, sku_id: int, warehouse_id: int | None, quantity: int) -> None:
        where = "any warehouse" if warehouse_id is None else f"warehouse {warehouse_id}"
        super().__init__(
            f"SKU {sku_id} in {where}: fewer than {quantity} units free to reserve",
            field="quantity",
        )
        self.sku_id = sku_id
        self.warehouse_id = warehouse_id


def first_shortage(
    session: Session, wanted: Sequence[tuple[int, int | None, int]]
) -> OutOfStock | None:
    """The first (sku_id, warehouse_id or None for any, quantity) that no single warehouse has
    free right now, as the refusal to raise; None when each might be reserved.

    A read, not a guarantee: the guarded UPDATE of ``try_reserve_units`` decides. It lets a sold
    out checkout be refused before it queues for the write lock (SQLite) or row locks
    (PostgreSQL) — in a flash sale, most of the buyers.
    """
    if not wanted:
        return None
    free: dict[tuple[int, int], int] = {
        (sku, wh): units
        for sku, wh, units in session.execute(
            select(
                StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand - StockLevel.reserved
            ).where(StockLevel.sku_id.in_({sku for sku, _, _ in wanted}))
        )
    }
    for sku, warehouse, quantity in wanted:
        best = max(
            (units for (s, wh), units in free.items() if s == sku and warehouse in (None, wh)),
            default=0,
        )
        if best < quantity:
            return OutOfStock(sku, warehouse, quantity)
    return None


def try_reserve_units(session: Session, sku_id: int, warehouse_id: int, quantity: int) -> bool:
    """Raise ``reserved`` by ``quantity`` if that many units are free; True when it did."""
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, not {quantity}")
    result = session.execute(
        update(StockLevel)
        .where(
            StockLevel.sku_id == sku_id,
            StockLevel.warehouse_id == warehouse_id,
            StockLevel.on_hand - StockLevel.reserved >= quantity,
        )
        .values(reserved=StockLevel.reserved + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def reserve(
    session: Session,
    sku_id: int,
    warehouse_id: int,
    quantity: int,
    expires_at: datetime,
    *,
    order_id: int,
) -> StockReservation:
    """Hold ``quantity`` units for ``order_id`` until ``expires_at``; OutOfStock if not free."""
    if not try_reserve_units(session, sku_id, warehouse_id, quantity):
        raise OutOfStock(sku_id, warehouse_id, quantity)
    return record_reservation(session, order_id, sku_id, warehouse_id, quantity, expires_at)


def record_reservation(
    session: Session,
    order_id: int,
    sku_id: int,
    warehouse_id: int,
    quantity: int,
    expires_at: datetime,
) -> StockReservation:
    """The reservation row for units ``try_reserve_units`` has just held."""
    reservation = StockReservation(
        order_id=order_id,
        sku_id=sku_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        expires_at=expires_at,
    )
    session.add(reservation)
    session.flush()
    return reservation


def _end(session: Session, reservation: StockReservation, column: str, at: datetime) -> bool:
    """End an open reservation; False when it had already ended (released, consumed, expired)."""
    result = session.execute(
        update(StockReservation)
        .where(
            StockReservation.id == reservation.id,
            StockReservation.released_at.is_(None),
            StockReservation.consumed_at.is_(None),
        )
        .values({column: at})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(reservation, column, at)  # the object may belong to another session
    return True


def release(session: Session, reservation: StockReservation, *, at: datetime) -> bool:
    """Give the units back; False (changing nothing) when the reservation had already ended."""
    return bool(release_all(session, [reservation], at=at))


def release_all(
    session: Session, reservations: Sequence[StockReservation], *, at: datetime
) -> list[StockReservation]:
    """Release those still open and return them; the rest are skipped. Lock order (locks.py):
    every reservation row first, in id order, then the stock levels in (sku, warehouse) order."""
    ended = [r for r in sorted(reservations, key=_by_id) if _end(session, r, "released_at", at)]
    units: dict[tuple[int, int], int] = defaultdict(int)
    for reservation in ended:
        units[(reservation.sku_id, reservation.warehouse_id)] += reservation.quantity
    for (sku_id, warehouse_id), quantity in sorted(units.items()):
        result = session.execute(
            update(StockLevel)
            .where(
                StockLevel.sku_id == sku_id,
                StockLevel.warehouse_id == warehouse_id,
                StockLevel.reserved >= quantity,
            )
            .values(reserved=StockLevel.reserved - quantity, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # reserved below its open reservations: invariant broken
            raise RuntimeError(f"SKU {sku_id} warehouse {warehouse_id}: fewer units reserved")
    return ended


def consume(session: Session, reservation: StockReservation, *, at: datetime) -> StockMovement:
    """Payment: the reserved units leave stock, with a ``sale`` ledger row. Conflict when the
    reservation has already ended (expired before the payment arrived)."""
    return consume_all(session, [reservation], at=at)[0]


def consume_all(
    session: Session, reservations: Sequence[StockReservation], *, at: datetime
) -> list[StockMovement]:
    """Consume every one of ``reservations`` (an order's, on payment) or raise Conflict; the
    caller's rollback then undoes the ones already ended. Same lock order as ``release_all``."""
    ordered = sorted(reservations, key=_by_id)
    for reservation in ordered:
        if not _end(session, reservation, "consumed_at", at):
            raise Conflict(
                f"stock reservation {reservation.id} has already ended (released or expired)"
            )
    movements = []
    for reservation in sorted(ordered, key=lambda r: (r.sku_id, r.warehouse_id, r.id)):
        q = reservation.quantity
        result = session.execute(
            update(StockLevel)
            .where(
                StockLevel.sku_id == reservation.sku_id,
                StockLevel.warehouse_id == reservation.warehouse_id,
                StockLevel.reserved >= q,
                StockLevel.on_hand >= q,
            )
            .values(
                on_hand=StockLevel.on_hand - q,
                reserved=StockLevel.reserved - q,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"stock reservation {reservation.id}: level holds fewer units")
        movements.append(
            StockMovement(
                sku_id=reservation.sku_id,
                warehouse_id=reservation.warehouse_id,
                quantity=-q,
                reason="sale",
                ref_type="order",
                ref_id=reservation.order_id,
                created_at=at,
            )
        )
    session.add_all(movements)
    session.flush()
    return movements


def _by_id(reservation: StockReservation) -> int:
    return reservation.id


def open_reservations(session: Session, order_id: int) -> list[StockReservation]:
    return list(
        session.scalars(
            select(StockReservation)
            .where(
                StockReservation.order_id == order_id,
                StockReservation.released_at.is_(None),
                StockReservation.consumed_at.is_(None),
            )
            .order_by(StockReservation.id)
        )
    )


def expire_reservations(session: Session, now: datetime) -> list[StockReservation]:
    """Release every open reservation whose ``expires_at`` has passed; returns those this call
    released (one a concurrent payment or expiry ended first is skipped, not released twice)."""
    due = session.scalars(
        select(StockReservation)
        .where(
            StockReservation.expires_at <= now,
            StockReservation.released_at.is_(None),
            StockReservation.consumed_at.is_(None),
        )
        .order_by(StockReservation.id)
    ).all()
    return release_all(session, due, at=now)

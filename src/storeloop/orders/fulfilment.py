"""Fulfilment: ship, deliver and complete a paid order — or cancel it, refunding what was paid.

Every use case is one write transaction (``inventory.locks.write_session``) and moves the order
through ``orders.state`` with checkout's ``_change_status``: a guarded UPDATE on the status, a
history row and an outbox event (``order.shipped``, ``order.delivered``, ``order.completed``,
``order.cancelled``) in the same transaction. An illegal move raises ``IllegalTransition`` (409,
naming the allowed moves) and changes nothing.

Locks (``inventory/locks.py``): shipping, delivering, completing and cancelling a paid order
first lock the order row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers), so a cancel racing a shipment waits and then sees where the order
went: exactly one of them wins. Then stock levels (restock, in (sku, warehouse) order), refunds,
the customer's points account, the outbox. Cancelling an *unpaid* order instead follows the
reservation order of payments and expiry — reservations, stock levels, then the order row — so
it cannot deadlock with a payment racing it; the guarded UPDATE decides which one wins.

Shipments: one per warehouse the order's stock was taken from (its consumed reservations say
which), a ``shipment_lines`` row per order line and parcel, a tracking number, and a carrier
chosen by ``choose_carrier`` unless one is named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict, FieldError, InvalidInput, NotFound, get_or_raise
from storeloop.inventory.locks import stock_level_lock_order, write_session
from storeloop.inventory.models import StockMovement
from storeloop.inventory.reservation_models import StockReservation
from storeloop.inventory.reservations import open_reservations, release_all
from storeloop.inventory.routing import is_remote
from storeloop.inventory.schemas import StockAdjustment
from storeloop.inventory.service import adjust_stock
from storeloop.loyalty.service import return_points_in
from storeloop.orders.checkout import _change_status
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.fulfilment_models import Refund, ShipmentLine
from storeloop.orders.models import Order, Shipment
from storeloop.orders.state import IllegalTransition, can_transition
from storeloop.supply.models import Carrier

# The carrier rule (docs/orders.md, "Shipments"): express from this order value; insured (保价)
# from INSURE_FROM; a remote province goes by the postal network, the one that reaches every
# county there; otherwise the cheapest economy carrier.
EXPRESS_FROM = 50_000  # minor units: ¥500
INSURE_FROM = 80_000  # minor units: ¥800
POSTAL_CARRIERS = ("EMS",)


@dataclass(frozen=True, slots=True)
class CarrierOption:
    id: int
    code: str
    tier: str  # economy or express
    base_fee: int


@dataclass(frozen=True, slots=True)
class CarrierChoice:
    carrier: CarrierOption
    rule: str  # why this one (principle 5)


@dataclass(frozen=True, slots=True)
class Parcel:
    """A shipment with its lines and carrier code."""

    shipment: Shipment
    carrier_code: str
    lines: list[ShipmentLine]


@dataclass(frozen=True, slots=True)
class ShipResult:
    order: Order
    parcels: list[Parcel]
    carrier_rule: str


@dataclass(frozen=True, slots=True)
class CancelResult:
    order: Order
    refund: Refund | None  # None: nothing had been paid
    points_returned: int


def choose_carrier(
    carriers: Sequence[CarrierOption], *, order_value: int, remote: bool
) -> CarrierChoice:
    """The carrier for a parcel (pure): express from ``EXPRESS_FROM``; to a remote province the
    postal carrier; otherwise, and whenever the wanted kind is missing, the cheapest economy
    carrier, then the cheapest of any. Ties go to the lower id."""
    if not carriers:
        raise Conflict("no active carrier to ship with", field="carrier_code")

    def cheapest(options: Sequence[CarrierOption]) -> CarrierOption:
        return min(options, key=lambda c: (c.base_fee, c.id))

    express = [c for c in carriers if c.tier == "express"]
    if order_value >= EXPRESS_FROM and express:
        return CarrierChoice(cheapest(express), f"express: order worth at least {EXPRESS_FROM}")
    postal = [c for c in carriers if c.code in POSTAL_CARRIERS]
    if remote and postal:
        return CarrierChoice(cheapest(postal), "postal network: remote province")
    economy = [c for c in carriers if c.tier == "economy"]
    if economy:
        return CarrierChoice(cheapest(economy), "cheapest economy carrier")
    return CarrierChoice(cheapest(carriers), "cheapest active carrier")


def lock_order(session: Session, order_id: int) -> Order:
    """The order, its row locked until the transaction ends (PostgreSQL) and re-read as it is
    now; NotFound if there is none."""
    order = session.scalars(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        raise NotFound(f"Order {order_id} not found")
    return order


def _require(order: Order, to: str) -> None:
    if not can_transition(order.status, to):
        raise IllegalTransition(order.id, order.status, to)


# Shipping


def ship_order(
    session_factory: sessionmaker[Session],
    order_id: int,
    *,
    at: datetime,
    carrier_code: str | None = None,
) -> ShipResult:
    """Ship a paid order: one parcel per warehouse its stock came from, ``paid → shipped``."""
    with write_session(session_factory) as session:
        order = lock_order(session, order_id)
        choice = _carrier(session, order, carrier_code)
        _require(order, "shipped")
        pieces = _pieces(session, order)
        parcels = []
        for warehouse_id in sorted(pieces):
            shipment = Shipment(
                order_id=order.id,
                carrier_id=choice.carrier.id,
                warehouse_id=warehouse_id,
                status="shipped",
                insured=order.total_amount >= INSURE_FROM,
                shipped_at=at,
            )
            session.add(shipment)
            session.flush()
            shipment.tracking_number = f"{choice.carrier.code}{shipment.id:012d}"
            lines = [
                ShipmentLine(shipment_id=shipment.id, order_line_id=line_id, quantity=quantity)
                for line_id, quantity in sorted(pieces[warehouse_id].items())
            ]
            session.add_all(lines)
            parcels.append(Parcel(shipment, choice.carrier.code, lines))
        _change_status(session, order, "shipped", at, "order.shipped")
        session.flush()
        return ShipResult(order, parcels, choice.rule)


def _carrier(session: Session, order: Order, code: str | None) -> CarrierChoice:
    rows = session.scalars(select(Carrier).where(Carrier.is_active.is_(True))).all()
    options = [CarrierOption(c.id, c.code, c.tier, c.base_fee) for c in rows]
    if code is None:
        return choose_carrier(
            options, order_value=order.total_amount, remote=is_remote(order.ship_province)
        )
    named = [c for c in options if c.code == code]
    if not named:
        raise InvalidInput([FieldError("carrier_code", f"no active carrier {code!r}")])
    return CarrierChoice(named[0], "named by the caller")


def _pieces(session: Session, order: Order) -> dict[int, dict[int, int]]:
    """{warehouse: {order line: units}}: each line's units taken from its SKU's consumed
    reservations in id order (a gift line and a paid line of one SKU share a reservation)."""
    reservations = session.scalars(
        select(StockReservation)
        .where(StockReservation.order_id == order.id, StockReservation.consumed_at.is_not(None))
        .order_by(StockReservation.id)
    ).all()
    left: dict[int, list[list[int]]] = defaultdict(list)  # sku: [[warehouse, units], …]
    for r in reservations:
        left[r.sku_id].append([r.warehouse_id, r.quantity])
    pieces: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in order.lines:
        need = line.quantity
        for source in left[line.sku_id]:
            take = min(need, source[1])
            if take:
                pieces[source[0]][line.id] += take
                source[1] -= take
                need -= take
        if need:
            raise Conflict(
                f"order {order.id}: {need} unit(s) of order line {line.id} were taken from no "
                "warehouse (no consumed stock reservation); nothing was shipped"
            )
    return pieces


# Delivery and completion


def deliver_order(session_factory: sessionmaker[Session], order_id: int, *, at: datetime) -> Order:
    """The parcels arrived: ``shipped → delivered`` and every shipment marked delivered."""
    with write_session(session_factory) as session:
        order = lock_order(session, order_id)
        _require(order, "delivered")
        for shipment in order.shipments:
            if shipment.status == "shipped":
                shipment.status = "delivered"
                shipment.delivered_at = at
        _change_status(session, order, "delivered", at, "order.delivered")
        session.flush()
        return order


def complete_order(session_factory: sessionmaker[Session], order_id: int, *, at: datetime) -> Order:
    """The return window is over (or the customer confirmed): ``delivered → completed``."""
    with write_session(session_factory) as session:
        order = lock_order(session, order_id)
        _require(order, "completed")
        _change_status(session, order, "completed", at, "order.completed")
        session.flush()
        return order


# Cancelling


def cancel_order(
    session_factory: sessionmaker[Session],
    order_id: int,
    *,
    at: datetime,
    reason: str = "",
) -> CancelResult:
    """Cancel an unpaid order (its stock released, its points given back) or a paid one before
    it ships (stock back on hand with ``return`` ledger rows, the cash paid refunded, points
    given back, ``order.refunded``). Any other status: IllegalTransition."""
    with write_session(session_factory) as session:
        order = get_or_raise(session, Order, order_id)
        if order.status == "pending_payment":
            return _cancel_unpaid(session, order, at)
        order = lock_order(session, order_id)
        _require(order, "cancelled")
        return _cancel_paid(session, order, at, reason)


def _cancel_unpaid(session: Session, order: Order, at: datetime) -> CancelResult:
    # Reservations, stock levels, then the order row: the order payments and expiries lock in. A
    # payment that consumed them first makes the guarded status UPDATE fail: Conflict.
    release_all(session, open_reservations(session, order.id), at=at)
    _change_status(session, order, "cancelled", at, "order.cancelled")
    points = give_points_back(session, order, order.points_spent, f"cancel:order:{order.id}", at)
    session.flush()
    return CancelResult(order, None, points)


def _cancel_paid(session: Session, order: Order, at: datetime, reason: str) -> CancelResult:
    _change_status(session, order, "cancelled", at, "order.cancelled")
    consumed = session.scalars(
        select(StockReservation).where(
            StockReservation.order_id == order.id, StockReservation.consumed_at.is_not(None)
        )
    ).all()
    units: dict[tuple[int, int], int] = defaultdict(int)
    for r in consumed:
        units[(r.sku_id, r.warehouse_id)] += r.quantity
    for sku_id, warehouse_id in stock_level_lock_order(units):
        restock_units(
            session,
            sku_id,
            warehouse_id,
            units[(sku_id, warehouse_id)],
            ref_type="order",
            ref_id=order.id,
            note=f"order {order.id} cancelled before shipping",
            at=at,
        )
    refund = Refund(
        order_id=order.id,
        amount=order.total_amount,  # a paid order has paid its total (deposit + balance or full)
        currency=order.currency,
        points=0,
        reason=_reason("cancelled before shipping", reason),
        status="succeeded",
        created_at=at,
    )
    session.add(refund)
    session.flush()
    refund.points = give_points_back(
        session, order, order.points_spent, f"cancel:order:{order.id}", at
    )
    add_refund_event(session, order, refund, at)
    session.flush()
    return CancelResult(order, refund, refund.points)


def _reason(base: str, detail: str) -> str:
    return f"{base}: {detail}"[:255] if detail else base


# Shared with returns


def restock_units(
    session: Session,
    sku_id: int,
    warehouse_id: int,
    quantity: int,
    *,
    ref_type: str,
    ref_id: int,
    note: str,
    at: datetime,
) -> StockMovement:
    """Units back on hand: the inventory service's ``adjust_stock`` with reason ``return``
    (on hand += q and its ledger row in one guarded UPDATE), the row naming what it returns."""
    movement, _ = adjust_stock(
        session,
        StockAdjustment(
            sku_id=sku_id,
            warehouse_id=warehouse_id,
            quantity=quantity,
            reason="return",
            note=note[:255],
        ),
    )
    movement.ref_type, movement.ref_id, movement.created_at = ref_type, ref_id, at
    session.flush()
    return movement


def give_points_back(
    session: Session, order: Order, points: int, dedupe_key: str, at: datetime
) -> int:
    if points <= 0:
        return 0
    return return_points_in(
        session, order.customer_id, points, order_id=order.id, dedupe_key=dedupe_key, at=at
    )


def add_refund_event(
    session: Session, order: Order, refund: Refund, at: datetime, **extra: Any
) -> None:
    """The ``order.refunded`` outbox event: what went back, in money and points."""
    session.add(
        OutboxEvent(
            topic="order.refunded",
            created_at=at,
            payload={
                "order_id": order.id,
                "refund_id": refund.id,
                "return_id": refund.return_id,
                "amount": refund.amount,
                "currency": refund.currency,
                "points": refund.points,
                "reason": refund.reason,
                "at": at.isoformat(),
                **extra,
            },
        )
    )


def list_refunds(session: Session, order_id: int) -> list[Refund]:
    get_or_raise(session, Order, order_id)
    return list(
        session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))
    )


def shipment_lines(session: Session, order_id: int) -> dict[int, list[ShipmentLine]]:
    """{shipment id: its lines} for an order's shipments."""
    rows = session.scalars(
        select(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order_id)
        .order_by(ShipmentLine.id)
    )
    out: dict[int, list[ShipmentLine]] = defaultdict(list)
    for row in rows:
        out[row.shipment_id].append(row)
    return dict(out)


__all__ = [
    "EXPRESS_FROM",
    "INSURE_FROM",
    "POSTAL_CARRIERS",
    "CancelResult",
    "CarrierChoice",
    "CarrierOption",
    "Parcel",
    "ShipResult",
    "add_refund_event",
    "cancel_order",
    "choose_carrier",
    "complete_order",
    "deliver_order",
    "give_points_back",
    "list_refunds",
    "lock_order",
    "restock_units",
    "ship_order",
    "shipment_lines",
]

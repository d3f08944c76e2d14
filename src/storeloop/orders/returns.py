"""Returns: units of a shipped order come back, and exactly what they cost goes back.

``return_units`` is one write transaction. It locks the order row first (``SELECT … FOR UPDATE``
on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), so two returns of one order run one after the
other and the second sees the first: units sold minus units already returned is never exceeded,
however many requests race for the last unit. Then, in the lock order of ``fulfilment``: stock
level (restock), refund, the customer's points account, outbox.

**What a unit costs.** A line's net amount — ``unit_price × quantity − discount_amount``, the
line's share of every discount, points money included — is split across its units by the
pricing engine's own partial-return rule (``pricing.allocation.refund_for_return``: largest
remainder, earlier units taking the odd fen). The *k*-th unit ever returned from a line refunds
the *k*-th part, so returning every unit, in any batches, refunds exactly the line's net, to the
fen. The points the line was paid with (``points_amount``, 1 point = 1 fen) are split the same
way and given back through ``loyalty.service.return_points_in``; cash goes back as a
``refunds`` row. Shipping is not refunded by a return.

**Restock or write off.** ``restock=True``: a ``return`` ledger row and ``on_hand += q`` in the
warehouse the line shipped from. ``restock=False`` (damaged, not resellable): the return is
recorded with ``restocked = False`` and stock is not touched — the units already left on hand
with the sale, so there is nothing to write off from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict, FieldError, InvalidInput
from storeloop.inventory.locks import write_session
from storeloop.orders.fulfilment import (
    add_refund_event,
    give_points_back,
    lock_order,
    restock_units,
)
from storeloop.orders.fulfilment_models import Refund, ShipmentLine
from storeloop.orders.models import RETURN_REASONS, OrderLine, Return, Shipment
from storeloop.pricing.allocation import refund_for_return
from storeloop.pricing.result import PricedLine

RETURNABLE_STATUSES = ("shipped", "delivered", "completed")


@dataclass(frozen=True, slots=True)
class ReturnResult:
    returned: Return
    refund: Refund
    points_returned: int


def return_units(
    session_factory: sessionmaker[Session],
    order_id: int,
    order_line_id: int,
    quantity: int,
    *,
    reason: str,
    restock: bool,
    at: datetime,
) -> ReturnResult:
    """Take back ``quantity`` units of one order line and refund what they cost (module
    docstring). InvalidInput (422) for a bad quantity, reason or line; Conflict (409) when the
    order is not shipped yet or fewer units are left to return; nothing changes then."""
    _check(quantity, reason)
    with write_session(session_factory) as session:
        order = lock_order(session, order_id)
        line = session.get(OrderLine, order_line_id)
        if line is None or line.order_id != order.id:
            raise InvalidInput(
                [FieldError("order_line_id", f"order {order.id} has no line {order_line_id}")]
            )
        if order.status not in RETURNABLE_STATUSES:
            raise Conflict(
                f"order {order.id} is {order.status!r}: units can be returned only from a "
                f"{', '.join(RETURNABLE_STATUSES)} order (an unshipped one is cancelled instead)",
                field="status",
            )
        already = returned_units(session, line.id)
        if already + quantity > line.quantity:
            raise Conflict(
                f"order line {line.id}: {line.quantity - already} of its {line.quantity} units "
                f"can still be returned, not {quantity}",
                field="quantity",
            )
        cash = refund_for_return(_split(line, line.line_total), quantity, already_returned=already)
        points = refund_for_return(
            _split(line, line.points_amount), quantity, already_returned=already
        )
        ret = Return(
            order_id=order.id,
            order_line_id=line.id,
            quantity=quantity,
            reason=reason,
            refund_amount=cash,
            currency=order.currency,
            restocked=restock,
            refund_points=0,
            created_at=at,
        )
        session.add(ret)
        session.flush()
        if restock:
            _restock(session, order.id, line, ret, at)
        refund = Refund(
            order_id=order.id,
            return_id=ret.id,
            amount=cash,
            currency=order.currency,
            points=0,
            reason=f"return: {reason}",
            status="succeeded",
            created_at=at,
        )
        session.add(refund)
        session.flush()
        given = give_points_back(session, order, points, f"return:{ret.id}", at)
        ret.refund_points = refund.points = given
        add_refund_event(
            session,
            order,
            refund,
            at,
            order_line_id=line.id,
            quantity=quantity,
            return_reason=reason,
            restocked=restock,
        )
        session.flush()
        return ReturnResult(ret, refund, given)


def _check(quantity: int, reason: str) -> None:
    errors = []
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        errors.append(FieldError("quantity", "must be a positive whole number of units"))
    if reason not in RETURN_REASONS:
        errors.append(FieldError("reason", f"must be one of {', '.join(RETURN_REASONS)}"))
    if errors:
        raise InvalidInput(errors)


def returned_units(session: Session, order_line_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Return.quantity), 0)).where(
                Return.order_line_id == order_line_id
            )
        )
        or 0
    )


def _split(line: OrderLine, amount: int) -> PricedLine:
    """The line as the pricing engine's refund rule reads it: ``amount`` over its units."""
    return PricedLine(
        sku=str(line.sku_id),
        quantity=line.quantity,
        unit_price=line.unit_price,
        list_amount=line.unit_price * line.quantity,
        discounts=(),
        final_amount=amount,
        subscription=False,
        deposit_credit=0,
        deposit_due=0,
    )


def _restock(session: Session, order_id: int, line: OrderLine, ret: Return, at: datetime) -> None:
    """Back on hand where the line shipped from: its first parcel (a line ships from one
    warehouse), or the order's first shipment when no shipment lines were recorded."""
    warehouse_id = session.scalar(
        select(Shipment.warehouse_id)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(ShipmentLine.order_line_id == line.id)
        .order_by(Shipment.id)
        .limit(1)
    ) or session.scalar(
        select(Shipment.warehouse_id)
        .where(Shipment.order_id == order_id)
        .order_by(Shipment.id)
        .limit(1)
    )
    if warehouse_id is None:
        raise Conflict(f"order {order_id} has no shipment to restock into", field="restock")
    restock_units(
        session,
        line.sku_id,
        warehouse_id,
        ret.quantity,
        ref_type="return",
        ref_id=ret.id,
        note=f"return {ret.id} of order {order_id}: {ret.reason}",
        at=at,
    )


__all__ = ["RETURNABLE_STATUSES", "ReturnResult", "return_units", "returned_units"]

"""Presale (定金膨胀) orders: the deposit, the balance window, and closing an unpaid balance.

Checkout records the pricing engine's figures on a presale order: ``total_amount`` is already
the 到手价 (the deposit's inflation, worth − deposit per unit, is in the lines'
``discount_amount``), ``deposit_amount`` is the engine's ``deposit_due`` and
``balance_starts_at``/``balance_ends_at`` the presale's balance window.

* Deposit paid: ``pending_payment → deposit_paid`` (``order.deposit_paid``); the reservations are
  kept — their ``expires_at`` moves to the end of the balance window, so the reservation-expiry
  sweep does not release them meanwhile.
* Balance: ``total_amount − deposits paid`` — the inflation is credited because the total
  already carries it — payable only in ``[balance_starts_at, balance_ends_at)``; then the ordinary
  ``mark_paid`` path (stock consumed, ``paid``, ``order.paid``).
* Unpaid when the window ends: ``close_unpaid_balances`` releases the stock and closes the order
  (``order.closed``). Policy: **the deposit is not refunded** (as on Tmall: 定金不退); its
  payment row stays ``succeeded``, and an ``order.deposit_forfeited`` event goes with
  ``order.closed``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict
from storeloop.inventory.locks import write_session
from storeloop.inventory.reservation_models import StockReservation
from storeloop.inventory.reservations import open_reservations, release_all
from storeloop.orders.checkout import _change_status
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.models import Order


class OutsideBalanceWindow(Conflict):
    def __init__(self, order: Order, at: datetime) -> None:
        super().__init__(
            f"order {order.id}: the balance is payable from {order.balance_starts_at} "
            f"until {order.balance_ends_at}, not at {at}",
            field="kind",
        )


def pay_deposit_in(session: Session, order: Order, *, at: datetime) -> None:
    """In the caller's write transaction: keep the stock until the balance window ends and move
    the order to ``deposit_paid``."""
    if not open_reservations(session, order.id):
        raise Conflict(f"order {order.id} holds no stock (its reservation expired)")
    if order.balance_ends_at is None:
        raise Conflict(f"order {order.id} has no balance window; it is not a presale order")
    session.execute(
        update(StockReservation)
        .where(
            StockReservation.order_id == order.id,
            StockReservation.released_at.is_(None),
            StockReservation.consumed_at.is_(None),
        )
        .values(expires_at=order.balance_ends_at)
        .execution_options(synchronize_session=False)
    )
    _change_status(session, order, "deposit_paid", at, "order.deposit_paid")


def check_balance_window(order: Order, at: datetime) -> None:
    starts, ends = order.balance_starts_at, order.balance_ends_at
    if starts is None or ends is None or not starts <= at < ends:
        raise OutsideBalanceWindow(order, at)


def close_unpaid_balances(session_factory: sessionmaker[Session], *, now: datetime) -> list[int]:
    """Close every ``deposit_paid`` order whose balance window has ended, releasing its stock;
    the deposit is forfeited (not refunded). Returns the closed ids; safe to run concurrently
    with balance payments and with itself (guarded UPDATEs, one write transaction)."""
    with write_session(session_factory) as session:
        due = session.scalars(
            select(Order)
            .where(Order.status == "deposit_paid", Order.balance_ends_at <= now)
            .order_by(Order.id)
        ).all()
        reservations = [r for order in due for r in open_reservations(session, order.id)]
        release_all(session, reservations, at=now)  # lock order: reservations, then levels
        closed = []
        for order in due:
            _change_status(session, order, "closed", now, "order.closed")
            session.add(
                OutboxEvent(
                    topic="order.deposit_forfeited",
                    created_at=now,
                    payload={
                        "order_id": order.id,
                        "deposit_amount": order.deposit_amount,
                        "policy": "deposit_forfeited",
                        "at": now.isoformat(),
                    },
                )
            )
            closed.append(order.id)
        return closed


__all__ = [
    "OutsideBalanceWindow",
    "check_balance_window",
    "close_unpaid_balances",
    "pay_deposit_in",
]

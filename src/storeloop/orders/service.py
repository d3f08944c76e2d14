"""Order reads: the filtered list, one order with everything that happened to it, and GMV."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from storeloop.errors import get_or_raise
from storeloop.filtering import apply_filters
from storeloop.money import Money
from storeloop.orders.models import Order, Return
from storeloop.orders.schemas import OrderFilter

# Fully paid and not cancelled or closed: the orders GMV counts. A presale whose balance is
# still open (deposit_paid) is not yet paid.
PAID_STATUSES = ("paid", "shipped", "delivered", "completed")


@dataclass(frozen=True, slots=True)
class OrderHistory:
    """An order with its lines, payments and shipments loaded, and its returns."""

    order: Order
    returns: list[Return]


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Order)) or 0


def paid_gmv(session: Session) -> list[Money]:
    """Total value of paid orders, one amount per currency (amounts in different currencies
    must never be added together)."""
    rows = session.execute(
        select(Order.currency, func.sum(Order.total_amount))
        .where(Order.status.in_(PAID_STATUSES))
        .group_by(Order.currency)
        .order_by(Order.currency)
    )
    return [Money(int(total), currency) for currency, total in rows]


def order_query(filters: OrderFilter) -> Select[tuple[Order]]:
    return apply_filters(select(Order), Order, filters)


def get_order_history(session: Session, order_id: int) -> OrderHistory:
    order = get_or_raise(
        session,
        Order,
        order_id,
        options=[
            selectinload(Order.lines),
            selectinload(Order.payments),
            selectinload(Order.shipments),
        ],
    )
    returns = session.scalars(
        select(Return).where(Return.order_id == order_id).order_by(Return.id)
    ).all()
    return OrderHistory(order=order, returns=list(returns))

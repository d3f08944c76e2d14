"""The order state machine, as data: which status may follow which (docs/orders.md).

``TRANSITIONS`` is the whole rule; ``transition`` is the only way code changes an order's status,
so an illegal move fails loudly, naming where the order is and where it may go, instead of leaving
an order shipped-but-unpaid. Terminal statuses (``completed``, ``cancelled``, ``closed``) allow no
move at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from storeloop.errors import Conflict
from storeloop.orders.models import ORDER_STATUSES

TRANSITIONS: Mapping[str, frozenset[str]] = {
    # unpaid: paid in full, a presale deposit paid, cancelled by the customer, or closed unpaid
    # when its reservation expires
    "pending_payment": frozenset({"paid", "deposit_paid", "cancelled", "closed"}),
    # presale: the balance paid, or closed when the balance window ends unpaid
    "deposit_paid": frozenset({"paid", "closed"}),
    # paid: shipped, or cancelled (and refunded) before it ships
    "paid": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "closed": frozenset(),
}
INITIAL_STATUS = "pending_payment"
TERMINAL_STATUSES = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)

assert set(TRANSITIONS) == set(ORDER_STATUSES), "every order status needs its transitions"


class IllegalTransition(Conflict):
    """An order asked to move where the state machine does not allow."""

    def __init__(self, order_id: int | None, from_status: str, to_status: str) -> None:
        allowed = sorted(TRANSITIONS.get(from_status, ()))
        where = ", ".join(allowed) if allowed else "nowhere (it is final)"
        super().__init__(
            f"order {order_id}: cannot move from {from_status!r} to {to_status!r}; "
            f"from {from_status!r} it may move to {where}",
            field="status",
        )
        self.from_status = from_status
        self.to_status = to_status


class HasStatus(Protocol):
    id: int
    status: str


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def transition(order: HasStatus, to: str) -> str:
    """Move ``order`` to ``to`` and return the status it left; raise IllegalTransition (changing
    nothing) when the move is not in ``TRANSITIONS``, including an unknown status."""
    current = order.status
    if not can_transition(current, to):
        raise IllegalTransition(order.id, current, to)
    order.status = to
    return current

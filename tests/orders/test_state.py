"""The order state machine: every status has its moves, legal ones move, illegal ones raise."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from storeloop.errors import Conflict
from storeloop.orders.models import ORDER_STATUSES
from storeloop.orders.state import (
    TERMINAL_STATUSES,
    TRANSITIONS,
    IllegalTransition,
    can_transition,
    transition,
)


@dataclass
class FakeOrder:
    id: int
    status: str


def test_every_status_is_covered_and_targets_are_known() -> None:
    assert set(TRANSITIONS) == set(ORDER_STATUSES)
    for targets in TRANSITIONS.values():
        assert targets <= set(ORDER_STATUSES)
    assert {"completed", "cancelled", "closed"} == TERMINAL_STATUSES


def test_every_status_is_reachable_from_pending_payment() -> None:
    seen, todo = {"pending_payment"}, ["pending_payment"]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(ORDER_STATUSES)


@pytest.mark.parametrize(
    "path",
    [
        ["pending_payment", "paid", "shipped", "delivered", "completed"],
        ["pending_payment", "deposit_paid", "paid"],
        ["pending_payment", "deposit_paid", "closed"],
        ["pending_payment", "closed"],
        ["pending_payment", "cancelled"],
        ["pending_payment", "paid", "cancelled"],
    ],
)
def test_legal_paths(path: list[str]) -> None:
    order = FakeOrder(1, path[0])
    for to in path[1:]:
        left = order.status
        assert transition(order, to) == left
        assert order.status == to


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("pending_payment", "shipped"),
        ("paid", "pending_payment"),
        ("shipped", "cancelled"),
        ("closed", "paid"),
        ("completed", "shipped"),
        ("paid", "refunded"),  # not a status at all
    ],
)
def test_illegal_moves_raise_and_change_nothing(start: str, to: str) -> None:
    order = FakeOrder(7, start)
    with pytest.raises(IllegalTransition) as info:
        transition(order, to)
    assert order.status == start
    assert isinstance(info.value, Conflict)
    assert f"order 7: cannot move from {start!r} to {to!r}" in info.value.message
    assert not can_transition(start, to)


def test_final_status_says_so() -> None:
    with pytest.raises(IllegalTransition, match="nowhere \\(it is final\\)"):
        transition(FakeOrder(1, "closed"), "paid")

"""Returns on SQLite and PostgreSQL: refunds worked out by hand from the offers' rules, points
given back, restock versus write-off, refusals that change nothing, and the last returnable unit
raced by 20 threads. Every test ends with the stock invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict, InvalidInput, NotFound, StoreError
from storeloop.inventory.models import StockMovement
from storeloop.orders.checkout import CheckoutLine
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.fulfilment import complete_order, deliver_order, ship_order
from storeloop.orders.fulfilment_models import Refund
from storeloop.orders.models import Order, OrderLine, Return
from storeloop.orders.returns import ReturnResult, return_units
from tests.orders.checkout_store import (
    LIST_PRICE,
    Store,
    assert_stock_invariants,
    race,
    seed,
    wide_factory,
)
from tests.orders.test_fulfilment import (
    POINTS_BALANCE,
    SHIP_AT,
    add_carriers,
    count,
    give_points,
    level,
    place,
    points_balance,
)

RETURN_AT = SHIP_AT + timedelta(days=5)
THREE_FOR_20 = {
    "id": "3for20",
    "kind": "quantity_tiers",
    "products": {"skus": ["TEA"]},
    "tiers": [{"min_quantity": 3, "percent_off_bp": 2000}],
}
FIVE_OFF = {"id": "c5", "kind": "coupon", "amount_off": 500, "codes": [{"code": "FIVE"}]}


@dataclass(frozen=True)
class Shipped:
    store: Store
    order: int
    line: int


def _shipped(
    factory: sessionmaker[Session],
    quantity: int,
    *,
    points: int = 0,
    offers: tuple[dict[str, Any], ...] = (),
    coupons: tuple[str, ...] = (),
) -> Shipped:
    """A store with 10 TEA in W1 and a shipped order of ``quantity`` of them."""
    store = seed(factory, stock=10, offers=offers)
    add_carriers(factory)
    if points:
        give_points(factory, store.customers[0], POINTS_BALANCE)
    order_id = place(
        factory, store, [CheckoutLine(store.sku, quantity)], points=points, coupons=coupons
    )
    ship_order(factory, order_id, at=SHIP_AT)
    with factory() as session:
        line = session.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id)).one()
    return Shipped(store, order_id, line)


def test_partial_returns_refund_each_units_share_of_3_for_20_off_and_a_coupon(
    session_factory: sessionmaker[Session],
) -> None:
    shipped = _shipped(session_factory, 3, offers=(THREE_FOR_20, FIVE_OFF), coupons=("FIVE",))
    order_id, line_id, sku = shipped.order, shipped.line, shipped.store.sku
    # By hand: 3 × ¥99.00 = ¥297.00; "3 for 20 % off" takes ¥59.40, the coupon ¥5.00 more.
    goods = 3 * LIST_PRICE
    tier = goods * 2000 // 10000
    net = goods - tier - 500
    assert (goods, tier, net) == (29700, 5940, 23260)
    with session_factory() as session:
        line = session.get_one(OrderLine, line_id)
        assert line.discount_amount == tier + 500
    # ¥232.60 over 3 units: ¥77.53 each and the odd fen to the first unit returned.
    first_unit, other_unit = net // 3 + 1, net // 3
    assert (first_unit, other_unit) == (7754, 7753)

    one = return_units(
        session_factory, order_id, line_id, 1, reason="size", restock=True, at=RETURN_AT
    )
    assert isinstance(one, ReturnResult)
    assert (one.returned.refund_amount, one.refund.amount, one.points_returned) == (7754, 7754, 0)
    two = return_units(
        session_factory, order_id, line_id, 2, reason="quality", restock=True, at=RETURN_AT
    )
    assert two.refund.amount == 2 * other_unit == 15506
    assert one.refund.amount + two.refund.amount == net  # the whole line, to the fen
    with session_factory() as session:
        refunds = session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [(r.return_id, r.amount, r.reason) for r in refunds] == [
            (one.returned.id, 7754, "return: size"),
            (two.returned.id, 15506, "return: quality"),
        ]
        events = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.topic == "order.refunded")
            .order_by(OutboxEvent.id)
        ).all()
        assert [(e.payload["amount"], e.payload["quantity"]) for e in events] == [
            (7754, 1),
            (15506, 2),
        ]
    # all three back on hand where they shipped from
    assert level(session_factory, sku, shipped.store.warehouse)[0] == 10
    with pytest.raises(Conflict, match="0 of its 3 units"):
        return_units(
            session_factory, order_id, line_id, 1, reason="size", restock=True, at=RETURN_AT
        )
    assert_stock_invariants(session_factory)


def test_points_paid_for_a_line_come_back_unit_by_unit(
    session_factory: sessionmaker[Session],
) -> None:
    shipped = _shipped(session_factory, 3, points=100)
    order_id, line_id = shipped.order, shipped.line
    with session_factory() as session:
        customer = session.get_one(Order, order_id).customer_id
    assert points_balance(session_factory, customer) == POINTS_BALANCE - 100
    # cash ¥297.00 − 100 points (¥1.00) = 29600 over 3 units; 100 points over 3 units
    two = return_units(
        session_factory, order_id, line_id, 2, reason="changed_mind", restock=True, at=RETURN_AT
    )
    assert (two.refund.amount, two.refund.points, two.returned.refund_points) == (
        9867 + 9867,
        34 + 33,
        67,
    )
    assert points_balance(session_factory, customer) == POINTS_BALANCE - 100 + 67
    last = return_units(
        session_factory, order_id, line_id, 1, reason="changed_mind", restock=True, at=RETURN_AT
    )
    assert (last.refund.amount, last.points_returned) == (9866, 33)
    assert two.refund.amount + last.refund.amount == 3 * LIST_PRICE - 100
    assert points_balance(session_factory, customer) == POINTS_BALANCE
    assert_stock_invariants(session_factory)


def test_restock_puts_units_back_and_write_off_only_records_them(
    session_factory: sessionmaker[Session],
) -> None:
    shipped = _shipped(session_factory, 3)
    order_id, line_id, sku = shipped.order, shipped.line, shipped.store.sku
    deliver_order(session_factory, order_id, at=SHIP_AT + timedelta(days=1))
    assert level(session_factory, sku, shipped.store.warehouse) == (7, 0)
    kept = return_units(
        session_factory, order_id, line_id, 1, reason="size", restock=True, at=RETURN_AT
    )
    assert level(session_factory, sku, shipped.store.warehouse) == (8, 0)
    complete_order(session_factory, order_id, at=RETURN_AT)  # returns still allowed
    broken = return_units(
        session_factory, order_id, line_id, 1, reason="damaged", restock=False, at=RETURN_AT
    )
    assert level(session_factory, sku, shipped.store.warehouse) == (8, 0)
    assert (kept.returned.restocked, broken.returned.restocked) == (True, False)
    assert broken.refund.amount == LIST_PRICE  # written off, refunded all the same
    with session_factory() as session:
        back = session.scalars(select(StockMovement).where(StockMovement.reason == "return")).one()
        assert (back.quantity, back.ref_type, back.ref_id) == (1, "return", kept.returned.id)
    assert_stock_invariants(session_factory)


def test_refusals_name_the_field_and_change_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    shipped = _shipped(session_factory, 2)
    unshipped = place(session_factory, shipped.store, [CheckoutLine(shipped.store.sku, 1)], key="p")
    with session_factory() as session:
        unshipped_line = session.scalars(
            select(OrderLine.id).where(OrderLine.order_id == unshipped)
        ).one()
    before = (count(session_factory, Return), count(session_factory, Refund))

    def attempt(order: int, line: int, quantity: int, reason: str = "size") -> None:
        return_units(
            session_factory, order, line, quantity, reason=reason, restock=True, at=RETURN_AT
        )

    with pytest.raises(InvalidInput, match="quantity"):
        attempt(shipped.order, shipped.line, 0)
    with pytest.raises(InvalidInput, match="reason"):
        attempt(shipped.order, shipped.line, 1, reason="bored")
    with pytest.raises(InvalidInput, match="order_line_id"):
        attempt(shipped.order, unshipped_line, 1)  # another order's line
    with pytest.raises(Conflict, match="2 of its 2 units can still be returned, not 3"):
        attempt(shipped.order, shipped.line, 3)
    with pytest.raises(Conflict, match="'paid'"):
        attempt(unshipped, unshipped_line, 1)
    with pytest.raises(NotFound):
        attempt(unshipped + 99, unshipped_line, 1)
    assert (count(session_factory, Return), count(session_factory, Refund)) == before
    assert_stock_invariants(session_factory)


def test_twenty_threads_racing_for_the_last_returnable_unit_return_it_once(
    engine: Engine,
) -> None:
    with wide_factory(engine) as factory:
        shipped = _shipped(factory, 3)
        order_id, line_id, sku = shipped.order, shipped.line, shipped.store.sku
        return_units(factory, order_id, line_id, 2, reason="size", restock=True, at=RETURN_AT)

        def attempt(_: int) -> ReturnResult:
            return return_units(
                factory, order_id, line_id, 1, reason="quality", restock=True, at=RETURN_AT
            )

        outcomes = race(20, attempt)
        assert sum(isinstance(o, ReturnResult) for o in outcomes) == 1
        assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, StoreError)), outcomes
        with factory() as session:
            assert session.scalar(select(func.sum(Return.quantity))) == 3
            assert session.scalar(select(func.sum(Refund.amount))) == 3 * LIST_PRICE
            assert session.scalar(select(func.count()).select_from(Refund)) == 2
        assert level(factory, sku, shipped.store.warehouse) == (10, 0)
        assert_stock_invariants(factory)

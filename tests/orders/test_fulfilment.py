"""Fulfilment on SQLite and PostgreSQL: checkout routing, shipping (one parcel per warehouse),
delivery, completion, cancelling (unpaid and paid, with refund, restock and points back), the
state machine's refusals and a cancel racing a shipment. Every test ends with the stock
invariants (``checkout_store.assert_stock_invariants``).

The helpers here (carriers, extra warehouses, a paid order, points) are shared with
``test_returns.py`` and ``test_fulfilment_api.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import session_scope
from storeloop.errors import InvalidInput, StoreError
from storeloop.inventory.models import StockLevel, StockMovement, Warehouse
from storeloop.inventory.reservation_models import StockReservation
from storeloop.inventory.schemas import StockAdjustment
from storeloop.inventory.service import adjust_stock
from storeloop.loyalty.models import PointsAccount, PointsEntry
from storeloop.orders.checkout import CheckoutLine, checkout, mark_paid
from storeloop.orders.checkout_models import OrderStatusHistory, OutboxEvent
from storeloop.orders.fulfilment import (
    EXPRESS_FROM,
    CancelResult,
    CarrierOption,
    ShipResult,
    cancel_order,
    choose_carrier,
    complete_order,
    deliver_order,
    ship_order,
)
from storeloop.orders.fulfilment_models import Refund, ShipmentLine
from storeloop.orders.models import Order, OrderLine, Shipment
from storeloop.orders.state import IllegalTransition
from storeloop.supply.models import Carrier
from tests.orders.checkout_store import (
    AT,
    LIST_PRICE,
    Store,
    assert_stock_invariants,
    race,
    seed,
    wide_factory,
)

PAY_AT = AT + timedelta(minutes=5)
SHIP_AT = AT + timedelta(days=1)
POINTS_BALANCE = 10_000

# Shared helpers


def add_carriers(factory: sessionmaker[Session]) -> dict[str, int]:
    with session_scope(factory) as session:
        rows = [
            Carrier(code="ZTO", name="中通快递", tier="economy", base_fee=450),
            Carrier(code="EMS", name="中国邮政EMS", tier="economy", base_fee=800),
            Carrier(code="SF", name="顺丰速运", tier="express", base_fee=1400),
        ]
        session.add_all(rows)
        session.flush()
        return {c.code: c.id for c in rows}


def add_warehouse(
    factory: sessionmaker[Session], code: str, kind: str, province: str, region: str
) -> int:
    with session_scope(factory) as session:
        warehouse = Warehouse(code=code, name=code, kind=kind, province=province, region=region)
        session.add(warehouse)
        session.flush()
        return warehouse.id


def receive(factory: sessionmaker[Session], sku: int, warehouse: int, quantity: int) -> None:
    with session_scope(factory) as session:
        adjust_stock(
            session,
            StockAdjustment(
                sku_id=sku, warehouse_id=warehouse, quantity=quantity, reason="receipt"
            ),
        )


def level(factory: sessionmaker[Session], sku: int, warehouse: int) -> tuple[int, int]:
    with factory() as session:
        row = session.execute(
            select(StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.sku_id == sku, StockLevel.warehouse_id == warehouse
            )
        ).one()
        return row.on_hand, row.reserved


def give_points(factory: sessionmaker[Session], customer: int, points: int) -> None:
    """An account holding ``points`` earned points (the loyalty earn flow is not needed here)."""
    with session_scope(factory) as session:
        session.add(PointsAccount(customer_id=customer, balance=points, lifetime_earned=points))
        session.add(
            PointsEntry(
                customer_id=customer,
                delta=points,
                reason="earn",
                remaining=points,
                expires_at=AT + timedelta(days=365),
                created_at=AT,
            )
        )


def points_balance(factory: sessionmaker[Session], customer: int) -> int:
    with factory() as session:
        balance = session.scalar(
            select(PointsAccount.balance).where(PointsAccount.customer_id == customer)
        )
        ledger = session.scalar(
            select(func.sum(PointsEntry.delta)).where(PointsEntry.customer_id == customer)
        )
        assert balance == ledger
        return int(balance or 0)


def place(
    factory: sessionmaker[Session],
    store: Store,
    lines: list[CheckoutLine],
    *,
    key: str = "k",
    customer: int | None = None,
    coupons: tuple[str, ...] = (),
    province: str = "浙江",
    points: int = 0,
    paid: bool = True,
) -> int:
    order_id = checkout(
        factory,
        store.customers[0] if customer is None else customer,
        lines,
        idempotency_key=key,
        coupon_codes=coupons,
        at=AT,
        ship_province=province,
        points=points,
    ).order.id
    if paid:
        mark_paid(factory, order_id, at=PAY_AT)
    return order_id


def topics(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def status(factory: sessionmaker[Session], order_id: int) -> str:
    with factory() as session:
        return session.get_one(Order, order_id).status


def count(factory: sessionmaker[Session], table: type) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


# Routing at checkout


def _reserved_in(factory: sessionmaker[Session], order_id: int) -> list[int]:
    with factory() as session:
        return list(
            session.scalars(
                select(StockReservation.warehouse_id).where(StockReservation.order_id == order_id)
            )
        )


def test_checkout_reserves_in_the_nearest_warehouse_with_stock(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=5, customers=3)  # W1: 杭州 (浙江), central
    guangzhou = add_warehouse(session_factory, "GZ", "central", "广东", "south")
    receive(session_factory, store.sku, guangzhou, 2)
    # 海南 is nearer 广州 than 杭州
    first = place(session_factory, store, [CheckoutLine(store.sku, 2)], key="a", province="海南")
    assert _reserved_in(session_factory, first) == [guangzhou]
    # 广州 now has none left: the next nearest with stock
    second = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="b", province="海南")
    assert _reserved_in(session_factory, second) == [store.warehouse]
    # a line is never split: 3 units where 广州 has 2 free go from 杭州 as one
    receive(session_factory, store.sku, guangzhou, 2)
    third = place(session_factory, store, [CheckoutLine(store.sku, 3)], key="c", province="广东")
    assert _reserved_in(session_factory, third) == [store.warehouse]
    assert_stock_invariants(session_factory)


def test_checkout_serves_a_remote_province_from_its_forward_warehouse(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=5)
    chengdu = add_warehouse(session_factory, "CD", "central", "四川", "southwest")
    xining = add_warehouse(session_factory, "XN", "forward", "青海", "northwest")
    receive(session_factory, store.sku, chengdu, 5)
    receive(session_factory, store.sku, xining, 1)
    # 拉萨 is (slightly) nearer 成都, but Tibet is served from the forward warehouse in 西宁
    tibet = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="t", province="西藏")
    assert _reserved_in(session_factory, tibet) == [xining]
    # the forward warehouse is empty now: the nearest central one
    again = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="u", province="西藏")
    assert _reserved_in(session_factory, again) == [chengdu]
    assert_stock_invariants(session_factory)


def test_racing_checkouts_fall_through_to_the_next_warehouse(engine: Engine) -> None:
    """20 buyers near 杭州 (5 free there) and 广州 (15 free): every one of them is served, 5 from
    杭州 and 15 from 广州 — those who read free units in 杭州 that a racer took fall through."""
    with wide_factory(engine) as factory:
        store = seed(factory, stock=5, customers=20)
        guangzhou = add_warehouse(factory, "GZ", "central", "广东", "south")
        receive(factory, store.sku, guangzhou, 15)

        def buy(i: int) -> int:
            return place(
                factory,
                store,
                [CheckoutLine(store.sku, 1)],
                key=f"r{i}",
                customer=store.customers[i],
                province="上海",
                paid=False,
            )

        outcomes = race(20, buy)
        assert all(isinstance(o, int) for o in outcomes), outcomes
        assert level(factory, store.sku, store.warehouse) == (5, 5)
        assert level(factory, store.sku, guangzhou) == (15, 15)
        assert_stock_invariants(factory)


# Shipping, delivery, completion


def test_ship_deliver_complete(session_factory: sessionmaker[Session]) -> None:
    store = seed(session_factory, stock=10)
    carriers = add_carriers(session_factory)
    order_id = place(session_factory, store, [CheckoutLine(store.sku, 2)])

    shipped = ship_order(session_factory, order_id, at=SHIP_AT)
    assert isinstance(shipped, ShipResult) and shipped.order.status == "shipped"
    (parcel,) = shipped.parcels
    assert parcel.carrier_code == "ZTO"  # ¥198, not remote: the cheapest economy carrier
    assert parcel.shipment.tracking_number == f"ZTO{parcel.shipment.id:012d}"
    with session_factory() as session:
        shipment = session.scalars(select(Shipment)).one()
        assert (shipment.warehouse_id, shipment.carrier_id) == (store.warehouse, carriers["ZTO"])
        assert (shipment.status, shipment.shipped_at, shipment.insured) == (
            "shipped",
            SHIP_AT,
            False,
        )
        (line,) = session.scalars(select(OrderLine)).all()
        (sl,) = session.scalars(select(ShipmentLine)).all()
        assert (sl.shipment_id, sl.order_line_id, sl.quantity) == (shipment.id, line.id, 2)

    delivered = deliver_order(session_factory, order_id, at=SHIP_AT + timedelta(days=2))
    assert delivered.status == "delivered"
    completed = complete_order(session_factory, order_id, at=SHIP_AT + timedelta(days=9))
    assert completed.status == "completed"
    with session_factory() as session:
        shipment = session.scalars(select(Shipment)).one()
        assert (shipment.status, shipment.delivered_at) == (
            "delivered",
            SHIP_AT + timedelta(days=2),
        )
        history = session.execute(
            select(OrderStatusHistory.from_status, OrderStatusHistory.to_status).order_by(
                OrderStatusHistory.id
            )
        ).all()
    assert [tuple(h) for h in history] == [
        (None, "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    assert topics(session_factory) == [
        "order.created",
        "order.paid",
        "order.shipped",
        "order.delivered",
        "order.completed",
    ]
    assert level(session_factory, store.sku, store.warehouse) == (8, 0)
    assert_stock_invariants(session_factory)


def test_an_order_ships_one_parcel_per_warehouse_its_stock_came_from(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10, skus=("TEA", "CUP"))
    add_carriers(session_factory)
    with session_factory() as session:
        cup = session.scalar(select(StockLevel.sku_id).where(StockLevel.sku_id != store.sku))
    assert cup is not None
    other = add_warehouse(session_factory, "SH", "central", "上海", "east")
    receive(session_factory, cup, other, 5)
    order_id = place(
        session_factory,
        store,
        [CheckoutLine(store.sku, 2), CheckoutLine(cup, 3, warehouse_id=other)],
        province="北京",
    )
    result = ship_order(session_factory, order_id, at=SHIP_AT, carrier_code="SF")
    assert [p.shipment.warehouse_id for p in result.parcels] == sorted([store.warehouse, other])
    assert {p.carrier_code for p in result.parcels} == {"SF"}
    assert result.carrier_rule == "named by the caller"
    with session_factory() as session:
        lines = {ol.sku_id: ol.id for ol in session.scalars(select(OrderLine))}
        shipped = session.execute(
            select(Shipment.warehouse_id, ShipmentLine.order_line_id, ShipmentLine.quantity).join(
                Shipment, Shipment.id == ShipmentLine.shipment_id
            )
        ).all()
    assert sorted(tuple(s) for s in shipped) == sorted(
        [(store.warehouse, lines[store.sku], 2), (other, lines[cup], 3)]
    )
    assert_stock_invariants(session_factory)


def test_carrier_rule() -> None:
    zto, ems, sf = (
        CarrierOption(1, "ZTO", "economy", 450),
        CarrierOption(2, "EMS", "economy", 800),
        CarrierOption(3, "SF", "express", 1400),
    )
    every = [sf, ems, zto]
    assert choose_carrier(every, order_value=9900, remote=False).carrier == zto
    assert choose_carrier(every, order_value=9900, remote=True).carrier == ems
    assert choose_carrier(every, order_value=EXPRESS_FROM, remote=True).carrier == sf
    assert choose_carrier([zto, ems], order_value=EXPRESS_FROM, remote=False).carrier == zto
    assert choose_carrier([zto], order_value=1, remote=True).carrier == zto
    assert choose_carrier([sf], order_value=1, remote=False).carrier == sf
    with pytest.raises(StoreError):
        choose_carrier([], order_value=1, remote=False)


def test_remote_or_valuable_orders_get_their_carrier_and_insurance(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=20, customers=2)
    add_carriers(session_factory)
    remote = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="r", province="新疆")
    dear = place(session_factory, store, [CheckoutLine(store.sku, 9)], key="d")  # ¥891
    assert ship_order(session_factory, remote, at=SHIP_AT).parcels[0].carrier_code == "EMS"
    parcel = ship_order(session_factory, dear, at=SHIP_AT).parcels[0]
    assert parcel.carrier_code == "SF" and parcel.shipment.insured
    assert_stock_invariants(session_factory)


def test_illegal_moves_raise_naming_the_allowed_ones_and_change_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10, customers=2)
    add_carriers(session_factory)
    unpaid = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="u", paid=False)
    paid = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="p")
    before = (topics(session_factory), count(session_factory, OrderStatusHistory))
    with pytest.raises(IllegalTransition, match="it may move to cancelled, closed, deposit_paid"):
        ship_order(session_factory, unpaid, at=SHIP_AT)
    with pytest.raises(IllegalTransition, match="from 'paid' it may move to cancelled, shipped"):
        deliver_order(session_factory, paid, at=SHIP_AT)
    with pytest.raises(IllegalTransition):
        complete_order(session_factory, paid, at=SHIP_AT)
    with pytest.raises(InvalidInput, match="carrier_code"):
        ship_order(session_factory, paid, at=SHIP_AT, carrier_code="NOPE")
    assert (topics(session_factory), count(session_factory, OrderStatusHistory)) == before
    assert count(session_factory, Shipment) == 0

    ship_order(session_factory, paid, at=SHIP_AT)
    with pytest.raises(IllegalTransition, match="from 'shipped' it may move to delivered"):
        cancel_order(session_factory, paid, at=SHIP_AT)
    with pytest.raises(IllegalTransition):
        ship_order(session_factory, paid, at=SHIP_AT)
    cancel_order(session_factory, unpaid, at=SHIP_AT)
    with pytest.raises(IllegalTransition, match="nowhere"):
        cancel_order(session_factory, unpaid, at=SHIP_AT)
    assert (status(session_factory, unpaid), status(session_factory, paid)) == (
        "cancelled",
        "shipped",
    )
    assert count(session_factory, Shipment) == 1 and count(session_factory, Refund) == 0
    assert_stock_invariants(session_factory)


# Cancelling


def test_cancel_paid_order_restocks_refunds_and_gives_points_back(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10)
    customer = store.customers[0]
    give_points(session_factory, customer, POINTS_BALANCE)
    order_id = place(session_factory, store, [CheckoutLine(store.sku, 3)], points=1_234)
    assert points_balance(session_factory, customer) == POINTS_BALANCE - 1_234
    assert level(session_factory, store.sku, store.warehouse) == (7, 0)

    result = cancel_order(session_factory, order_id, at=SHIP_AT, reason="customer asked")
    assert isinstance(result, CancelResult) and result.order.status == "cancelled"
    assert result.refund is not None
    cash = 3 * LIST_PRICE - 1_234
    assert (result.refund.amount, result.refund.points, result.points_returned) == (
        cash,
        1_234,
        1_234,
    )
    assert result.refund.reason == "cancelled before shipping: customer asked"
    assert level(session_factory, store.sku, store.warehouse) == (10, 0)
    assert points_balance(session_factory, customer) == POINTS_BALANCE
    with session_factory() as session:
        back = session.scalars(select(StockMovement).where(StockMovement.reason == "return")).one()
        assert (back.quantity, back.ref_type, back.ref_id) == (3, "order", order_id)
        event = session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == "order.refunded")
        ).one()
        assert event.payload["amount"] == cash and event.payload["points"] == 1_234
    assert topics(session_factory)[-2:] == ["order.cancelled", "order.refunded"]
    assert_stock_invariants(session_factory)


def test_cancel_unpaid_order_releases_its_stock_and_points_without_a_refund(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10)
    customer = store.customers[0]
    give_points(session_factory, customer, POINTS_BALANCE)
    order_id = place(session_factory, store, [CheckoutLine(store.sku, 4)], points=500, paid=False)
    assert level(session_factory, store.sku, store.warehouse) == (10, 4)

    result = cancel_order(session_factory, order_id, at=AT + timedelta(minutes=3))
    assert (result.order.status, result.refund, result.points_returned) == ("cancelled", None, 500)
    assert level(session_factory, store.sku, store.warehouse) == (10, 0)
    assert points_balance(session_factory, customer) == POINTS_BALANCE
    assert count(session_factory, Refund) == 0
    assert topics(session_factory)[-1] == "order.cancelled"
    with pytest.raises(StoreError):  # its stock is gone: it can no longer be paid
        mark_paid(session_factory, order_id, at=PAY_AT)
    assert_stock_invariants(session_factory)


def test_cancel_racing_ship_exactly_one_wins(engine: Engine) -> None:
    """Ten paid orders, each cancelled and shipped at once from two threads: every order ends
    either shipped (no refund, stock still sold) or cancelled (refunded, stock back), never
    both, and the loser is refused by the state machine."""
    n = 10
    with wide_factory(engine) as factory:
        store = seed(factory, stock=n, customers=n)
        add_carriers(factory)
        orders = [
            place(factory, store, [CheckoutLine(store.sku, 1)], key=f"o{c}", customer=c)
            for c in store.customers
        ]
        for order_id in orders:
            outcomes = race(
                2,
                lambda i, order_id=order_id: (
                    ship_order(factory, order_id, at=SHIP_AT)
                    if i == 0
                    else cancel_order(factory, order_id, at=SHIP_AT)
                ),
            )
            assert sum(not isinstance(o, StoreError) for o in outcomes) == 1, outcomes
            assert all(
                isinstance(o, IllegalTransition) for o in outcomes if isinstance(o, StoreError)
            )
        with factory() as session:
            statuses = {o: s for o, s in session.execute(select(Order.id, Order.status))}
            shipped = [o for o in orders if statuses[o] == "shipped"]
            cancelled = [o for o in orders if statuses[o] == "cancelled"]
            assert len(shipped) + len(cancelled) == n
            assert sorted(session.scalars(select(Shipment.order_id))) == sorted(shipped)
            assert sorted(session.scalars(select(Refund.order_id))) == sorted(cancelled)
        assert level(factory, store.sku, store.warehouse) == (len(cancelled), 0)
        assert_stock_invariants(factory)

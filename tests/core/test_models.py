"""Every table round-trips through the ORM on SQLite and PostgreSQL, and the database itself
refuses rows that break the model's invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from storeloop.models import (
    ApiToken,
    Carrier,
    Category,
    Certificate,
    Customer,
    Event,
    Order,
    OrderLine,
    Payment,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Return,
    Shipment,
    Sku,
    StockLevel,
    StockMovement,
    Supplier,
    Warehouse,
)

PLACED = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)


def _store(session: Session) -> dict[str, object]:
    """One of everything, linked the way a real order is."""
    category = Category(slug="outdoor", name="户外", name_en="Outdoor")
    product = Product(category=category, name="户外防晒衣女防紫外线登山徒步", name_en="UV jacket")
    sku = Sku(
        code="UV-JKT-M-BLUE",
        name="M 蓝色",
        list_price=29900,
        cost=11000,
        weight_g=350,
        attributes={"size": "M", "colour": "蓝色"},
        is_presale=True,
    )
    product.skus.append(sku)
    product.certificates.append(
        Certificate(kind="QC report", number="QC-2026-001", valid_until=date(2027, 6, 30))
    )
    warehouse = Warehouse(
        code="HZ1", name="杭州中心仓", kind="central", province="浙江", region="east"
    )
    referrer = Customer(province="广东", city="广州", region="south", channel="social")
    customer = Customer(
        email="li@example.com",
        province="广东",
        city="深圳",
        region="south",
        birth_date=date(1995, 5, 20),
        gender="F",
        channel="search",
        signed_up_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    carrier = Carrier(code="SF", name="顺丰速运", tier="express", base_fee=1200)
    supplier = Supplier(code="SUP1", name="宁波服饰", province="浙江", lead_time_days=10)
    session.add_all([product, warehouse, referrer, customer, carrier, supplier])
    session.flush()
    customer.referred_by_id = referrer.id
    return {
        "sku": sku,
        "warehouse": warehouse,
        "customer": customer,
        "carrier": carrier,
        "supplier": supplier,
        "product": product,
    }


def test_full_store_round_trip(session: Session) -> None:
    objs = _store(session)
    sku, warehouse, customer = objs["sku"], objs["warehouse"], objs["customer"]
    assert isinstance(sku, Sku) and isinstance(warehouse, Warehouse)
    assert isinstance(customer, Customer) and isinstance(objs["carrier"], Carrier)
    order = Order(
        number="SO-1",
        customer_id=customer.id,
        status="paid",
        channel="search",
        device="ios",
        goods_amount=59800,
        discount_amount=4000,
        shipping_amount=0,
        total_amount=55800,
        ship_province="广东",
        placed_at=PLACED,
        paid_at=PLACED + timedelta(minutes=2),
    )
    order.lines.append(OrderLine(sku_id=sku.id, quantity=2, unit_price=29900, discount_amount=4000))
    order.payments.append(
        Payment(kind="full", status="succeeded", amount=55800, method="alipay", paid_at=PLACED)
    )
    session.add(order)
    session.flush()
    order.shipments.append(
        Shipment(
            carrier_id=objs["carrier"].id,  # type: ignore[attr-defined]
            warehouse_id=warehouse.id,
            status="delivered",
            insured=True,
            shipped_at=PLACED + timedelta(hours=20),
            delivered_at=PLACED + timedelta(days=2),
        )
    )
    session.add(
        Return(
            order_id=order.id,
            order_line_id=order.lines[0].id,
            quantity=1,
            reason="size",
            refund_amount=27900,
        )
    )
    session.add(StockLevel(sku_id=sku.id, warehouse_id=warehouse.id, on_hand=10, reserved=2))
    session.add(
        StockMovement(sku_id=sku.id, warehouse_id=warehouse.id, quantity=10, reason="receipt")
    )
    po = PurchaseOrder(
        number="PO-1",
        supplier_id=objs["supplier"].id,  # type: ignore[attr-defined]
        warehouse_id=warehouse.id,
        status="received",
        ordered_on=date(2026, 10, 1),
        promised_on=date(2026, 10, 11),
        received_on=date(2026, 10, 13),
    )
    po.lines.append(
        PurchaseOrderLine(
            sku_id=sku.id, quantity=100, unit_cost=11000, received_quantity=98, defective_quantity=3
        )
    )
    session.add(po)
    session.add(
        Event(
            type="search",
            occurred_at=PLACED - timedelta(minutes=5),
            visitor_id="v1",
            session_id="s1",
            customer_id=customer.id,
            channel="search",
            device="ios",
            query="防晒衣 女",
        )
    )
    session.add(ApiToken(name="ops", token_hash="a" * 64))
    session.commit()
    session.expunge_all()

    loaded = session.scalars(select(Order).where(Order.number == "SO-1")).one()
    assert loaded.placed_at == PLACED and loaded.placed_at.tzinfo is not None
    assert [(ln.quantity, ln.unit_price, ln.discount_amount) for ln in loaded.lines] == [
        (2, 29900, 4000)
    ]
    assert loaded.lines[0].line_total == 55800
    assert loaded.payments[0].amount == 55800 and loaded.shipments[0].insured is True
    loaded_sku = session.scalars(select(Sku).where(Sku.code == "UV-JKT-M-BLUE")).one()
    assert loaded_sku.attributes == {"size": "M", "colour": "蓝色"}
    assert loaded_sku.is_presale is True and loaded_sku.list_price == 29900
    assert loaded_sku.product.certificates[0].valid_until == date(2027, 6, 30)
    loaded_customer = session.scalars(select(Customer).where(Customer.gender == "F")).one()
    assert loaded_customer.birth_date == date(1995, 5, 20)
    assert loaded_customer.referred_by_id is not None
    loaded_po = session.scalars(select(PurchaseOrder)).one()
    assert loaded_po.lines[0].defective_quantity == 3
    event = session.scalars(select(Event)).one()
    assert event.query == "防晒衣 女" and event.occurred_at.tzinfo is not None


def test_times_in_other_zones_are_stored_as_utc(session: Session) -> None:
    _store(session)
    beijing = timezone(timedelta(hours=8))
    session.add(
        Event(
            type="visit",
            occurred_at=datetime(2026, 11, 11, 8, 0, tzinfo=beijing),
            visitor_id="v",
            session_id="s",
            channel="direct",
            device="pc",
        )
    )
    session.commit()
    session.expunge_all()
    assert session.scalars(select(Event.occurred_at)).one() == datetime(
        2026, 11, 11, 0, 0, tzinfo=UTC
    )


def test_naive_times_are_refused(session: Session) -> None:
    session.add(
        Event(
            type="visit",
            occurred_at=datetime(2026, 11, 11),
            visitor_id="v",
            session_id="s",
            channel="direct",
            device="pc",
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


@pytest.mark.parametrize(
    ("on_hand", "reserved"),
    [(-1, 0), (5, -1), (3, 4)],
    ids=["negative-on-hand", "negative-reserved", "over-reserved"],
)
def test_database_refuses_impossible_stock(session: Session, on_hand: int, reserved: int) -> None:
    objs = _store(session)
    session.commit()
    session.add(
        StockLevel(
            sku_id=objs["sku"].id,  # type: ignore[attr-defined]
            warehouse_id=objs["warehouse"].id,  # type: ignore[attr-defined]
            on_hand=on_hand,
            reserved=reserved,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_database_refuses_an_order_whose_total_does_not_add_up(session: Session) -> None:
    objs = _store(session)
    session.commit()
    session.add(
        Order(
            number="SO-BAD",
            customer_id=objs["customer"].id,  # type: ignore[attr-defined]
            status="paid",
            channel="search",
            goods_amount=10000,
            discount_amount=1000,
            shipping_amount=0,
            total_amount=10000,
            ship_province="广东",
            placed_at=PLACED,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_database_refuses_unknown_status_and_event_type(session: Session) -> None:
    objs = _store(session)
    session.commit()
    session.add(
        Event(
            type="teleport",
            occurred_at=PLACED,
            visitor_id="v",
            session_id="s",
            channel="direct",
            device="pc",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(
        Shipment(
            order_id=1,
            carrier_id=objs["carrier"].id,  # type: ignore[attr-defined]
            warehouse_id=objs["warehouse"].id,  # type: ignore[attr-defined]
            status="vanished",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()

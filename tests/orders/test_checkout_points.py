"""Paying with points at checkout: the points money joins the order's discount and is split
over the lines pro rata (exact to the fen), the points are spent in the checkout's transaction,
a refused checkout spends nothing, and an order closed unpaid gives them back."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Sku
from storeloop.errors import Conflict, InvalidInput, StoreError
from storeloop.inventory.models import StockLevel
from storeloop.loyalty.models import PointsEntry
from storeloop.loyalty.service import POINT_VALUE
from storeloop.orders.checkout import (
    DEFAULT_RESERVATION_TTL,
    CheckoutLine,
    IdempotencyKeyReused,
    PriceChanged,
    checkout,
    close_expired,
)
from storeloop.orders.checkout_models import IdempotencyKey, OutboxEvent
from storeloop.orders.models import Order, OrderLine
from tests.loyalty import assert_points_invariants, balance, entries, grant
from tests.orders.checkout_store import AT, LIST_PRICE, Store, assert_stock_invariants, seed

COUPON = {"id": "c7", "kind": "coupon", "amount_off": 700, "codes": [{"code": "SEVEN"}]}
START = 50_000  # points the customer holds


@pytest.fixture
def store(session_factory: sessionmaker[Session]) -> Iterator[Store]:
    shop = seed(session_factory, stock=10, skus=("TEA", "CUP"), offers=(COUPON,))
    grant(session_factory, shop.customers[0], START, at=AT)
    yield shop
    assert_points_invariants(session_factory)
    assert_stock_invariants(session_factory)


def _cup(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalars(select(Sku.id).where(Sku.code == "CUP")).one()


def _counts(factory: sessionmaker[Session]) -> tuple[int, int, int, int]:
    with factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Order)) or 0,
            session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0,
            session.scalar(select(func.sum(StockLevel.reserved))) or 0,
            session.scalar(select(func.count()).select_from(PointsEntry)) or 0,
        )


def test_points_are_spent_and_split_over_the_lines_pro_rata(
    session_factory: sessionmaker[Session], store: Store
) -> None:
    customer, cup = store.customers[0], _cup(session_factory)
    points = 1_000
    result = checkout(
        session_factory,
        customer,
        [CheckoutLine(store.sku, 1), CheckoutLine(cup, 2)],
        idempotency_key="p1",
        coupon_codes=["SEVEN"],
        at=AT,
        points=points,
    )
    assert result.priced is not None
    engine_discount = result.priced.totals.discount
    value = points * POINT_VALUE
    with session_factory() as session:
        order = session.get_one(Order, result.order.id)
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        event = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "order.created"))
        payload = event.one().payload
    goods = LIST_PRICE * 3
    assert order.goods_amount == goods
    assert (order.points_spent, order.points_amount) == (points, value)
    assert order.discount_amount == engine_discount + value
    assert order.total_amount == goods - engine_discount - value + order.shipping_amount
    assert payload["points_spent"] == points
    assert payload["discount_amount"] == order.discount_amount
    # each line's share is its net amount's share of the points money, to within a fen
    nets = [ln.unit_price * ln.quantity - (ln.discount_amount - ln.points_amount) for ln in lines]
    assert sum(ln.points_amount for ln in lines) == value
    for ln, net in zip(lines, nets, strict=True):
        assert abs(ln.points_amount - Fraction(value * net, sum(nets))) < 1
    assert sum(ln.discount_amount for ln in lines) == order.discount_amount
    assert balance(session_factory, customer) == START - points
    spend = [e for e in entries(session_factory, customer) if e.reason == "spend"]
    assert [(e.delta, e.order_id) for e in spend] == [(-points, order.id)]


def test_points_may_pay_the_goods_in_full_but_no_more(
    session_factory: sessionmaker[Session], store: Store
) -> None:
    customer = store.customers[0]
    payable = LIST_PRICE - COUPON["amount_off"]  # type: ignore[operator]
    before = _counts(session_factory)
    with pytest.raises(InvalidInput) as too_many:
        checkout(
            session_factory,
            customer,
            [CheckoutLine(store.sku, 1)],
            idempotency_key="over",
            coupon_codes=["SEVEN"],
            at=AT,
            points=payable // POINT_VALUE + 1,
        )
    assert [e.field for e in too_many.value.errors] == ["points"]
    assert _counts(session_factory) == before
    result = checkout(
        session_factory,
        customer,
        [CheckoutLine(store.sku, 1)],
        idempotency_key="full",
        coupon_codes=["SEVEN"],
        at=AT,
        points=payable // POINT_VALUE,
    )
    assert result.order.total_amount == result.order.shipping_amount
    assert balance(session_factory, customer) == START - payable // POINT_VALUE


@pytest.mark.parametrize("case", ["negative", "not_enough", "price_changed"])
def test_a_refused_checkout_spends_nothing(
    session_factory: sessionmaker[Session], store: Store, case: str
) -> None:
    customer = store.customers[0]
    before = _counts(session_factory)
    points = {"negative": -1, "not_enough": START + 1, "price_changed": 100}[case]
    quantity = 6  # goods worth more than START points: only the balance can refuse them
    # the total shown before points were taken off: checkout compares after them
    expected = LIST_PRICE * quantity if case == "price_changed" else None
    with pytest.raises(StoreError) as refused:
        checkout(
            session_factory,
            customer,
            [CheckoutLine(store.sku, quantity)],
            idempotency_key="refused",
            at=AT,
            points=points,
            expected_total=expected,
        )
    if case == "negative":
        assert isinstance(refused.value, InvalidInput)
        assert [e.field for e in refused.value.errors] == ["points"]
    elif case == "not_enough":
        assert type(refused.value) is Conflict and refused.value.field == "points"
    else:
        assert isinstance(refused.value, PriceChanged)
    assert _counts(session_factory) == before
    assert balance(session_factory, customer) == START


def test_expected_total_is_compared_after_points(
    session_factory: sessionmaker[Session], store: Store
) -> None:
    result = checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 2)],
        idempotency_key="shown",
        at=AT,
        points=300,
        expected_total=LIST_PRICE * 2 - 300 * POINT_VALUE,
    )
    assert result.order.total_amount == LIST_PRICE * 2 - 300 * POINT_VALUE


def test_points_are_part_of_the_idempotency_fingerprint(
    session_factory: sessionmaker[Session], store: Store
) -> None:
    customer = store.customers[0]

    def go(points: int) -> Order:
        return checkout(
            session_factory,
            customer,
            [CheckoutLine(store.sku, 1)],
            idempotency_key="same-key",
            at=AT,
            points=points,
        ).order

    first = go(500)
    assert go(500).id == first.id  # a replay: spent once
    assert balance(session_factory, customer) == START - 500
    with pytest.raises(IdempotencyKeyReused):
        go(600)
    with pytest.raises(IdempotencyKeyReused):
        go(0)
    assert balance(session_factory, customer) == START - 500


def test_an_order_closed_unpaid_gives_its_points_back_once(
    session_factory: sessionmaker[Session], store: Store
) -> None:
    customer = store.customers[0]
    kept = checkout(
        session_factory, customer, [CheckoutLine(store.sku, 1)], idempotency_key="a", at=AT
    ).order
    spent = checkout(
        session_factory,
        customer,
        [CheckoutLine(store.sku, 1)],
        idempotency_key="b",
        at=AT,
        points=2_000,
    ).order
    assert balance(session_factory, customer) == START - 2_000
    later = AT + DEFAULT_RESERVATION_TTL
    assert sorted(close_expired(session_factory, now=later)) == sorted([kept.id, spent.id])
    assert close_expired(session_factory, now=later) == []
    assert balance(session_factory, customer) == START
    back = [e for e in entries(session_factory, customer) if e.reason == "refund"]
    assert [(e.delta, e.order_id, e.dedupe_key) for e in back] == [
        (2_000, spent.id, f"close:order:{spent.id}")
    ]

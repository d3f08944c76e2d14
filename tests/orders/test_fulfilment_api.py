"""The fulfilment endpoints over HTTP, on SQLite and PostgreSQL: ship, deliver, complete, cancel,
returns and refunds; bad input is 422 naming the field, illegal moves 409 naming the allowed
ones, and neither changes anything."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.orders.checkout import CheckoutLine
from storeloop.orders.checkout_models import OrderStatusHistory
from storeloop.orders.fulfilment_models import Refund
from storeloop.orders.models import OrderLine, Return, Shipment
from tests.orders.checkout_store import LIST_PRICE, Store, assert_stock_invariants, seed
from tests.orders.test_fulfilment import add_carriers, count, level, place

Headers = dict[str, str]


@pytest.fixture
def store(session_factory: sessionmaker[Session]) -> Store:
    store = seed(session_factory, stock=10, customers=2)
    add_carriers(session_factory)
    return store


def _post(
    client: TestClient, headers: Headers, path: str, body: dict[str, Any] | None = None
) -> Any:
    return client.post(f"/api/v1/orders/{path}", json=body, headers=headers)


def _line(factory: sessionmaker[Session], order_id: int) -> int:
    with factory() as session:
        return session.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id)).one()


def test_ship_deliver_complete_return_and_list_refunds(
    client: TestClient,
    admin_headers: Headers,
    session_factory: sessionmaker[Session],
    store: Store,
) -> None:
    order_id = place(session_factory, store, [CheckoutLine(store.sku, 2)])

    shipped = _post(client, admin_headers, f"{order_id}/ship", {"carrier_code": "EMS"})
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert body["order"]["status"] == "shipped"
    assert body["carrier_rule"] == "named by the caller"
    (parcel,) = body["shipments"]
    assert parcel["carrier_code"] == "EMS" and parcel["tracking_number"].startswith("EMS")
    assert parcel["warehouse_id"] == store.warehouse
    assert parcel["lines"] == [{"order_line_id": _line(session_factory, order_id), "quantity": 2}]

    returned = _post(
        client,
        admin_headers,
        f"{order_id}/returns",
        {
            "order_line_id": _line(session_factory, order_id),
            "quantity": 1,
            "reason": "size",
            "restock": True,
        },
    )
    assert returned.status_code == 201, returned.text
    assert returned.json()["refund"]["amount"] == LIST_PRICE
    assert returned.json()["returned"]["restocked"] is True
    assert level(session_factory, store.sku, store.warehouse) == (9, 0)

    assert _post(client, admin_headers, f"{order_id}/deliver").json()["status"] == "delivered"
    assert _post(client, admin_headers, f"{order_id}/complete").json()["status"] == "completed"

    refunds = client.get(f"/api/v1/orders/{order_id}/refunds", headers=admin_headers)
    assert refunds.status_code == 200
    assert [(r["amount"], r["reason"]) for r in refunds.json()] == [(LIST_PRICE, "return: size")]
    detail = client.get(f"/api/v1/orders/{order_id}", headers=admin_headers).json()
    assert detail["status"] == "completed" and len(detail["returns"]) == 1
    assert_stock_invariants(session_factory)


def test_cancel_a_paid_order_refunds_it(
    client: TestClient,
    admin_headers: Headers,
    session_factory: sessionmaker[Session],
    store: Store,
) -> None:
    order_id = place(session_factory, store, [CheckoutLine(store.sku, 3)])
    response = _post(client, admin_headers, f"{order_id}/cancel", {"reason": "out of time"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["order"]["status"] == "cancelled"
    assert body["refund"]["amount"] == 3 * LIST_PRICE
    assert body["refund"]["reason"] == "cancelled before shipping: out of time"
    unpaid = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="u", paid=False)
    response = _post(client, admin_headers, f"{unpaid}/cancel")  # no body: no reason
    assert response.status_code == 200, response.text
    assert response.json()["refund"] is None
    assert level(session_factory, store.sku, store.warehouse) == (10, 0)
    assert_stock_invariants(session_factory)


def test_illegal_moves_are_409_with_the_allowed_moves_and_change_nothing(
    client: TestClient,
    admin_headers: Headers,
    session_factory: sessionmaker[Session],
    store: Store,
) -> None:
    unpaid = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="u", paid=False)
    paid = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="p")
    history = count(session_factory, OrderStatusHistory)
    for path, allowed in [
        (f"{unpaid}/ship", "cancelled, closed, deposit_paid, paid"),
        (f"{paid}/deliver", "cancelled, shipped"),
        (f"{paid}/complete", "cancelled, shipped"),
    ]:
        response = _post(client, admin_headers, path)
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "conflict" and f"it may move to {allowed}" in error["message"]
        assert error["details"][0]["field"] == "body.status"
    response = _post(
        client,
        admin_headers,
        f"{paid}/returns",
        {
            "order_line_id": _line(session_factory, paid),
            "quantity": 1,
            "reason": "size",
            "restock": True,
        },
    )
    assert response.status_code == 409 and "'paid'" in response.json()["error"]["message"]
    assert count(session_factory, OrderStatusHistory) == history
    assert count(session_factory, Shipment) == count(session_factory, Return) == 0
    assert_stock_invariants(session_factory)


def test_bad_input_is_422_naming_the_field(
    client: TestClient,
    admin_headers: Headers,
    session_factory: sessionmaker[Session],
    store: Store,
) -> None:
    paid = place(session_factory, store, [CheckoutLine(store.sku, 1)], key="p")
    line = _line(session_factory, paid)
    good = {"order_line_id": line, "quantity": 1, "reason": "size", "restock": True}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("returns", {**good, "quantity": 0}, "body.quantity"),
        ("returns", {**good, "quantity": "1"}, "body.quantity"),
        ("returns", {**good, "reason": "bored"}, "body.reason"),
        ("returns", {k: v for k, v in good.items() if k != "restock"}, "body.restock"),
        ("returns", {**good, "extra": 1}, "body.extra"),
        ("returns", {**good, "order_line_id": line + 99}, "body.order_line_id"),
        ("ship", {"carrier_code": "NOPE"}, "body.carrier_code"),
        ("ship", {"carrier_code": ""}, "body.carrier_code"),
    ]
    for path, body, field in cases:
        response = _post(client, admin_headers, f"{paid}/{path}", body)
        assert response.status_code == 422, (path, body, response.text)
        fields = [d["field"] for d in response.json()["error"]["details"]]
        assert field in fields, (body, fields)
    assert count(session_factory, Shipment) == count(session_factory, Return) == 0
    assert count(session_factory, Refund) == 0

    assert _post(client, admin_headers, "0/ship").status_code == 422  # path id
    assert _post(client, admin_headers, f"{paid + 99}/ship").status_code == 404
    assert (
        client.get(f"/api/v1/orders/{paid + 99}/refunds", headers=admin_headers).status_code == 404
    )
    assert _post(client, {}, f"{paid}/ship").status_code == 401
    assert client.get(f"/api/v1/orders/{paid}/refunds").status_code == 401
    assert_stock_invariants(session_factory)

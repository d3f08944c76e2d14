"""Checkout over HTTP: the whole storefront path, idempotency per Idempotency-Key (also under 10
concurrent identical requests), the cart marked ordered in checkout's own transaction, and every
refusal naming its field and changing nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.inventory.models import StockLevel
from storeloop.orders import carts
from storeloop.orders.cart_models import Cart
from storeloop.orders.checkout_models import IdempotencyKey, OutboxEvent
from storeloop.orders.models import Order, Payment
from tests.orders.checkout_store import LIST_PRICE, assert_stock_invariants
from tests.orders.test_cart_api import (
    COUPON,
    bearer,
    carts_by_status,
    customer_headers,
    pay,
    put_line,
    register,
    shop,
)
from tests.web.factories import assert_error

Headers = dict[str, str]


def _checkout(
    client: TestClient, headers: Headers, body: dict[str, Any], key: str | None = "k1"
) -> Any:
    if key is not None:
        headers = headers | {"Idempotency-Key": key}
    return client.post("/api/v1/checkout", json={"ship_province": "广东", **body}, headers=headers)


def _counts(factory: sessionmaker[Session]) -> tuple[int, ...]:
    with factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Order, IdempotencyKey, OutboxEvent, Payment)
        ) + tuple(session.scalars(select(StockLevel.reserved).order_by(StockLevel.sku_id)))


def test_anonymous_cart_to_paid_order_the_whole_way(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory, offers=(COUPON,))
    # a visitor fills a cart, then signs up: the cart follows them
    token = put_line(client, store.sku, 2)["cart_token"]
    client.put(
        "/api/v1/cart/coupons", json={"codes": ["ONCE-ONLY"]}, headers={"X-Cart-Token": token}
    )
    signed = register(client, "happy@example.com", cart_token=token)
    me = bearer(signed["token"])
    cart = client.get("/api/v1/cart", headers=me).json()
    assert cart["id"] == signed["merged_cart_id"]
    shown = cart["totals"]["total"]
    assert shown == 2 * LIST_PRICE - 500

    first = _checkout(client, me, {"from_cart": True, "expected_total": shown})
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "pending_payment" and order["total_amount"] == shown
    assert order["customer_id"] == signed["customer"]["id"]
    [line] = order["lines"]
    assert line["sku_id"] == store.sku and line["quantity"] == 2
    assert line["discount_amount"] == 500 and line["line_total"] == shown
    assert line["reserved"] == [
        {
            "warehouse_id": store.warehouse,
            "quantity": 2,
            "expires_at": line["reserved"][0]["expires_at"],
        }
    ]
    assert order["reservation_expires_at"] == line["reserved"][0]["expires_at"]
    assert order["next_payment"] == {"kind": "full", "amount": shown}

    # a retry with the same key is the same order, with 200; the cart is ordered, not emptied
    replay = _checkout(client, me, {"from_cart": True, "expected_total": shown})
    assert replay.status_code == 200 and replay.json() == order
    with session_factory() as session:
        ordered = session.get_one(Cart, cart["id"])
        assert (ordered.status, ordered.order_id) == ("ordered", order["id"])
        assert len(ordered.lines) == 1
    assert client.get("/api/v1/cart", headers=me).json()["lines"] == []

    # another key is another order (from lines this time)
    second = _checkout(client, me, {"lines": [{"sku_id": store.sku, "quantity": 1}]}, "k2")
    assert second.status_code == 201, second.text
    assert second.json()["id"] != order["id"] and second.json()["total_amount"] == LIST_PRICE

    # pay the first through the simulated gateway's signed callback
    paid = pay(client, me, order["id"])
    assert paid["status"] == "succeeded" and paid["amount"] == shown and not paid["replayed"]
    mine = client.get(f"/api/v1/me/orders/{order['id']}", headers=me).json()
    assert mine["status"] == "paid" and mine["paid_at"] is not None
    assert mine["next_payment"] is None and mine["reservation_expires_at"] is None
    assert [p["amount"] for p in mine["payments"]] == [shown]
    listed = client.get("/api/v1/me/orders", headers=me).json()
    assert [(o["id"], o["status"]) for o in listed["items"]] == [
        (order["id"], "paid"),
        (second.json()["id"], "pending_payment"),
    ]
    assert listed["total"] == 2
    assert_stock_invariants(session_factory)


def test_idempotency_key_is_required_and_bound_to_its_request(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    me = customer_headers(session_factory, store.customers[0])
    body = {"lines": [{"sku_id": store.sku, "quantity": 1}]}
    assert_error(
        _checkout(client, me, body, key=None), 422, "validation_error", "header.Idempotency-Key"
    )
    assert_error(
        _checkout(client, me, body, key="x" * 101),
        422,
        "validation_error",
        "header.Idempotency-Key",
    )
    assert _checkout(client, me, body).status_code == 201
    other = {"lines": [{"sku_id": store.sku, "quantity": 2}]}
    assert_error(_checkout(client, me, other), 409, "conflict", "header.Idempotency-Key")
    # keys are the customer's own: another customer's "k1" is a new order, not a clash
    them = customer_headers(session_factory, store.customers[1])
    assert _checkout(client, them, body).status_code == 201
    assert _counts(session_factory)[:2] == (2, 2)


def test_bad_requests_name_the_field_and_change_nothing(
    client: TestClient, session_factory: sessionmaker[Session], admin_headers: Headers
) -> None:
    store = shop(session_factory, stock=3)
    me = customer_headers(session_factory, store.customers[0])
    line = {"sku_id": store.sku, "quantity": 1}
    before = _counts(session_factory)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"lines": [line], "from_cart": True}, 422, "body.lines"),
        ({}, 422, "body.lines"),
        ({"from_cart": True}, 422, "body.from_cart"),  # the cart is empty
        ({"lines": []}, 422, "body.lines"),
        ({"lines": [{"sku_id": 999999, "quantity": 1}]}, 422, "body.lines[0].sku_id"),
        ({"lines": [line, {"sku_id": 999999, "quantity": 1}]}, 422, "body.lines[1].sku_id"),
        ({"lines": [{"sku_id": store.sku, "quantity": 0}]}, 422, "body.lines.0.quantity"),
        ({"lines": [line], "expected_total": 1.5}, 422, "body.expected_total"),
        ({"lines": [line], "points": -1}, 422, "body.points"),
        ({"lines": [line], "coupon_codes": ["NOPE"]}, 422, "body.coupon_codes[0]"),
        ({"lines": [line], "ship_province": ""}, 422, "body.ship_province"),
        ({"lines": [{"sku_id": store.sku, "quantity": 4}]}, 409, "body.lines[0].quantity"),
        ({"lines": [line], "expected_total": LIST_PRICE - 1}, 409, "body.expected_total"),
        ({"lines": [line], "points": 100}, 409, "body.points"),  # no points to spend
    ]
    for i, (body, status, field) in enumerate(cases):
        response = _checkout(client, me, body, key=f"bad-{i}")
        assert_error(response, status, "conflict" if status == 409 else "validation_error", field)
    client.patch(f"/api/v1/skus/{store.sku}", json={"is_active": False}, headers=admin_headers)
    response = _checkout(client, me, {"lines": [line]}, key="inactive")
    assert_error(response, 422, "validation_error", "body.lines[0].sku_id")
    assert_error(_checkout(client, {}, {"lines": [line]}), 401, "unauthorized")
    assert_error(_checkout(client, admin_headers, {"lines": [line]}), 401, "unauthorized")
    assert _counts(session_factory) == before
    # a refused request wrote no key: the client may retry with it
    client.patch(f"/api/v1/skus/{store.sku}", json={"is_active": True}, headers=admin_headers)
    assert _checkout(client, me, {"lines": [line]}, key="bad-0").status_code == 201


def test_a_used_up_coupon_is_a_conflict_naming_it(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory, offers=(COUPON,))
    alice, bob = (customer_headers(session_factory, c) for c in store.customers)
    body = {"lines": [{"sku_id": store.sku, "quantity": 1}], "coupon_codes": ["ONCE-ONLY"]}
    assert _checkout(client, alice, body).status_code == 201
    before = _counts(session_factory)
    response = _checkout(client, bob, body)
    error = assert_error(response, 409, "conflict", "body.coupon_codes[0]")
    assert "ONCE-ONLY" in error["message"]
    assert _counts(session_factory) == before


def test_ten_identical_concurrent_checkouts_place_one_order(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    me = customer_headers(session_factory, store.customers[0])
    put_line(client, store.sku, 2, me)
    responses = _together(10, lambda _: _checkout(client, me, {"from_cart": True}, "same"))
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201], [
        r.text for r in responses if r.status_code >= 300
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        assert session.scalar(select(StockLevel.reserved)) == 2
    assert sorted(carts_by_status(session_factory).values()) == ["ordered"]
    assert_stock_invariants(session_factory)


def test_one_cart_checked_out_under_ten_keys_at_once_is_ordered_once(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    me = customer_headers(session_factory, store.customers[0])
    put_line(client, store.sku, 2, me)
    responses = _together(10, lambda i: _checkout(client, me, {"from_cart": True}, f"key-{i}"))
    placed = [r for r in responses if r.status_code == 201]
    assert len(placed) == 1, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code != 201):
        # lost the race on the cart (409), or came after it was ordered (422: no open cart)
        assert refused.status_code in (409, 422), refused.text
        assert refused.json()["error"]["details"][0]["field"] == "body.from_cart"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        assert session.scalar(select(StockLevel.reserved)) == 2
    assert_stock_invariants(session_factory)


def test_a_cart_changed_during_checkout_orders_nothing(
    client: TestClient, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = shop(session_factory)
    me = customer_headers(session_factory, store.customers[0])
    put_line(client, store.sku, 1, me)
    real_checkout = carts.checkout

    def edit_then_checkout(*args: Any, **kwargs: Any) -> Any:
        # the shopper adds a unit in another tab after checkout read the cart
        put_line(client, store.sku, 3, me)
        return real_checkout(*args, **kwargs)

    monkeypatch.setattr(carts, "checkout", edit_then_checkout)
    response = _checkout(client, me, {"from_cart": True})
    assert_error(response, 409, "conflict", "body.from_cart")
    monkeypatch.setattr(carts, "checkout", real_checkout)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
        assert session.scalar(select(StockLevel.reserved)) == 0
    assert list(carts_by_status(session_factory).values()) == ["open"]
    # the same key, retried on the cart as it is now, orders the 3 units
    retry = _checkout(client, me, {"from_cart": True})
    assert retry.status_code == 201 and retry.json()["lines"][0]["quantity"] == 3


def _together(n: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(i)`` on n threads released at once (TestClient requests are thread-safe)."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))

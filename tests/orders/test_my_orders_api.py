"""My orders and paying for them over HTTP: a customer sees only their own orders (another's is
a 404, not a 403), pays through the gateway's signed callback (tampered or unsigned ones change
nothing, replays are idempotent), a presale's deposit then balance, and cancelling."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import utcnow
from storeloop.inventory.models import StockLevel, StockMovement
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.gateway import PaymentIntent, SimulatedGateway, canonical_body, sign
from storeloop.orders.models import Order, Payment
from storeloop.orders.storefront_api import get_now
from tests.orders.checkout_store import LIST_PRICE, assert_stock_invariants
from tests.orders.test_cart_api import customer_headers, pay, post_callback, shop
from tests.web.factories import assert_error

Headers = dict[str, str]


def _order(client: TestClient, headers: Headers, sku: int, key: str, quantity: int = 1) -> int:
    response = client.post(
        "/api/v1/checkout",
        json={"lines": [{"sku_id": sku, "quantity": quantity}], "ship_province": "广东"},
        headers=headers | {"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    order_id: int = response.json()["id"]
    return order_id


def _intent(client: TestClient, headers: Headers, order_id: int, **body: Any) -> PaymentIntent:
    response = client.post(
        f"/api/v1/orders/{order_id}/payments", json=body or None, headers=headers
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["callback_url"].endswith("/api/v1/payments/callback")
    return PaymentIntent(
        data["intent_id"], data["order_id"], data["kind"], data["amount"], data["currency"]
    )


def _snapshot(factory: sessionmaker[Session]) -> tuple[Any, ...]:
    with factory() as session:
        return (
            tuple(session.scalars(select(Order.status).order_by(Order.id))),
            session.scalar(select(func.count()).select_from(Payment)),
            session.scalar(select(func.count()).select_from(StockMovement)),
            session.scalar(select(func.count()).select_from(OutboxEvent)),
            tuple(
                tuple(row)
                for row in session.execute(select(StockLevel.on_hand, StockLevel.reserved))
            ),
        )


def test_customers_see_only_their_own_orders(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    alice, bob = (customer_headers(session_factory, c) for c in store.customers)
    mine = [_order(client, alice, store.sku, f"a{i}") for i in range(3)]
    theirs = _order(client, bob, store.sku, "b0")
    pay(client, alice, mine[1])

    page = client.get("/api/v1/me/orders", headers=alice, params={"limit": 2}).json()
    assert [o["id"] for o in page["items"]] == mine[:2] and page["total"] == 3
    rest = client.get("/api/v1/me/orders", headers=alice, params={"limit": 2, "offset": 2})
    assert [o["id"] for o in rest.json()["items"]] == mine[2:]
    paid = client.get("/api/v1/me/orders", headers=alice, params={"status": "paid"}).json()
    assert [o["id"] for o in paid["items"]] == [mine[1]]
    # filtering by someone else's customer id is not a filter here
    sneaky = client.get("/api/v1/me/orders", headers=alice, params={"customer_id": 2})
    assert_error(sneaky, 422, "validation_error", "query.customer_id")
    assert [o["id"] for o in client.get("/api/v1/me/orders", headers=bob).json()["items"]] == [
        theirs
    ]

    detail = client.get(f"/api/v1/me/orders/{mine[0]}", headers=alice)
    assert detail.status_code == 200 and detail.json()["customer_id"] == store.customers[0]
    # another customer's order is exactly as absent as an order that does not exist
    missing = assert_error(client.get("/api/v1/me/orders/999999", headers=alice), 404, "not_found")
    other = assert_error(client.get(f"/api/v1/me/orders/{theirs}", headers=alice), 404, "not_found")
    assert other["message"].replace(str(theirs), "N") == missing["message"].replace("999999", "N")
    for response in (
        client.post(f"/api/v1/orders/{theirs}/payments", headers=alice),
        client.post(f"/api/v1/me/orders/{theirs}/cancel", headers=alice),
    ):
        assert_error(response, 404, "not_found")
    assert_error(client.get("/api/v1/me/orders"), 401, "unauthorized")


def test_a_tampered_or_unsigned_callback_changes_nothing_and_a_replay_is_idempotent(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    me = customer_headers(session_factory, store.customers[0])
    order_id = _order(client, me, store.sku, "k", quantity=2)
    intent = _intent(client, me, order_id)
    assert (intent.kind, intent.amount) == ("full", 2 * LIST_PRICE)
    body, signature = SimulatedGateway().callback(intent, transaction_id="tx-1")
    before = _snapshot(session_factory)

    tampered = json.loads(body) | {"amount": 1}
    for bad_body, bad_signature in [
        (canonical_body(tampered), signature),  # the body changed, the signature did not
        (body, sign(body, "not-the-secret")),
        (body, ""),
        (body, None),
        (body, signature[:-1] + ("0" if signature[-1] != "0" else "1")),
    ]:
        response = post_callback(client, bad_body, bad_signature)
        error = assert_error(response, 400, "bad_request")
        assert "signature" in error["message"]
    # signed, but for the wrong amount: refused whole
    wrong = canonical_body(json.loads(body) | {"amount": 1, "transaction_id": "tx-wrong"})
    secret = SimulatedGateway().secret
    assert_error(post_callback(client, wrong, sign(wrong, secret)), 409, "conflict", "body.amount")
    garbage = b"not json"
    assert_error(
        post_callback(client, garbage, sign(garbage, secret)),
        422,
        "validation_error",
    )
    assert _snapshot(session_factory) == before

    first = post_callback(client, body, signature)
    assert first.status_code == 200 and first.json()["replayed"] is False
    after = _snapshot(session_factory)
    assert after[0] == ("paid",) and after[1] == 1
    again = post_callback(client, body, signature)
    assert again.status_code == 200 and again.json() == first.json() | {"replayed": True}
    assert _snapshot(session_factory) == after
    # paid: nothing is owed any more
    response = client.post(f"/api/v1/orders/{order_id}/payments", headers=me)
    assert_error(response, 409, "conflict", "body.kind")
    assert_stock_invariants(session_factory)


def test_a_presale_is_paid_as_deposit_then_balance_in_its_window(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    now = utcnow()
    presale = {
        "id": "presale-tea",
        "name": "定金10元抵30元",
        "kind": "presale",
        "products": {"skus": ["TEA"]},
        "deposit": 1000,
        "worth": 3000,
        "deposit_starts_at": (now - timedelta(days=1)).isoformat(),
        "deposit_ends_at": (now + timedelta(days=1)).isoformat(),
        "balance_starts_at": (now + timedelta(days=2)).isoformat(),
        "balance_ends_at": (now + timedelta(days=3)).isoformat(),
    }
    store = shop(session_factory, offers=(presale,))
    me = customer_headers(session_factory, store.customers[0])
    order_id = _order(client, me, store.sku, "pre", quantity=2)
    total = 2 * LIST_PRICE - 2 * (3000 - 1000)
    order = client.get(f"/api/v1/me/orders/{order_id}", headers=me).json()
    assert order["is_presale"] and order["total_amount"] == total
    assert order["next_payment"] == {"kind": "deposit", "amount": 2000}
    assert_error(
        client.post(f"/api/v1/orders/{order_id}/payments", json={"kind": "full"}, headers=me),
        409,
        "conflict",
        "body.kind",
    )
    pay(client, me, order_id)  # the deposit, what is due next
    order = client.get(f"/api/v1/me/orders/{order_id}", headers=me).json()
    assert order["status"] == "deposit_paid"
    assert order["next_payment"] == {"kind": "balance", "amount": total - 2000}

    # the balance is refused before its window opens ...
    intent = _intent(client, me, order_id)
    body, signature = SimulatedGateway().callback(intent)
    assert_error(post_callback(client, body, signature), 409, "conflict", "body.kind")
    # ... and taken inside it
    app.dependency_overrides[get_now] = lambda: now + timedelta(days=2, hours=1)
    try:
        response = post_callback(client, body, signature)
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 200, response.text
    order = client.get(f"/api/v1/me/orders/{order_id}", headers=me).json()
    assert order["status"] == "paid" and order["next_payment"] is None
    assert [(p["kind"], p["amount"]) for p in order["payments"]] == [
        ("deposit", 2000),
        ("balance", total - 2000),
    ]
    assert_stock_invariants(session_factory)


def test_a_customer_cancels_their_unpaid_order(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    me = customer_headers(session_factory, store.customers[0])
    order_id = _order(client, me, store.sku, "c", quantity=3)
    response = client.post(f"/api/v1/me/orders/{order_id}/cancel", headers=me)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["order"]["status"] == "cancelled" and result["refunded"] == 0
    assert result["order"]["reservation_expires_at"] is None
    with session_factory() as session:
        assert session.scalar(select(StockLevel.reserved)) == 0
    # cancelled is final
    again = client.post(f"/api/v1/me/orders/{order_id}/cancel", headers=me)
    assert_error(again, 409, "conflict")
    assert_stock_invariants(session_factory)

"""The cart over HTTP: anonymous carts by X-Cart-Token, a signed-in customer's one open cart,
live pricing by the engine (discounts with their rule, nudges, coupon status), bad input named.

Also the helpers the other storefront tests share: a seeded shop, signing customers in, paying.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Sku
from storeloop.customers.auth_service import issue_customer_token
from storeloop.db import session_scope
from storeloop.orders.cart_models import Cart, CartLine
from storeloop.orders.gateway import PaymentIntent, SimulatedGateway
from tests.orders.checkout_store import LIST_PRICE, Store, seed
from tests.web.factories import assert_error

Headers = dict[str, str]
SPEND_TIERS = {
    "id": "spend-200",
    "kind": "spend_tiers",
    "name": "满200减20",
    "tiers": [{"min_spend": 20000, "amount_off": 2000}],
}
COUPON = {"id": "c5", "kind": "coupon", "amount_off": 500, "codes": [{"code": "ONCE-ONLY"}]}


# Shared helpers


def shop(factory: sessionmaker[Session], **kwargs: Any) -> Store:
    """The checkout tests' store: SKUs TEA (and any others named) at ¥99.00, stock, customers."""
    kwargs.setdefault("stock", 10)
    kwargs.setdefault("customers", 2)
    return seed(factory, **kwargs)


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def customer_headers(factory: sessionmaker[Session], customer_id: int) -> Headers:
    """Signed in without a password (``issue_customer_token``: no argon2 cost)."""
    with session_scope(factory) as session:
        return bearer(issue_customer_token(session, customer_id))


def register(
    client: TestClient, email: str, *, cart_token: str | None = None, password: str = "secret-pw"
) -> dict[str, Any]:
    headers = {"X-Cart-Token": cart_token} if cart_token else {}
    body = {"email": email, "password": password, "name": "顾客", "province": "广东"}
    response = client.post("/api/v1/auth/register", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def put_line(
    client: TestClient, sku_id: int, quantity: int, headers: Headers | None = None
) -> dict[str, Any]:
    response = client.put(
        f"/api/v1/cart/lines/{sku_id}", json={"quantity": quantity}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def pay(
    client: TestClient, headers: Headers, order_id: int, *, transaction_id: str | None = None
) -> dict[str, Any]:
    """Start a payment as the customer, then post the simulated gateway's signed callback."""
    response = client.post(f"/api/v1/orders/{order_id}/payments", headers=headers)
    assert response.status_code == 201, response.text
    intent = response.json()
    body, signature = SimulatedGateway().callback(
        PaymentIntent(
            intent["intent_id"], order_id, intent["kind"], intent["amount"], intent["currency"]
        ),
        transaction_id=transaction_id,
    )
    response = post_callback(client, body, signature)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def post_callback(client: TestClient, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Payment-Signature"] = signature
    return client.post("/api/v1/payments/callback", content=body, headers=headers)


def carts_by_status(factory: sessionmaker[Session]) -> dict[int, str]:
    with factory() as session:
        return {id_: status for id_, status in session.execute(select(Cart.id, Cart.status))}


# Anonymous carts


def test_an_anonymous_cart_is_created_by_its_first_line_and_found_by_its_token(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    empty = client.get("/api/v1/cart")
    assert empty.status_code == 200
    assert "x-cart-token" not in empty.headers
    assert empty.json()["id"] is None and empty.json()["lines"] == []
    assert empty.json()["totals"]["total"] == 0

    response = client.put(f"/api/v1/cart/lines/{store.sku}", json={"quantity": 2})
    assert response.status_code == 200, response.text
    token = response.headers["x-cart-token"]
    cart = response.json()
    assert token.startswith("ct_") and cart["cart_token"] == token
    assert cart["customer_id"] is None
    [line] = cart["lines"]
    assert line["sku_id"] == store.sku and line["sku"] == "TEA" and line["quantity"] == 2
    assert line["unit_price"] == LIST_PRICE and line["final_amount"] == 2 * LIST_PRICE
    assert cart["totals"]["total"] == 2 * LIST_PRICE

    again = client.get("/api/v1/cart", headers={"X-Cart-Token": token})
    assert again.headers["x-cart-token"] == token
    assert again.json()["id"] == cart["id"] and again.json()["lines"] == cart["lines"]
    # the token is stored only as a hash
    with session_factory() as session:
        stored = session.scalars(select(Cart.token_hash)).one()
    assert stored is not None and token not in stored

    # another visitor (no token, or someone else's made-up token) sees an empty cart
    assert client.get("/api/v1/cart").json()["lines"] == []
    stranger = client.get("/api/v1/cart", headers={"X-Cart-Token": "ct_guess"})
    assert stranger.json()["lines"] == [] and stranger.json()["cart_token"] is None


def test_setting_removing_and_deleting_lines(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory, skus=("TEA", "CUP"))
    with session_factory() as session:
        cup = session.scalars(select(Sku.id).where(Sku.code == "CUP")).one()
    token = put_line(client, store.sku, 1)["cart_token"]
    headers = {"X-Cart-Token": token}
    put_line(client, cup, 3, headers)
    cart = put_line(client, store.sku, 4, headers)  # sets, does not add
    assert [(li["sku"], li["quantity"]) for li in cart["lines"]] == [("TEA", 4), ("CUP", 3)]
    cart = put_line(client, store.sku, 0, headers)
    assert [li["sku"] for li in cart["lines"]] == ["CUP"]
    response = client.delete(f"/api/v1/cart/lines/{cup}", headers=headers)
    assert response.status_code == 200 and response.json()["lines"] == []
    # deleting what is not there is not an error
    assert client.delete(f"/api/v1/cart/lines/{cup}", headers=headers).status_code == 200
    with session_factory() as session:
        assert session.scalars(select(CartLine)).all() == []


def test_the_cart_is_priced_live_with_discounts_nudges_and_coupon_status(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory, offers=(SPEND_TIERS, COUPON))
    cart = put_line(client, store.sku, 2)
    token = cart["cart_token"]
    # ¥198 is ¥2 short of 满200减20: the engine's nudge says so
    [nudge] = cart["nudges"]
    assert nudge["offer"] == "spend-200" and nudge["add_amount"] == 200
    assert nudge["unlocks"] == 2000 and nudge["message_zh"]
    response = client.put(
        "/api/v1/cart/coupons",
        json={"codes": ["ONCE-ONLY", "NOPE"]},
        headers={"X-Cart-Token": token},
    )
    assert response.status_code == 200, response.text
    cart = response.json()
    assert cart["coupons"] == [
        {"code": "ONCE-ONLY", "applied": True, "reason": None, "detail": None},
        {
            "code": "NOPE",
            "applied": False,
            "reason": "unknown_code",
            "detail": "no coupon has this code",
        },
    ]
    [applied] = cart["applied"]
    assert applied["offer"] == "c5" and applied["amount"] == 500 and applied["rule"]
    [line] = cart["lines"]
    assert [d["offer"] for d in line["discounts"]] == ["c5"]
    assert cart["totals"]["total"] == 2 * LIST_PRICE - 500
    assert "margin_flags" not in cart and "cost" not in str(cart["lines"])

    cart = put_line(client, store.sku, 3, {"X-Cart-Token": token})
    assert {a["offer"] for a in cart["applied"]} == {"c5", "spend-200"}
    assert cart["totals"]["total"] == 3 * LIST_PRICE - 500 - 2000


def test_bad_input_names_the_field_and_changes_nothing(
    client: TestClient, session_factory: sessionmaker[Session], admin_headers: Headers
) -> None:
    store = shop(session_factory)
    for body, field in [
        ({"quantity": -1}, "body.quantity"),
        ({"quantity": 1000}, "body.quantity"),
        ({"quantity": "2"}, "body.quantity"),
        ({"quantity": 1.5}, "body.quantity"),
        ({}, "body.quantity"),
        ({"quantity": 1, "price": 1}, "body.price"),
    ]:
        response = client.put(f"/api/v1/cart/lines/{store.sku}", json=body)
        assert_error(response, 422, "validation_error", field)
    assert_error(
        client.put("/api/v1/cart/lines/999999", json={"quantity": 1}),
        422,
        "validation_error",
        "path.sku_id",
    )
    assert_error(
        client.put("/api/v1/cart/lines/0", json={"quantity": 1}),
        422,
        "validation_error",
        "path.sku_id",
    )
    client.patch(f"/api/v1/skus/{store.sku}", json={"is_active": False}, headers=admin_headers)
    response = client.put(f"/api/v1/cart/lines/{store.sku}", json={"quantity": 1})
    error = assert_error(response, 422, "validation_error", "path.sku_id")
    assert "not on sale" in error["message"] or "not on sale" in str(error["details"])
    assert_error(
        client.put("/api/v1/cart/coupons", json={"codes": ["A"] * 11}),
        422,
        "validation_error",
        "body.codes",
    )
    assert carts_by_status(session_factory) == {}


def test_a_signed_in_customer_has_one_cart_and_tokens_are_checked(
    client: TestClient, session_factory: sessionmaker[Session], admin_headers: Headers
) -> None:
    store = shop(session_factory)
    alice, bob = (customer_headers(session_factory, c) for c in store.customers)
    anonymous = put_line(client, store.sku, 5)["cart_token"]
    cart = put_line(client, store.sku, 1, alice)
    assert cart["customer_id"] == store.customers[0] and cart["cart_token"] is None
    # a signed-in customer's requests use their cart, whatever X-Cart-Token says
    response = client.get("/api/v1/cart", headers=alice | {"X-Cart-Token": anonymous})
    assert "x-cart-token" not in response.headers
    assert response.json()["id"] == cart["id"] and response.json()["lines"][0]["quantity"] == 1
    assert client.get("/api/v1/cart", headers=bob).json()["lines"] == []
    # an admin token is not a customer; a bad token is refused, not treated as anonymous
    for headers in (admin_headers, bearer("sc_nope"), {"Authorization": "Basic x"}):
        assert_error(client.get("/api/v1/cart", headers=headers), 401, "unauthorized")

"""Customer sign-up and sign-in: argon2 passwords, sc_ bearer tokens kept apart from admin
tokens, and the anonymous cart merged at sign-in exactly once, even when two sign-ins race."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Sku
from storeloop.customers.auth_models import CustomerCredential, CustomerToken
from storeloop.customers.auth_service import (
    TOKEN_TTL,
    authenticate_customer,
    issue_customer_token,
    sign_in,
)
from storeloop.customers.models import Customer
from storeloop.db import session_scope, utcnow
from storeloop.orders.cart_models import Cart, CartLine
from tests.orders.checkout_store import race, wide_factory
from tests.orders.test_cart_api import bearer, carts_by_status, put_line, register, shop
from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]


def _sign_in(client: TestClient, email: str, password: str, **headers: str) -> Any:
    return client.post(
        "/api/v1/auth/sign-in", json={"email": email, "password": password}, headers=headers
    )


def test_register_creates_the_customer_and_signs_them_in(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    signed = register(client, "Mei@Example.com")
    assert signed["token"].startswith("sc_") and signed["merged_cart_id"] is None
    customer = signed["customer"]
    assert customer["email"] == "mei@example.com"
    assert customer["province"] == "广东" and customer["region"] == "south"
    me = client.get("/api/v1/me", headers=bearer(signed["token"]))
    assert me.status_code == 200 and me.json()["id"] == customer["id"]
    with session_factory() as session:
        credential = session.get_one(CustomerCredential, customer["id"])
        token = session.scalars(select(CustomerToken)).one()
    assert credential.password_hash.startswith("$argon2id$")
    assert "secret-pw" not in credential.password_hash
    assert token.token_hash != signed["token"] and len(token.token_hash) == 64
    assert token.expires_at - token.created_at == TOKEN_TTL

    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "mei@example.com",
            "password": "another-pw",
            "name": "x",
            "province": "北京",
        },
    )
    assert_error(response, 409, "conflict", "body.email")


def test_registration_input_is_checked_field_by_field(client: TestClient) -> None:
    good = {"email": "a@example.com", "password": "longenough", "name": "A", "province": "广东"}
    for change, field in [
        ({"password": "short"}, "body.password"),
        ({"email": "not-an-email"}, "body.email"),
        ({"name": "  "}, "body.name"),
        ({"province": "Atlantis"}, "body.region"),  # no region given, none known
        ({"extra": 1}, "body.extra"),
    ]:
        response = client.post("/api/v1/auth/register", json=good | change)
        assert_error(response, 422, "validation_error", field)
    response = client.post("/api/v1/auth/register", json={"email": "b@example.com"})
    error = assert_error(response, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"body.password", "body.name", "body.province"}
    outside = good | {"province": "Atlantis", "region": "overseas"}
    assert client.post("/api/v1/auth/register", json=outside).status_code == 201


def test_sign_in_refuses_wrong_passwords_and_unknown_emails_alike(
    client: TestClient, admin_headers: Headers
) -> None:
    register(client, "li@example.com", password="right-password")
    ok = _sign_in(client, "LI@example.com", "right-password")
    assert ok.status_code == 200 and ok.json()["token"].startswith("sc_")
    seeded = factories.customer(client, admin_headers, email="seed@example.com")
    wrong = [
        _sign_in(client, "li@example.com", "wrong-password"),
        _sign_in(client, "nobody@example.com", "right-password"),
        _sign_in(client, "seed@example.com", "anything-at-all"),  # seeded: no password yet
    ]
    messages = {assert_error(r, 401, "unauthorized")["message"] for r in wrong}
    assert messages == {"wrong email or password"}

    # the admin sets the seeded customer's password; then they can sign in
    path = f"/api/v1/customers/{seeded['id']}/password"
    assert_error(client.put(path, json={"password": "x" * 10}), 401, "unauthorized")
    assert_error(
        client.put(path, json={"password": "short"}, headers=admin_headers),
        422,
        "validation_error",
        "body.password",
    )
    response = client.put(path, json={"password": "seeded-pw-1"}, headers=admin_headers)
    assert response.status_code == 200 and response.json()["id"] == seeded["id"]
    first = _sign_in(client, "seed@example.com", "seeded-pw-1")
    assert first.status_code == 200
    token = first.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    # a new password revokes the tokens signed in with the old one
    client.put(path, json={"password": "seeded-pw-2"}, headers=admin_headers)
    assert_error(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_customer_and_admin_tokens_do_not_open_each_others_doors(
    client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> None:
    token = register(client, "wu@example.com")["token"]
    customer = bearer(token)
    for path in ("/api/v1/orders", "/api/v1/customers", "/api/v1/offers"):
        assert_error(client.get(path, headers=customer), 401, "unauthorized")
    for path in ("/api/v1/me", "/api/v1/me/orders"):
        assert_error(client.get(path, headers=admin_headers), 401, "unauthorized")
        assert_error(client.get(path), 401, "unauthorized")
        assert_error(client.get(path, headers=bearer("sc_made-up")), 401, "unauthorized")
    response = client.get("/api/v1/me", headers=admin_headers)
    assert response.headers["www-authenticate"] == "Bearer"
    # sign out: that token stops working at once
    assert client.post("/api/v1/auth/sign-out", headers=customer).status_code == 204
    assert_error(client.get("/api/v1/me", headers=customer), 401, "unauthorized")


def test_issued_tokens_expire_and_need_no_password(
    session_factory: sessionmaker[Session],
) -> None:
    store = shop(session_factory)
    customer = store.customers[0]
    with session_scope(session_factory) as session:
        live = issue_customer_token(session, customer)
        old = issue_customer_token(session, customer, now=utcnow() - TOKEN_TTL - timedelta(1))
    with session_factory() as session:
        assert authenticate_customer(session, live) == customer
        assert authenticate_customer(session, old) is None
        assert authenticate_customer(session, "sl_" + live[3:]) is None


def test_signing_in_merges_the_anonymous_cart(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory, skus=("TEA", "CUP"))
    with session_factory() as session:
        cup = session.scalars(select(Sku.id).where(Sku.code == "CUP")).one()
    signed = register(client, "zhao@example.com", password="zhao-password")
    customer = bearer(signed["token"])
    put_line(client, store.sku, 1, customer)
    anonymous = put_line(client, store.sku, 2)["cart_token"]
    put_line(client, cup, 1, {"X-Cart-Token": anonymous})
    client.put(
        "/api/v1/cart/coupons", json={"codes": ["WELCOME"]}, headers={"X-Cart-Token": anonymous}
    )

    response = _sign_in(client, "zhao@example.com", "zhao-password", **{"X-Cart-Token": anonymous})
    assert response.status_code == 200, response.text
    merged = response.json()
    cart = client.get("/api/v1/cart", headers=bearer(merged["token"])).json()
    assert merged["merged_cart_id"] == cart["id"]
    assert [(li["sku_id"], li["quantity"]) for li in cart["lines"]] == [
        (store.sku, 3),  # quantities add
        (cup, 1),
    ]
    assert [c["code"] for c in cart["coupons"]] == ["WELCOME"]
    statuses = carts_by_status(session_factory)
    assert sorted(statuses.values()) == ["merged", "open"]
    # the anonymous token now finds nothing, and signing in again merges nothing
    assert client.get("/api/v1/cart", headers={"X-Cart-Token": anonymous}).json()["lines"] == []
    again = _sign_in(client, "zhao@example.com", "zhao-password", **{"X-Cart-Token": anonymous})
    assert again.json()["merged_cart_id"] is None
    cart = client.get("/api/v1/cart", headers=customer).json()
    assert [li["quantity"] for li in cart["lines"]] == [3, 1]


def test_two_sign_ins_with_one_cart_token_merge_it_once(
    client: TestClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    store = shop(session_factory)
    register(client, "race@example.com", password="race-password")
    tokens = [put_line(client, store.sku, 2)["cart_token"] for _ in range(3)]
    with wide_factory(engine) as factory:
        # each cart token raced by two sign-ins of the same customer: 6 threads at once
        results = race(
            6,
            lambda i: sign_in(
                factory, "race@example.com", "race-password", cart_token=tokens[i // 2]
            ),
        )
    merged = [r.merged_cart_id for r in results if not isinstance(r, Exception)]
    assert len(merged) == 6, results
    assert sum(m is not None for m in merged) == 3  # one merge per anonymous cart
    with session_factory() as session:
        [cart] = session.scalars(select(Cart).where(Cart.status == "open")).all()
        quantities = session.scalars(select(CartLine.quantity).where(CartLine.cart_id == cart.id))
        assert list(quantities) == [6]  # 3 carts × 2 units, each counted once
        merged_into = session.scalars(
            select(Cart.merged_into_id).where(Cart.status == "merged")
        ).all()
        assert merged_into == [cart.id] * 3


CUSTOMER_ONLY = [
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/auth/sign-out"),
    ("POST", "/api/v1/checkout"),
    ("POST", "/api/v1/orders/1/payments"),
    ("GET", "/api/v1/me/orders"),
    ("GET", "/api/v1/me/orders/1"),
    ("POST", "/api/v1/me/orders/1/cancel"),
]


def test_every_customer_endpoint_refuses_anonymous_admin_and_bad_tokens(
    app: FastAPI, client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> None:
    published = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for method, path in CUSTOMER_ONLY:
        assert (method, path.replace("/1", "/{order_id}")) in published
    with session_scope(session_factory) as session:
        customer = _new_customer(session)
        revoked = issue_customer_token(session, customer)
        expired = issue_customer_token(session, customer, now=utcnow() - 2 * TOKEN_TTL)
    client.post("/api/v1/auth/sign-out", headers=bearer(revoked))
    for headers in (
        {},
        admin_headers,
        bearer("sc_not-a-token"),
        bearer(revoked),
        bearer(expired),
        {"Authorization": "Basic abc"},
    ):
        for method, path in CUSTOMER_ONLY:
            response = client.request(
                method, path, headers=headers | {"Idempotency-Key": "k"}, json={}
            )
            error = assert_error(response, 401, "unauthorized")
            assert error["details"] == []
            assert response.headers["www-authenticate"] == "Bearer"


def _new_customer(session: Session) -> int:
    customer = Customer(province="广东", region="south", channel="search")
    session.add(customer)
    session.flush()
    return customer.id

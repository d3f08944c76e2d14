"""Who may call what: admin endpoints refuse anonymous, bad and revoked tokens with 401 and the
error body; catalogue reads are public."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from storeloop.auth.service import authenticate, revoke_token
from storeloop.db import session_scope
from tests.web import factories
from tests.web.factories import assert_error

PUBLIC_READS = {
    "/api/v1/categories",
    "/api/v1/categories/{category_id}",
    "/api/v1/products",
    "/api/v1/products/{product_id}",
    "/api/v1/skus",
    "/api/v1/skus/{sku_id}",
}


# The storefront's own routes: public (sign-up, the anonymous cart, the gateway's callback) or
# for customer tokens, which tests/customers/test_sign_in.py checks route by route.
SHOPPER_TAGS = {"customer sign-in", "cart", "checkout", "payments", "my orders"}


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) under /api/v1 but the storefront's, as the OpenAPI document
    publishes them."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in operations.items()
        if not set(operation.get("tags", ())) <= SHOPPER_TAGS
    )


def test_every_admin_endpoint_refuses_missing_bad_and_revoked_tokens(
    app: FastAPI,
    client: TestClient,
    admin_token: str,
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        token = authenticate(session, admin_token)
        assert token is not None
        revoke_token(session, token.id)
    admin_routes = [(m, p) for m, p in _api_routes(app) if not (m == "GET" and p in PUBLIC_READS)]
    assert len(admin_routes) >= 20
    assert ("PUT", "/api/v1/customers/{customer_id}/password") in admin_routes
    bad_headers = [
        {},
        {"Authorization": "Bearer sl_not-a-token"},
        {"Authorization": "Bearer sc_a-customer-token-is-not-an-admin-token"},
        {"Authorization": f"Bearer {admin_token}"},  # revoked above
        {"Authorization": f"Basic {admin_token}"},
    ]
    for method, path in admin_routes:
        url = re.sub(r"\{\w+\}", "1", path)
        for headers in bad_headers:
            response = client.request(method, url, headers=headers, json={})
            error = assert_error(response, 401, "unauthorized")
            assert error["details"] == []
            assert response.headers["www-authenticate"] == "Bearer"


def test_catalogue_reads_are_public_but_a_bad_token_is_still_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    sku = factories.sku(client, admin_headers)
    for path in (
        "/api/v1/categories",
        "/api/v1/products",
        f"/api/v1/products/{sku['product_id']}",
        "/api/v1/skus",
        f"/api/v1/skus/{sku['id']}",
    ):
        assert client.get(path).status_code == 200, path
        assert_error(
            client.get(path, headers={"Authorization": "Bearer nope"}), 401, "unauthorized"
        )


def test_cost_is_shown_to_admins_only(client: TestClient, admin_headers: dict[str, str]) -> None:
    sku = factories.sku(client, admin_headers, cost=1234)
    assert sku["cost"] == 1234
    public = [
        client.get(f"/api/v1/skus/{sku['id']}").json(),
        client.get("/api/v1/skus").json()["items"][0],
        client.get(f"/api/v1/products/{sku['product_id']}").json()["skus"][0],
    ]
    assert [s["cost"] for s in public] == [None, None, None]
    assert [s["list_price"] for s in public] == [9900, 9900, 9900]
    admin = client.get(f"/api/v1/skus/{sku['id']}", headers=admin_headers).json()
    assert admin["cost"] == 1234


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/customers", "/api/v1/events"])
def test_a_refused_request_leaks_no_data(
    client: TestClient, admin_headers: dict[str, str], path: str
) -> None:
    factories.customer(client, admin_headers, email="secret@example.com")
    response = client.get(path)
    assert_error(response, 401, "unauthorized")
    assert "secret" not in response.text and "items" not in response.text


def test_a_signed_in_shopper_browses_the_catalogue_with_their_token(
    client: TestClient, admin_headers: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    from storeloop.customers.auth_service import issue_customer_token

    customer = factories.customer(client, admin_headers)
    with session_scope(session_factory) as session:
        token = issue_customer_token(session, customer["id"])
    shopper = {"Authorization": f"Bearer {token}"}
    sku = factories.sku(client, admin_headers)
    read = client.get(f"/api/v1/skus/{sku['id']}", headers=shopper)
    assert read.status_code == 200 and read.json()["cost"] is None  # the public view
    assert_error(client.get("/api/v1/orders", headers=shopper), 401, "unauthorized")

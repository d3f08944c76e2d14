"""Stored pricing settings (stacking policy, shipping rule) and category offers covering
subcategories — through the admin API and checkout, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import session_scope
from storeloop.orders.checkout import CheckoutLine, checkout
from storeloop.pricing.schemas import Policy, Shipping
from storeloop.pricing.store_settings import save_pricing_settings
from tests.orders.checkout_store import AT, LIST_PRICE, seed
from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]
WHEN = "2025-06-18T10:00:00+08:00"


def _preview(client: TestClient, headers: Headers, sku: str, quantity: int = 1) -> Any:
    body = {"cart": {"lines": [{"sku": sku, "quantity": quantity}]}, "at": WHEN}
    response = client.post("/api/v1/pricing/preview", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["priced"]


def test_stored_shipping_rule_prices_previews_until_replaced(
    client: TestClient, admin_headers: Headers
) -> None:
    sku = factories.sku(client, admin_headers, list_price=5000)
    assert client.get("/api/v1/pricing/settings", headers=admin_headers).json()["shipping"] == {
        "fee": 0,
        "free_threshold": None,
    }
    settings = {
        "policy": {"max_coupons": 2, "max_order_discount_bp": 5000},
        "shipping": {"fee": 800, "free_threshold": 9900},
    }
    put = client.put("/api/v1/pricing/settings", json=settings, headers=admin_headers)
    assert put.status_code == 200, put.text
    read = client.get("/api/v1/pricing/settings", headers=admin_headers).json()
    assert read["policy"]["max_coupons"] == 2 and read["shipping"]["fee"] == 800

    one = _preview(client, admin_headers, sku["code"])  # ¥50 of goods: under the ¥99 line
    assert one["totals"]["shipping"] == 800 and one["totals"]["total"] == 5000 + 800
    two = _preview(client, admin_headers, sku["code"], 2)  # ¥100: free
    assert two["totals"]["shipping"] == 0 and two["totals"]["total"] == 10000


def test_bad_settings_are_refused_naming_the_field_and_change_nothing(
    client: TestClient, admin_headers: Headers
) -> None:
    good = {"policy": {}, "shipping": {"fee": 500}}
    assert client.put("/api/v1/pricing/settings", json=good, headers=admin_headers).is_success
    bad = {"policy": {"max_coupons": 1}, "shipping": {"fee": -1}}
    response = client.put("/api/v1/pricing/settings", json=bad, headers=admin_headers)
    assert_error(response, 422, "validation_error", "body.shipping.fee")
    assert client.get("/api/v1/pricing/settings", headers=admin_headers).json()["shipping"] == {
        "fee": 500,
        "free_threshold": None,
    }
    assert client.get("/api/v1/pricing/settings").status_code == 401


def test_category_offer_covers_subcategories_but_not_siblings(
    client: TestClient, admin_headers: Headers
) -> None:
    apparel = factories.category(client, admin_headers, slug="apparel")
    tees = factories.category(client, admin_headers, slug="tees", parent_id=apparel["id"])
    v_necks = factories.category(client, admin_headers, slug="v-necks", parent_id=tees["id"])
    tea = factories.category(client, admin_headers, slug="tea")
    shirt = factories.sku(
        client,
        admin_headers,
        product_id=factories.product(client, admin_headers, category_id=v_necks["id"])["id"],
        list_price=10000,
    )
    leaves = factories.sku(
        client,
        admin_headers,
        product_id=factories.product(client, admin_headers, category_id=tea["id"])["id"],
        list_price=10000,
    )
    offer = {
        "id": "apparel-20",
        "kind": "quantity_tiers",
        "products": {"categories": ["apparel"]},
        "tiers": [{"min_quantity": 2, "percent_off_bp": 2000}],
    }
    created = factories.create(client, admin_headers, "offers", offer)
    assert created["definition"]["products"]["categories"] == ["apparel"]  # as written

    on_shirt = _preview(client, admin_headers, shirt["code"], 2)
    assert on_shirt["totals"]["discount"] == 2 * 10000 * 2000 // 10000
    assert [a["offer"] for a in on_shirt["applied"]] == ["apparel-20"]
    assert _preview(client, admin_headers, leaves["code"], 2)["totals"]["discount"] == 0


def test_checkout_charges_the_stored_shipping_fee(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=5)
    with session_scope(session_factory) as session:
        save_pricing_settings(
            session, Policy(), Shipping(fee=1200, free_threshold=LIST_PRICE * 2), at=AT
        )
    one = checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 1)],
        idempotency_key="ship-1",
        at=AT,
    ).order
    assert (one.shipping_amount, one.total_amount) == (1200, LIST_PRICE + 1200)
    two = checkout(
        session_factory,
        store.customers[0],
        [CheckoutLine(store.sku, 2)],
        idempotency_key="ship-2",
        at=AT,
    ).order
    assert (two.shipping_amount, two.total_amount) == (0, 2 * LIST_PRICE)

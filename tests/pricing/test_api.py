"""The offers API and the pricing preview over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storeloop.pricing import Cart, Customer, OffersDocument, price_cart
from storeloop.pricing.schemas import parse_offer
from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]

AT = "2025-06-18T10:00:00+08:00"
COUPON: dict[str, Any] = {"id": "c10", "kind": "coupon", "min_spend": 20000, "amount_off": 1000}
TIERS: dict[str, Any] = {
    "id": "tea-2-3",
    "kind": "quantity_tiers",
    "name": "买2件9折，买3件8折",
    "products": {"categories": ["tea"]},
    "tiers": [
        {"min_quantity": 2, "percent_off_bp": 1000},
        {"min_quantity": 3, "percent_off_bp": 2000},
    ],
}


CATALOGUE: dict[str, dict[str, Any]] = {
    "TEA": {"name": "绿茶", "list_price": 9900, "cost": 4000, "category": "tea", "tags": ["green"]},
    "CUP": {"name": "茶杯", "list_price": 3500, "cost": 1000, "category": "ware", "tags": []},
}


@pytest.fixture
def store(client: TestClient, admin_headers: Headers) -> dict[str, Any]:
    """The catalogue above and a customer, made through the API."""
    made: dict[str, Any] = {"customer": factories.customer(client, admin_headers)}
    for code, info in CATALOGUE.items():
        category = factories.category(client, admin_headers, slug=info["category"])
        made[f"{code}-product"] = factories.product(
            client, admin_headers, category_id=category["id"], tags=info["tags"]
        )
        made[code] = factories.sku(
            client,
            admin_headers,
            product_id=made[f"{code}-product"]["id"],
            code=code,
            name=info["name"],
            list_price=info["list_price"],
            cost=info["cost"],
        )
    return made


def _create(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    return factories.create(client, headers, "offers", body)


def test_offer_crud_round_trip(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    created = _create(client, admin_headers, {**TIERS, "ends_at": "2025-06-19T00:00:00+08:00"})
    assert created["code"] == "tea-2-3" and created["level"] == "shop"
    assert created["ends_at"] == "2025-06-18T16:00:00Z"
    assert created["definition"] == parse_offer(
        {**TIERS, "ends_at": "2025-06-19T00:00:00+08:00"}
    ).model_dump(mode="json")
    assert created["usage"]["uses"] == 0 and created["usage"]["max_uses"] is None
    path = f"/api/v1/offers/{created['id']}"
    assert client.get(path, headers=admin_headers).json() == created

    patched = client.patch(path, json={"max_uses": 500, "name": "多件多折"}, headers=admin_headers)
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "多件多折" and body["usage"]["max_uses"] == 500
    assert body["definition"]["tiers"] == TIERS["tiers"]

    listed = client.get(
        "/api/v1/offers", params={"active_at": AT, "kind": "quantity_tiers"}, headers=admin_headers
    ).json()
    assert [o["code"] for o in listed["items"]] == ["tea-2-3"] and listed["total"] == 1
    after = client.get(
        "/api/v1/offers", params={"active_at": "2025-06-19T00:00:00+08:00"}, headers=admin_headers
    ).json()
    assert after["total"] == 0

    stopped = client.post(f"{path}/deactivate", headers=admin_headers)
    assert stopped.status_code == 200 and stopped.json()["is_active"] is False
    assert stopped.json()["deactivated_at"] is not None
    assert_error(client.patch(path, json={"name": "x"}, headers=admin_headers), 409, "conflict")
    assert_error(client.get("/api/v1/offers/999", headers=admin_headers), 404, "not_found")
    assert_error(client.get("/api/v1/offers"), 401, "unauthorized")
    assert_error(client.post("/api/v1/pricing/preview", json={"cart": {}}), 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TIERS, "kind": "half_price"}, "body.kind"),
        ({**TIERS, "tiers": list(reversed(TIERS["tiers"]))}, "body.tiers[1].min_quantity"),
        ({**TIERS, "products": {"skus": ["NO-SUCH"]}}, "body.products.skus[0]"),
        (
            {**TIERS, "tiers": [{"min_quantity": 2, "percent_off_bp": 10.5}]},
            "body.tiers[0].percent_off_bp",
        ),
        ({**TIERS, "misspelt_field": 1}, "body.misspelt_field"),
    ],
)
def test_a_bad_offer_is_a_422_naming_offer_and_field_and_nothing_is_stored(
    client: TestClient,
    admin_headers: Headers,
    store: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    error = assert_error(
        client.post("/api/v1/offers", json=body, headers=admin_headers),
        422,
        "validation_error",
        field,
    )
    assert error["details"][0]["message"].startswith("offer 'tea-2-3': ")
    assert client.get("/api/v1/offers", headers=admin_headers).json()["total"] == 0


def test_a_taken_offer_id_is_a_409_naming_id(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    _create(client, admin_headers, TIERS)
    response = client.post("/api/v1/offers", json=TIERS, headers=admin_headers)
    assert_error(response, 409, "conflict", "body.id")


def test_coupon_batches_return_their_codes_and_list_them(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    coupon = _create(client, admin_headers, {"id": "c10", "kind": "coupon", "amount_off": 1000})
    path = f"/api/v1/offers/{coupon['id']}/coupons"
    batch = client.post(path, json={"count": 5, "prefix": "618-"}, headers=admin_headers)
    assert batch.status_code == 201, batch.text
    codes = [c["code"] for c in batch.json()["codes"]]
    assert len(set(codes)) == 5 and all(c.startswith("618-") for c in codes)
    customer_id = store["customer"]["id"]
    bound = client.post(path, json={"customer_ids": [customer_id]}, headers=admin_headers).json()
    assert bound["codes"][0]["customer_id"] == customer_id

    listed = client.get(path, params={"limit": 2}, headers=admin_headers).json()
    assert listed["total"] == 6 and [c["code"] for c in listed["items"]] == codes[:2]
    mine = client.get(path, params={"customer_id": customer_id}, headers=admin_headers).json()
    assert [c["code"] for c in mine["items"]] == [bound["codes"][0]["code"]]

    both = client.post(path, json={"count": 1, "customer_ids": [1]}, headers=admin_headers)
    assert_error(both, 422, "validation_error", "body")
    too_many = client.post(path, json={"count": 10_001}, headers=admin_headers)
    assert_error(too_many, 422, "validation_error", "body.count")
    tiers = _create(client, admin_headers, TIERS)
    not_coupon = client.post(
        f"/api/v1/offers/{tiers['id']}/coupons", json={"count": 1}, headers=admin_headers
    )
    assert_error(not_coupon, 409, "conflict")


def test_preview_equals_price_cart_on_the_same_inputs(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    _create(client, admin_headers, TIERS)
    coupon = _create(client, admin_headers, COUPON)
    batch = client.post(
        f"/api/v1/offers/{coupon['id']}/coupons", json={"count": 1}, headers=admin_headers
    ).json()
    code = batch["codes"][0]["code"]
    draft = {
        "id": "green-gold",
        "kind": "member_price",
        "customers": {"tiers": ["gold"]},
        "products": {"tags": ["green"]},
        "percent_off_bp": 500,
    }
    request = {
        "cart": {
            "lines": [
                {"sku_id": store["TEA"]["id"], "quantity": 3},
                {"sku": "CUP", "quantity": 1},
            ],
            "coupon_codes": [code],
        },
        "draft_offers": [draft],
        "at": AT,
        "customer_id": store["customer"]["id"],
        "tier": "gold",
        "shipping": {"fee": 1000, "free_threshold": 9900},
    }
    response = client.post("/api/v1/pricing/preview", json=request, headers=admin_headers)
    assert response.status_code == 200, response.text
    result = response.json()

    expected = price_cart(
        Cart.model_validate(
            {
                "catalogue": CATALOGUE,
                "lines": [{"sku": "TEA", "quantity": 3}, {"sku": "CUP", "quantity": 1}],
                "coupon_codes": [code],
            }
        ),
        OffersDocument.model_validate(
            {
                "shipping": {"fee": 1000, "free_threshold": 9900},
                "offers": [
                    TIERS,
                    {**COUPON, "codes": [{"code": code}]},
                    draft,
                ],
                "usage": {"c10": {"code_uses": {code: 0}}},
            }
        ),
        at=datetime.fromisoformat(AT).astimezone(UTC),  # the API answers in UTC
        customer=Customer(id=str(store["customer"]["id"]), tier="gold", new_customer=True),
    )
    assert result["priced"] == expected.to_json()
    assert {a["offer"] for a in result["priced"]["applied"]} == {"green-gold", "tea-2-3", "c10"}

    inputs = result["inputs"]  # what `storeloop price` would be given, giving the same answer
    again = price_cart(
        Cart.model_validate(inputs["cart"]),
        OffersDocument.model_validate(inputs["offers"]),
        at=datetime.fromisoformat(inputs["at"]),
        customer=Customer.model_validate(inputs["customer"]),
    )
    assert again.to_json() == result["priced"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"draft_offers": [{**TIERS, "tiers": [{"min_quantity": 2, "percent_off_bp": -5}]}]},
            "body.draft_offers[0].tiers[0].percent_off_bp",
        ),
        (
            {"draft_offers": [{**TIERS, "products": {"categories": ["teaa"]}}]},
            "body.draft_offers[0].products.categories[0]",
        ),
        ({"cart": {"lines": [{"sku_id": 987_654, "quantity": 1}]}}, "body.cart.lines[0].sku_id"),
        ({"cart": {"lines": [{"sku": "CUP", "quantity": 0}]}}, "body.cart.lines.0.quantity"),
        ({"customer_id": 987_654}, "body.customer_id"),
        ({"at": "2025-06-18T10:00:00"}, "body.at"),
    ],
)
def test_preview_refuses_bad_input_naming_the_field(
    client: TestClient,
    admin_headers: Headers,
    store: dict[str, Any],
    change: dict[str, Any],
    field: str,
) -> None:
    request = {"cart": {"lines": [{"sku": "CUP", "quantity": 1}]}, "at": AT, **change}
    response = client.post("/api/v1/pricing/preview", json=request, headers=admin_headers)
    assert_error(response, 422, "validation_error", field)


def test_product_tags_round_trip_through_the_catalogue(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    product = store["TEA-product"]
    assert product["tags"] == ["green"]
    path = f"/api/v1/products/{product['id']}"
    patched = client.patch(path, json={"tags": ["green", "gift"]}, headers=admin_headers).json()
    assert patched["tags"] == ["green", "gift"]
    assert client.get(path).json()["tags"] == ["green", "gift"]
    untagged = factories.product(client, admin_headers)
    assert untagged["tags"] == []

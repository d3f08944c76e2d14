"""Catalogue CRUD over HTTP: round trips, validation, conflicts, paging and filters."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]


def test_category_round_trip_and_tree_rules(client: TestClient, admin_headers: Headers) -> None:
    root = factories.category(client, admin_headers, slug="apparel", name="服装", name_en="Apparel")
    child = factories.category(
        client, admin_headers, slug="tops", name="上衣", parent_id=root["id"]
    )
    assert client.get(f"/api/v1/categories/{child['id']}").json() == child
    assert child["parent_id"] == root["id"] and child["name_en"] == ""

    patched = client.patch(
        f"/api/v1/categories/{child['id']}", json={"name_en": "Tops"}, headers=admin_headers
    )
    assert patched.status_code == 200
    assert patched.json() == {**child, "name_en": "Tops"}

    cycle = client.patch(
        f"/api/v1/categories/{root['id']}", json={"parent_id": child["id"]}, headers=admin_headers
    )
    assert_error(cycle, 422, "validation_error", "body.parent_id")
    to_root = client.patch(
        f"/api/v1/categories/{child['id']}", json={"parent_id": None}, headers=admin_headers
    )
    assert to_root.json()["parent_id"] is None

    listed = client.get("/api/v1/categories", params={"q": "apparel"}).json()
    assert [c["slug"] for c in listed["items"]] == ["apparel"]


def test_product_round_trip_with_skus_and_certificates(
    client: TestClient, admin_headers: Headers
) -> None:
    product = factories.product(client, admin_headers, name="纯棉T恤", brand="Loop")
    assert product["skus"] == [] and product["certificates"] == []
    sku = factories.sku(
        client,
        admin_headers,
        product_id=product["id"],
        code="TEE-M-RED",
        attributes={"size": "M", "colour": "红"},
        is_presale=True,
    )
    detail = client.get(f"/api/v1/products/{product['id']}", headers=admin_headers).json()
    assert detail["skus"] == [sku]
    assert sku["attributes"] == {"size": "M", "colour": "红"} and sku["currency"] == "CNY"

    patched = client.patch(
        f"/api/v1/products/{product['id']}",
        json={"is_active": False, "description": "100% 棉"},
        headers=admin_headers,
    ).json()
    assert patched["is_active"] is False and patched["name"] == "纯棉T恤"
    assert patched["description"] == "100% 棉"

    sku_patch = client.patch(
        f"/api/v1/skus/{sku['id']}", json={"list_price": 12900}, headers=admin_headers
    ).json()
    assert sku_patch == {**sku, "list_price": 12900}


BAD_SKU_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"list_price": 99.5}, "body.list_price"),
    ({"list_price": 100.0}, "body.list_price"),
    ({"list_price": "100"}, "body.list_price"),
    ({"list_price": -1}, "body.list_price"),
    ({"cost": -100}, "body.cost"),
    ({"currency": "RMB"}, "body.currency"),
    ({"code": ""}, "body.code"),
    ({"code": "has space"}, "body.code"),
    ({"name": "x" * 256}, "body.name"),
    ({"weight_g": 2**31}, "body.weight_g"),
    ({"product_id": 987654}, "body.product_id"),
]


def test_bad_sku_input_names_the_field_and_writes_nothing(
    client: TestClient, admin_headers: Headers
) -> None:
    product = factories.product(client, admin_headers)
    body = {"product_id": product["id"], "code": "OK-1", "name": "n", "list_price": 1, "cost": 1}
    for change, field in BAD_SKU_INPUT:
        response = client.post("/api/v1/skus", json={**body, **change}, headers=admin_headers)
        assert_error(response, 422, "validation_error", field)
    assert client.get("/api/v1/skus").json()["total"] == 0


def test_unknown_category_is_a_422_on_create_and_update(
    client: TestClient, admin_headers: Headers
) -> None:
    bad = client.post(
        "/api/v1/products", json={"category_id": 424242, "name": "x"}, headers=admin_headers
    )
    assert_error(bad, 422, "validation_error", "body.category_id")
    product = factories.product(client, admin_headers)
    moved = client.patch(
        f"/api/v1/products/{product['id']}", json={"category_id": 424242}, headers=admin_headers
    )
    assert_error(moved, 422, "validation_error", "body.category_id")
    assert (
        client.get(f"/api/v1/products/{product['id']}").json()["category_id"]
        == (product["category_id"])
    )


def test_patch_refuses_null_for_required_fields_and_unknown_fields(
    client: TestClient, admin_headers: Headers
) -> None:
    sku = factories.sku(client, admin_headers)
    url = f"/api/v1/skus/{sku['id']}"
    assert_error(
        client.patch(url, json={"name": None}, headers=admin_headers),
        422,
        "validation_error",
        "body.name",
    )
    assert_error(
        client.patch(url, json={"product_id": 1}, headers=admin_headers),
        422,
        "validation_error",
        "body.product_id",
    )
    assert client.patch(url, json={}, headers=admin_headers).json() == sku


def test_taken_slug_and_code_are_409_naming_the_field(
    client: TestClient, admin_headers: Headers
) -> None:
    factories.category(client, admin_headers, slug="shoes")
    other = factories.category(client, admin_headers, slug="bags")
    dup = client.post(
        "/api/v1/categories", json={"slug": "shoes", "name": "鞋"}, headers=admin_headers
    )
    assert_error(dup, 409, "conflict", "body.slug")
    renamed = client.patch(
        f"/api/v1/categories/{other['id']}", json={"slug": "shoes"}, headers=admin_headers
    )
    assert_error(renamed, 409, "conflict", "body.slug")

    sku = factories.sku(client, admin_headers, code="DUP-1")
    again = client.post(
        "/api/v1/skus",
        json={
            "product_id": sku["product_id"],
            "code": "DUP-1",
            "name": "n",
            "list_price": 1,
            "cost": 1,
        },
        headers=admin_headers,
    )
    assert_error(again, 409, "conflict", "body.code")
    assert client.get("/api/v1/skus").json()["total"] == 1
    assert client.get("/api/v1/categories/" + str(other["id"])).json()["slug"] == "bags"


def test_paging_and_filters(client: TestClient, admin_headers: Headers) -> None:
    shoes = factories.category(client, admin_headers)
    bags = factories.category(client, admin_headers)
    made = [
        factories.product(client, admin_headers, category_id=shoes["id"], name=f"Runner {i}")
        for i in range(5)
    ]
    factories.product(client, admin_headers, category_id=bags["id"], name="Tote", is_active=False)

    page = client.get("/api/v1/products", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 6 and page["limit"] == 2 and page["offset"] == 2
    assert [p["id"] for p in page["items"]] == [made[2]["id"], made[3]["id"]]
    walked = [
        p["id"]
        for offset in range(0, 6, 4)
        for p in client.get("/api/v1/products", params={"limit": 4, "offset": offset}).json()[
            "items"
        ]
    ]
    assert walked == sorted(walked) and len(set(walked)) == 6

    def total(**params: Any) -> int:
        return int(client.get("/api/v1/products", params=params).json()["total"])

    assert total(category_id=shoes["id"]) == 5
    assert total(q="runner") == 5
    assert total(q="%") == 0  # LIKE wildcards are literal
    assert total(is_active=False) == 1
    assert total(category_id=bags["id"], is_active=True) == 0
    assert client.get("/api/v1/products", params={"offset": 100}).json()["items"] == []

    presale = factories.sku(client, admin_headers, product_id=made[0]["id"], is_presale=True)
    factories.sku(client, admin_headers, product_id=made[0]["id"], is_dropship=True)
    skus = client.get("/api/v1/skus", params={"is_presale": True}).json()
    assert [s["id"] for s in skus["items"]] == [presale["id"]]
    by_product = client.get("/api/v1/skus", params={"product_id": made[0]["id"]}).json()
    assert by_product["total"] == 2
    assert client.get("/api/v1/skus", params={"is_dropship": True}).json()["total"] == 1

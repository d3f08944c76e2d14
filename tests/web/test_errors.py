"""One error body for every failure, FastAPI's own included."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web import factories
from tests.web.factories import assert_error


def test_unknown_routes_and_methods(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/nope"), 404, "not_found")
    response = client.delete("/api/v1/categories")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_missing_resources_are_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    for path in ("categories", "products", "skus", "customers", "warehouses", "orders"):
        error = assert_error(
            client.get(f"/api/v1/{path}/999", headers=admin_headers), 404, "not_found"
        )
        assert "999" in error["message"]
    patch = client.patch("/api/v1/products/999", json={"name": "x"}, headers=admin_headers)
    assert_error(patch, 404, "not_found")


def test_bad_path_and_query_values_name_the_parameter(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_error(client.get("/api/v1/skus/abc"), 422, "validation_error", "path.sku_id")
    assert_error(client.get("/api/v1/skus/0"), 422, "validation_error", "path.sku_id")
    huge = client.get(f"/api/v1/skus/{2**64}")  # beyond BIGINT: refused before the database
    assert_error(huge, 422, "validation_error", "path.sku_id")
    assert_error(client.get("/api/v1/skus?limit=501"), 422, "validation_error", "query.limit")
    assert_error(client.get("/api/v1/skus?offset=-1"), 422, "validation_error", "query.offset")
    typo = client.get("/api/v1/orders?placed_since=2026-01-01", headers=admin_headers)
    assert_error(typo, 422, "validation_error", "query.placed_since")
    naive = client.get("/api/v1/orders?placed_from=2026-01-01T00:00:00", headers=admin_headers)
    assert_error(naive, 422, "validation_error", "query.placed_from")


def test_malformed_bodies(client: TestClient, admin_headers: dict[str, str]) -> None:
    broken = client.post(
        "/api/v1/categories",
        content=b'{"slug": "a",',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert_error(broken, 422, "validation_error", "body")
    missing = client.post("/api/v1/categories", headers=admin_headers)
    assert_error(missing, 422, "validation_error", "body")
    unknown = client.post(
        "/api/v1/categories",
        json={"slug": "a", "name": "A", "colour": "red"},
        headers=admin_headers,
    )
    assert_error(unknown, 422, "validation_error", "body.colour")


def test_a_nul_character_is_refused_before_the_database(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    category = factories.category(client, admin_headers)
    response = client.post(
        "/api/v1/products",
        json={"category_id": category["id"], "name": "bad\x00name"},
        headers=admin_headers,
    )
    assert_error(response, 422, "validation_error", "body.name")
    assert client.get("/api/v1/products").json()["total"] == 0


def test_a_service_error_subclass_keeps_its_family_status() -> None:
    """IllegalTransition, OutOfStock, PriceChanged… are Conflicts: 409, with their field."""
    from fastapi import FastAPI

    from storeloop.errors import Conflict
    from storeloop.web.errors import install_error_handlers

    class Sold(Conflict):
        pass

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/sold")
    def sold() -> None:
        raise Sold("the last unit went to someone else", field="lines")

    error = assert_error(TestClient(app).get("/sold"), 409, "conflict", "body.lines")
    assert error["message"] == "the last unit went to someone else"

"""Build store rows through the API, with defaults a test overrides only where it cares."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

_serial = itertools.count(1)

Headers = dict[str, str]


def create(client: TestClient, headers: Headers, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def category(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    n = next(_serial)
    return create(client, headers, "categories", {"slug": f"cat-{n}", "name": f"类目{n}", **fields})


def product(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    if "category_id" not in fields:
        fields["category_id"] = category(client, headers)["id"]
    return create(client, headers, "products", {"name": f"商品{next(_serial)}", **fields})


def sku(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    if "product_id" not in fields:
        fields["product_id"] = product(client, headers)["id"]
    n = next(_serial)
    body = {"code": f"SKU-{n}", "name": f"规格{n}", "list_price": 9900, "cost": 4000, **fields}
    return create(client, headers, "skus", body)


def customer(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    n = next(_serial)
    body = {
        "email": f"c{n}@example.com",
        "province": "广东",
        "region": "south",
        "channel": "search",
        **fields,
    }
    return create(client, headers, "customers", body)


def warehouse(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    n = next(_serial)
    body = {
        "code": f"WH-{n}",
        "name": f"仓库{n}",
        "kind": "central",
        "province": "浙江",
        "region": "east",
        **fields,
    }
    return create(client, headers, "warehouses", body)


def assert_error(response: Any, status: int, code: str, *fields: str) -> dict[str, Any]:
    """The one error body, with ``fields`` (if given) exactly the fields named in its details."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if fields:
        assert [d["field"] for d in error["details"]] == list(fields), error
    return error

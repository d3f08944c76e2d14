"""Customers over HTTP: admin-only CRUD, unique e-mail and phone, filters by place and time."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]


def test_customer_round_trip(client: TestClient, admin_headers: Headers) -> None:
    referrer = factories.customer(client, admin_headers)
    created = factories.customer(
        client,
        admin_headers,
        email=" Li.Lei@Example.COM ",
        phone="+86 138 0000 0000",
        name="李雷",
        city="深圳",
        birth_date="1995-05-20",
        gender="M",
        signed_up_at="2026-03-01T10:00:00+08:00",
        referred_by_id=referrer["id"],
    )
    assert created["email"] == "li.lei@example.com"
    assert created["signed_up_at"] == "2026-03-01T02:00:00Z"
    fetched = client.get(f"/api/v1/customers/{created['id']}", headers=admin_headers).json()
    assert fetched == created

    patched = client.patch(
        f"/api/v1/customers/{created['id']}",
        json={"city": "广州", "gender": None, "referred_by_id": None},
        headers=admin_headers,
    ).json()
    assert patched == {**created, "city": "广州", "gender": None, "referred_by_id": None}


def test_bad_customer_input(client: TestClient, admin_headers: Headers) -> None:
    base = {"province": "广东", "region": "south", "channel": "search"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"email": "not-an-email"}, "body.email"),
        ({"gender": "X"}, "body.gender"),
        ({"province": ""}, "body.province"),
        ({"signed_up_at": "2026-03-01T10:00:00"}, "body.signed_up_at"),
        ({"referred_by_id": 99999}, "body.referred_by_id"),
    ]
    for change, field in cases:
        response = client.post("/api/v1/customers", json={**base, **change}, headers=admin_headers)
        assert_error(response, 422, "validation_error", field)
    assert client.get("/api/v1/customers", headers=admin_headers).json()["total"] == 0
    missing = client.post("/api/v1/customers", json={"province": "广东"}, headers=admin_headers)
    assert_error(missing, 422, "validation_error", "body.region", "body.channel")

    customer = factories.customer(client, admin_headers)
    self_ref = client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"referred_by_id": customer["id"]},
        headers=admin_headers,
    )
    assert_error(self_ref, 422, "validation_error", "body.referred_by_id")


def test_email_and_phone_are_unique(client: TestClient, admin_headers: Headers) -> None:
    first = factories.customer(client, admin_headers, email="a@example.com", phone="13800000000")
    same_email = client.post(
        "/api/v1/customers",
        json={"email": "A@example.com", "province": "北京", "region": "north", "channel": "ads"},
        headers=admin_headers,
    )
    assert_error(same_email, 409, "conflict", "body.email")
    second = factories.customer(client, admin_headers)
    same_phone = client.patch(
        f"/api/v1/customers/{second['id']}", json={"phone": "13800000000"}, headers=admin_headers
    )
    assert_error(same_phone, 409, "conflict", "body.phone")
    listed = client.get("/api/v1/customers", headers=admin_headers).json()
    assert [c["id"] for c in listed["items"]] == [first["id"], second["id"]]
    assert listed["items"][1]["phone"] is None


def test_customer_filters(client: TestClient, admin_headers: Headers) -> None:
    south = factories.customer(
        client, admin_headers, signed_up_at="2026-01-10T00:00:00Z", channel="live"
    )
    factories.customer(
        client,
        admin_headers,
        province="北京",
        region="north",
        signed_up_at="2026-02-10T00:00:00Z",
    )

    def ids(**params: Any) -> list[int]:
        page = client.get("/api/v1/customers", params=params, headers=admin_headers).json()
        return [c["id"] for c in page["items"]]

    assert ids(province="广东") == [south["id"]]
    assert ids(region="south", channel="live") == [south["id"]]
    assert ids(channel="ads") == []
    assert ids(signed_up_from="2026-01-01T00:00:00Z", signed_up_to="2026-02-01T00:00:00Z") == [
        south["id"]
    ]
    assert len(ids(signed_up_from="2026-01-10T08:00:00+08:00")) == 2  # bounds are inclusive
    assert ids(email=south["email"].upper()) == [south["id"]]

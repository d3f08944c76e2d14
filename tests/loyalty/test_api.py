"""The points API: balance, tier and ledger; manual adjustments; bad input names its field and
changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.loyalty import (
    assert_points_invariants,
    balance,
    earn,
    entries,
    make_customers,
    make_order,
)


@pytest.fixture
def customer(session_factory: sessionmaker[Session]) -> Iterator[int]:
    (c,) = make_customers(session_factory, 1)
    yield c
    assert_points_invariants(session_factory)


def _adjust(
    client: TestClient, headers: dict[str, str], customer: int, body: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/customers/{customer}/points/adjustments", json=body, headers=headers
    )
    return {"status": response.status_code, **response.json()}


def test_a_customer_without_points_reads_as_an_empty_member_account(
    client: TestClient, admin_headers: dict[str, str], customer: int
) -> None:
    body = client.get(f"/api/v1/customers/{customer}/points", headers=admin_headers).json()
    assert body == {
        "customer_id": customer,
        "balance": 0,
        "lifetime_earned": 0,
        "tier": "member",
        "next_tier": "silver",
        "points_to_next_tier": 2_000,
        "ledger": {"items": [], "total": 0, "limit": 50, "offset": 0},
    }


def test_adjustments_add_and_take_points_and_show_in_the_ledger(
    client: TestClient,
    admin_headers: dict[str, str],
    session_factory: sessionmaker[Session],
    customer: int,
) -> None:
    order = make_order(session_factory, customer, goods=250_000)
    earned = earn(session_factory, order)  # 2,500 points: silver
    added = _adjust(client, admin_headers, customer, {"delta": 500, "note": "goodwill 补偿"})
    assert added["status"] == 201
    assert added["entry"]["delta"] == 500 and added["entry"]["reason"] == "adjust"
    assert added["entry"]["remaining"] == 500 and added["entry"]["expires_at"] is not None
    assert added["account"]["balance"] == earned + 500
    taken = _adjust(client, admin_headers, customer, {"delta": -300, "note": "correction"})
    assert taken["status"] == 201 and taken["account"]["balance"] == earned + 200
    assert taken["entry"]["remaining"] is None
    # adjustments do not count towards the tier
    assert taken["account"]["lifetime_earned"] == earned
    assert taken["account"]["tier"] == "silver"
    page = client.get(
        f"/api/v1/customers/{customer}/points",
        params={"limit": 2, "offset": 1},
        headers=admin_headers,
    ).json()
    assert page["balance"] == earned + 200
    assert page["ledger"]["total"] == 3
    assert [e["delta"] for e in page["ledger"]["items"]] == [500, -300]
    assert (page["next_tier"], page["points_to_next_tier"]) == ("gold", 10_000 - earned)


def test_taking_more_than_the_balance_is_a_conflict_naming_delta(
    client: TestClient,
    admin_headers: dict[str, str],
    session_factory: sessionmaker[Session],
    customer: int,
) -> None:
    assert _adjust(client, admin_headers, customer, {"delta": 100, "note": "x"})["status"] == 201
    refused = _adjust(client, admin_headers, customer, {"delta": -101, "note": "too much"})
    assert refused["status"] == 409
    assert [d["field"] for d in refused["error"]["details"]] == ["body.delta"]
    assert balance(session_factory, customer) == 100
    assert len(entries(session_factory, customer)) == 1


BAD_ADJUSTMENTS: list[tuple[dict[str, Any], str]] = [
    ({"delta": 0, "note": "zero"}, "body.delta"),
    ({"delta": "12", "note": "string"}, "body.delta"),
    ({"delta": 1.5, "note": "float"}, "body.delta"),
    ({"delta": 10**7, "note": "typo"}, "body.delta"),
    ({"delta": 5}, "body.note"),
    ({"delta": 5, "note": "   "}, "body.note"),
    ({"delta": 5, "note": "n" * 256}, "body.note"),
    ({"delta": 5, "note": "ok", "tier": "gold"}, "body.tier"),
]


def test_bad_adjustments_name_the_field_and_change_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    session_factory: sessionmaker[Session],
    customer: int,
) -> None:
    for body, field in BAD_ADJUSTMENTS:
        refused = _adjust(client, admin_headers, customer, body)
        assert refused["status"] == 422, body
        assert field in [d["field"] for d in refused["error"]["details"]], (body, refused)
    assert entries(session_factory, customer) == []


def test_unknown_customers_are_404_and_the_api_needs_an_admin_token(
    client: TestClient, admin_headers: dict[str, str], customer: int
) -> None:
    missing = customer + 1000
    assert (
        client.get(f"/api/v1/customers/{missing}/points", headers=admin_headers).status_code == 404
    )
    adjusted = _adjust(client, admin_headers, missing, {"delta": 5, "note": "x"})
    assert adjusted["status"] == 404
    assert client.get(f"/api/v1/customers/{customer}/points").status_code == 401
    assert _adjust(client, {}, customer, {"delta": 5, "note": "x"})["status"] == 401
    bad_page = client.get(
        f"/api/v1/customers/{customer}/points", params={"limit": 0}, headers=admin_headers
    )
    assert bad_page.status_code == 422
    assert bad_page.json()["error"]["details"][0]["field"] == "query.limit"


def test_a_signed_in_customer_reads_their_own_points_and_nobody_elses(
    client: TestClient, admin_headers: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    from storeloop.customers.auth_service import issue_customer_token
    from storeloop.db import session_scope

    me, other = make_customers(session_factory, 2)
    assert _adjust(client, admin_headers, me, {"delta": 300, "note": "welcome"})["status"] == 201
    assert _adjust(client, admin_headers, other, {"delta": 900, "note": "vip"})["status"] == 201
    with session_scope(session_factory) as session:
        token = issue_customer_token(session, me)
    mine = client.get("/api/v1/me/points", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["customer_id"], body["balance"]) == (me, 300)
    assert [e["delta"] for e in body["ledger"]["items"]] == [300]
    assert client.get("/api/v1/me/points").status_code == 401
    shopper = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/customers/{other}/points", headers=shopper).status_code == 401
    assert_points_invariants(session_factory)

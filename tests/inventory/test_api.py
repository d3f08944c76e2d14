"""Warehouses and stock over HTTP: adjustments write level and ledger together or not at all."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.inventory.models import StockLevel, StockMovement
from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]


def _adjust(client: TestClient, headers: Headers, **body: Any) -> Any:
    return client.post("/api/v1/stock/adjustments", json=body, headers=headers)


def _ledger_matches_levels(session: Session) -> None:
    """The stock invariant: per SKU and warehouse, on hand is the sum of its movements."""
    ledger = session.execute(
        select(
            StockMovement.sku_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity)
        ).group_by(StockMovement.sku_id, StockMovement.warehouse_id)
    ).all()
    levels = session.execute(
        select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand)
    ).all()
    assert {(s, w): int(q) for s, w, q in ledger} == {(s, w): q for s, w, q in levels}


def test_warehouse_round_trip_and_unique_code(client: TestClient, admin_headers: Headers) -> None:
    made = factories.warehouse(client, admin_headers, code="HZ-1", kind="forward", city="杭州")
    url = f"/api/v1/warehouses/{made['id']}"
    assert client.get(url, headers=admin_headers).json() == made
    patched = client.patch(url, json={"is_active": False}, headers=admin_headers).json()
    assert patched == {**made, "is_active": False}
    dup = client.post(
        "/api/v1/warehouses",
        json={"code": "HZ-1", "name": "x", "kind": "central", "province": "浙江", "region": "east"},
        headers=admin_headers,
    )
    assert_error(dup, 409, "conflict", "body.code")
    bad_kind = client.patch(url, json={"kind": "cloud"}, headers=admin_headers)
    assert_error(bad_kind, 422, "validation_error", "body.kind")
    listed = client.get(
        "/api/v1/warehouses", params={"kind": "forward", "is_active": False}, headers=admin_headers
    ).json()
    assert listed["total"] == 1


def test_adjustments_move_stock_and_append_the_ledger(
    client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> None:
    sku = factories.sku(client, admin_headers)
    wh = factories.warehouse(client, admin_headers)
    ref = {"sku_id": sku["id"], "warehouse_id": wh["id"]}

    first = _adjust(client, admin_headers, **ref, quantity=10, reason="receipt", note="PO-1")
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["level"]["on_hand"] == 10 and result["level"]["available"] == 10
    assert result["movement"]["quantity"] == 10 and result["movement"]["ref_type"] == "manual"

    assert _adjust(client, admin_headers, **ref, quantity=-3, reason="writeoff").status_code == 201
    assert (
        _adjust(client, admin_headers, **ref, quantity=-2, reason="adjustment").status_code == 201
    )
    level = client.get("/api/v1/stock", params={"sku_id": sku["id"]}, headers=admin_headers).json()
    assert level["total"] == 1 and level["items"][0]["on_hand"] == 5

    ledger = client.get(
        "/api/v1/stock/movements", params={"warehouse_id": wh["id"]}, headers=admin_headers
    ).json()
    assert [m["quantity"] for m in ledger["items"]] == [10, -3, -2]
    writeoffs = client.get(
        "/api/v1/stock/movements", params={"reason": "writeoff"}, headers=admin_headers
    ).json()
    assert writeoffs["total"] == 1
    with session_factory() as session:
        _ledger_matches_levels(session)


def test_going_negative_is_409_and_changes_nothing(
    client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> None:
    sku = factories.sku(client, admin_headers)
    wh = factories.warehouse(client, admin_headers)
    other = factories.warehouse(client, admin_headers)
    ref = {"sku_id": sku["id"], "warehouse_id": wh["id"]}
    _adjust(client, admin_headers, **ref, quantity=4, reason="receipt")
    with session_factory() as session:
        session.execute(StockLevel.__table__.update().values(reserved=3))
        session.commit()

    too_many = _adjust(client, admin_headers, **ref, quantity=-2, reason="writeoff")
    error = assert_error(too_many, 409, "conflict", "body.quantity")
    assert "reserved" in error["message"]
    nothing_there = _adjust(
        client,
        admin_headers,
        sku_id=sku["id"],
        warehouse_id=other["id"],
        quantity=-1,
        reason="adjustment",
    )
    assert_error(nothing_there, 409, "conflict", "body.quantity")

    with session_factory() as session:
        levels = session.scalars(select(StockLevel)).all()
        assert [(lv.warehouse_id, lv.on_hand, lv.reserved) for lv in levels] == [(wh["id"], 4, 3)]
        assert session.scalar(select(func.count()).select_from(StockMovement)) == 1
        _ledger_matches_levels(session)


def test_bad_adjustments_name_the_field(client: TestClient, admin_headers: Headers) -> None:
    sku = factories.sku(client, admin_headers)
    wh = factories.warehouse(client, admin_headers)
    ref = {"sku_id": sku["id"], "warehouse_id": wh["id"]}
    cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        ({**ref, "quantity": 0, "reason": "adjustment"}, ("body.quantity",)),
        ({**ref, "quantity": -5, "reason": "receipt"}, ("body.quantity",)),
        ({**ref, "quantity": 5, "reason": "writeoff"}, ("body.quantity",)),
        ({**ref, "quantity": 1.5, "reason": "receipt"}, ("body.quantity",)),
        ({**ref, "quantity": 1, "reason": "sale"}, ("body.reason",)),
        (
            {"sku_id": 9999, "warehouse_id": 9998, "quantity": 1, "reason": "receipt"},
            ("body.sku_id", "body.warehouse_id"),
        ),
    ]
    for body, fields in cases:
        assert_error(_adjust(client, admin_headers, **body), 422, "validation_error", *fields)
    assert client.get("/api/v1/stock/movements", headers=admin_headers).json()["total"] == 0
    assert client.get("/api/v1/stock", headers=admin_headers).json()["total"] == 0

"""Event batches are all or nothing; a rejected batch names each bad event's index and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.events.models import Event
from tests.web import factories
from tests.web.factories import assert_error

Headers = dict[str, str]
T0 = datetime(2026, 11, 11, tzinfo=UTC)


def _event(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "visit",
        "occurred_at": (T0 + timedelta(seconds=i)).isoformat(),
        "visitor_id": f"v{i % 7}",
        "session_id": f"s{i % 13}",
        "channel": "search",
        "device": "ios",
        **fields,
    }


def _post(client: TestClient, headers: Headers, events: list[Any]) -> Any:
    return client.post("/api/v1/events", json={"events": events}, headers=headers)


def _count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def test_a_good_batch_of_1000_is_written_whole(
    client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> None:
    sku = factories.sku(client, admin_headers)
    customer = factories.customer(client, admin_headers)
    events = [_event(i) for i in range(997)] + [
        _event(997, type="search", query="连衣裙 红"),
        _event(998, type="product_view", sku_id=sku["id"], customer_id=customer["id"]),
        _event(999, type="add_to_cart", sku_id=sku["id"], occurred_at="2026-11-11T08:00:00+08:00"),
    ]
    response = _post(client, admin_headers, events)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1000}
    assert _count(session_factory) == 1000

    page = client.get("/api/v1/events", params={"type": "search"}, headers=admin_headers).json()
    assert page["total"] == 1 and page["items"][0]["query"] == "连衣裙 红"
    by_customer = client.get(
        "/api/v1/events", params={"customer_id": customer["id"]}, headers=admin_headers
    ).json()
    assert [e["type"] for e in by_customer["items"]] == ["product_view"]
    window = client.get(
        "/api/v1/events",
        params={
            "visitor_id": "v0",
            "occurred_from": "2026-11-11T00:00:00Z",
            "occurred_to": "2026-11-11T00:01:00Z",
        },
        headers=admin_headers,
    ).json()
    assert [e["occurred_at"] for e in window["items"]] == [
        "2026-11-11T00:00:00Z",
        "2026-11-11T00:00:07Z",
        "2026-11-11T00:00:14Z",
        "2026-11-11T00:00:21Z",
        "2026-11-11T00:00:28Z",
        "2026-11-11T00:00:35Z",
        "2026-11-11T00:00:42Z",
        "2026-11-11T00:00:49Z",
        "2026-11-11T00:00:56Z",
    ]
    # 08:00 in Beijing was stored as midnight UTC, the second the batch began.
    assert window["total"] == 9


def test_one_bad_event_rejects_the_batch_naming_its_index_and_field(
    client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> None:
    sku = factories.sku(client, admin_headers)
    bad_events: list[tuple[dict[str, Any], str]] = [
        ({"type": "purchase"}, "type"),
        ({"visitor_id": ""}, "visitor_id"),
        ({"session_id": "   "}, "session_id"),
        ({"occurred_at": "2026-11-11T00:00:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"channel": "tv"}, "channel"),
        ({"device": "fax"}, "device"),
        ({"type": "search"}, "query"),
        ({"query": "shoes"}, "query"),
        ({"sku_id": sku["id"] + 1000}, "sku_id"),
        ({"customer_id": 424242}, "customer_id"),
        ({"order_id": 424242}, "order_id"),
        ({"colour": "red"}, "colour"),
    ]
    for k, (change, field) in enumerate(bad_events):
        events = [_event(i) for i in range(20)]
        events[k] = {**events[k], **change}
        error = assert_error(_post(client, admin_headers, events), 422, "validation_error")
        assert error["details"] == [
            {"index": k, "field": field, "message": error["details"][0]["message"]}
        ], change
    not_an_object = assert_error(
        _post(client, admin_headers, [_event(0), 5]), 422, "validation_error"
    )
    assert not_an_object["details"][0]["index"] == 1
    assert _count(session_factory) == 0


def test_every_bad_event_is_reported(client: TestClient, admin_headers: Headers) -> None:
    events = [_event(i) for i in range(10)]
    events[2]["device"] = "fax"
    events[7]["sku_id"] = 31337
    events[7]["customer_id"] = 31337
    shape = assert_error(_post(client, admin_headers, events), 422, "validation_error")
    # Shape errors come first; references are only checked once every event is well formed.
    assert [(d["index"], d["field"]) for d in shape["details"]] == [(2, "device")]
    events[2]["device"] = "pc"
    refs = assert_error(_post(client, admin_headers, events), 422, "validation_error")
    assert [(d["index"], d["field"]) for d in refs["details"]] == [
        (7, "customer_id"),
        (7, "sku_id"),
    ]


def test_batch_envelope_limits(client: TestClient, admin_headers: Headers) -> None:
    too_many = _post(client, admin_headers, [_event(0)] * 10_001)
    assert_error(too_many, 422, "validation_error", "body.events")
    assert_error(_post(client, admin_headers, []), 422, "validation_error", "body.events")
    no_list = client.post("/api/v1/events", json={"events": "x"}, headers=admin_headers)
    assert_error(no_list, 422, "validation_error", "body.events")

"""Orders over HTTP (read-only): filters, paging and the full history of one order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import session_scope
from storeloop.orders.models import Order, OrderLine, Payment, Return, Shipment
from storeloop.supply.models import Carrier
from tests.web import factories

Headers = dict[str, str]
T0 = datetime(2026, 11, 11, tzinfo=UTC)


@pytest.fixture
def store(
    client: TestClient, admin_headers: Headers, session_factory: sessionmaker[Session]
) -> dict[str, Any]:
    """Two customers; five orders for the first (one with everything), one for the second."""
    alice = factories.customer(client, admin_headers)
    bob = factories.customer(client, admin_headers)
    sku = factories.sku(client, admin_headers)
    warehouse = factories.warehouse(client, admin_headers)
    with session_scope(session_factory) as session:
        carrier = Carrier(code="SF", name="顺丰", tier="express", base_fee=1200)
        orders = [
            Order(
                number=f"N{i}",
                customer_id=alice["id"],
                status=status,
                channel=channel,
                goods_amount=19800,
                discount_amount=1000,
                shipping_amount=0,
                total_amount=18800,
                ship_province="广东",
                placed_at=T0 + timedelta(days=i),
            )
            for i, (status, channel) in enumerate(
                [
                    ("completed", "live"),
                    ("paid", "search"),
                    ("paid", "live"),
                    ("cancelled", "search"),
                    ("shipped", "ads"),
                ]
            )
        ]
        orders.append(
            Order(
                number="B1",
                customer_id=bob["id"],
                status="paid",
                channel="live",
                goods_amount=100,
                total_amount=100,
                ship_province="北京",
                placed_at=T0,
            )
        )
        session.add_all([carrier, *orders])
        session.flush()
        first = orders[0]
        line = OrderLine(
            order_id=first.id, sku_id=sku["id"], quantity=2, unit_price=9900, discount_amount=1000
        )
        session.add_all(
            [
                line,
                Payment(order_id=first.id, kind="full", status="succeeded", amount=18800),
                Shipment(
                    order_id=first.id,
                    carrier_id=carrier.id,
                    warehouse_id=warehouse["id"],
                    status="delivered",
                    tracking_number="SF123",
                ),
            ]
        )
        session.flush()
        session.add(
            Return(
                order_id=first.id,
                order_line_id=line.id,
                quantity=1,
                reason="size",
                refund_amount=9400,
            )
        )
        ids = [o.id for o in orders]
    return {"alice": alice, "bob": bob, "order_ids": ids, "sku": sku}


def test_order_detail_has_lines_payments_shipments_and_returns(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    order_id = store["order_ids"][0]
    detail = client.get(f"/api/v1/orders/{order_id}", headers=admin_headers).json()
    assert detail["number"] == "N0" and detail["total_amount"] == 18800
    assert detail["currency"] == "CNY"
    (line,) = detail["lines"]
    assert line["line_total"] == 2 * 9900 - 1000 and line["sku_id"] == store["sku"]["id"]
    assert [p["amount"] for p in detail["payments"]] == [18800]
    assert detail["shipments"][0]["tracking_number"] == "SF123"
    assert detail["returns"][0]["refund_amount"] == 9400
    assert detail["returns"][0]["order_line_id"] == line["id"]
    assert detail["placed_at"] == "2026-11-11T00:00:00Z"

    other = client.get(f"/api/v1/orders/{store['order_ids'][1]}", headers=admin_headers).json()
    assert other["lines"] == other["payments"] == other["shipments"] == other["returns"] == []


def test_order_filters_and_paging(
    client: TestClient, admin_headers: Headers, store: dict[str, Any]
) -> None:
    def numbers(**params: Any) -> list[str]:
        page = client.get("/api/v1/orders", params=params, headers=admin_headers).json()
        return [o["number"] for o in page["items"]]

    assert numbers(customer_id=store["bob"]["id"]) == ["B1"]
    assert numbers(status="paid") == ["N1", "N2", "B1"]
    assert numbers(channel="live", customer_id=store["alice"]["id"]) == ["N0", "N2"]
    assert numbers(placed_from="2026-11-12T00:00:00Z", placed_to="2026-11-14T00:00:00Z") == [
        "N1",
        "N2",
    ]
    # 08:00 in Beijing is midnight UTC: offsets are honoured.
    assert numbers(placed_from="2026-11-15T08:00:00+08:00") == ["N4"]
    page = client.get("/api/v1/orders", params={"limit": 4}, headers=admin_headers).json()
    assert page["total"] == 6 and len(page["items"]) == 4
    bad = client.get("/api/v1/orders", params={"status": "lost"}, headers=admin_headers)
    assert bad.status_code == 422

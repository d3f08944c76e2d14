"""The home page says what the store holds; /healthz and /docs answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import make_engine, session_scope
from storeloop.money import Money
from storeloop.orders.models import Order
from storeloop.settings import get_settings
from storeloop.web.app import create_app
from storeloop.web.home import format_money
from tests.web import factories
from tests.web.factories import assert_error


def _order(customer_id: int, number: str, status: str, total: int) -> Order:
    return Order(
        number=number,
        customer_id=customer_id,
        status=status,
        channel="search",
        goods_amount=total,
        total_amount=total,
        ship_province="广东",
        placed_at=datetime(2026, 6, 18, tzinfo=UTC),
    )


def test_home_page_counts_the_store_and_its_paid_gmv(
    client: TestClient, admin_headers: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    factories.sku(client, admin_headers)
    factories.sku(client, admin_headers)
    customer = factories.customer(client, admin_headers)
    with session_scope(session_factory) as session:
        session.add_all(
            [
                _order(customer["id"], "A1", "paid", 123_456_78),
                _order(customer["id"], "A2", "completed", 1_00),
                _order(customer["id"], "A3", "cancelled", 999_00),  # not paid: not GMV
            ]
        )
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for label, count in [
        ("Categories", 2),
        ("Products", 2),
        ("SKU", 2),
        ("Customers", 1),
        ("Orders", 3),
        ("Events", 0),
    ]:
        assert f"{label}</th><td>{count}</td>" in page, label
    assert '<td id="gmv">¥123,457.78</td>' in page
    assert 'href="/docs"' in page


def test_empty_store_home_page(client: TestClient) -> None:
    page = client.get("/").text
    assert "¥0.00" in page


def test_format_money() -> None:
    assert format_money(Money(1_234_567_89)) == "¥1,234,567.89"
    assert format_money(Money(-5)) == "-¥0.05"
    assert format_money(Money(150, "USD")) == "1.50 USD"


def test_healthz_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn." not in html and "googleapis" not in html  # the machines are offline
        scripts = re.findall(r'src="([^"]+\.js)"', html)
        assert scripts and all(client.get(src).status_code == 200 for src in scripts)
    schema = client.get("/openapi.json").json()
    assert "/api/v1/events" in schema["paths"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/store.db")
    with TestClient(create_app(engine)) as client:
        assert_error(client.get("/healthz"), 503, "unavailable")
    engine.dispose()


def test_without_an_engine_the_app_uses_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORELOOP_DATABASE_URL", f"sqlite:///{tmp_path}/configured.db")
    get_settings.cache_clear()
    try:
        app = create_app()
        assert str(app.state.engine.url).endswith("configured.db")
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        get_settings.cache_clear()

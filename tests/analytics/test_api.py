"""The admin analytics API on SQLite and PostgreSQL: results, money in fen, auth, bad params."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, distinct, func, select

from storeloop.analytics import store_cache
from storeloop.analytics.store_cache import StoreCache
from storeloop.models import Order

API = "/api/v1/analytics"
ENDPOINTS = (
    "kpis",
    "funnel",
    "anomalies",
    "cohorts",
    "segments",
    "segments/customers",
    "abc-xyz",
    "baskets",
    "clv",
)


def get(client: TestClient, headers: dict[str, str], path: str) -> dict | list:
    response = client.get(f"{API}/{path}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_analyses_of_the_store(
    seeded_url: str, client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    """The store is seeded first: SQLite's bulk loader needs no other connection open."""
    with engine.connect() as connection:
        paid_orders, paid_fen, buyers, last_at = connection.execute(
            select(
                func.count(),
                func.sum(Order.total_amount),
                func.count(distinct(Order.customer_id)),
                func.max(Order.placed_at),
            ).where(Order.paid_at.is_not(None))
        ).one()

    weekly = get(client, admin_headers, "kpis?grain=week")
    assert sum(week["orders"] for week in weekly["items"]) == paid_orders
    assert sum(week["gmv"] for week in weekly["items"]) == paid_fen  # exact fen, as stored
    by_channel = get(
        client, admin_headers, "kpis?grain=week&by=channel&from=2026-11-02&to=2026-11-16"
    )
    assert {item["period"] for item in by_channel["items"]} == {"2026-11-02", "2026-11-09"}
    assert all(item["segment"] and isinstance(item["aov"], int) for item in by_channel["items"])

    steps = get(client, admin_headers, "funnel?by=device&window_days=1")["items"]
    assert {step["segment"] for step in steps} >= {"ios", "android"}
    assert [step["event"] for step in steps[:5]][-1] == "payment"

    anomalies = get(client, admin_headers, "anomalies")
    assert anomalies["end"] < str(date(2026, 11, 24))
    assert all(
        item["causes"] and item["direction"] in ("up", "down") for item in anomalies["items"]
    )

    cohorts = get(client, admin_headers, "cohorts")["items"]
    assert all(row["retention"] == 1.0 for row in cohorts if row["months_since"] == 0)

    segments = get(client, admin_headers, "segments")
    assert segments["customers"] == buyers == sum(s["customers"] for s in segments["segments"])
    vips = get(client, admin_headers, "segments/customers?flag=vip&limit=5")
    assert vips["total"] == segments["vip"] and all(c["vip"] for c in vips["items"])
    next_page = get(client, admin_headers, "segments/customers?flag=vip&limit=5&offset=5")
    ids = [c["customer_id"] for c in vips["items"] + next_page["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 10

    skus = get(client, admin_headers, "abc-xyz?limit=3")
    assert skus["total"] > 3 and skus["items"][0]["abc"] == "A"
    assert skus["end"] == "2026-11-22" and skus["start"] == "2026-08-31"  # 12 whole weeks

    rules = get(client, admin_headers, "baskets?min_support=0.001&min_confidence=0.05&limit=3")
    assert all(isinstance(rule["antecedents"], list) for rule in rules["items"])

    clv = get(client, admin_headers, "clv?limit=3&horizon_weeks=26")
    assert set(clv["parameters"]) == {"bgnbd", "gamma_gamma"} and clv["total"] == buyers
    # The last day with an order on the shop's clock (Shanghai, 8 hours ahead of UTC).
    assert clv["calibration_end"] == str((last_at + timedelta(hours=8)).date())
    assert all(isinstance(c["expected_value"], int) for c in clv["items"])


def test_an_empty_store_has_empty_analyses(client: TestClient, admin_headers: dict[str, str]):
    assert get(client, admin_headers, "kpis")["items"] == []
    assert get(client, admin_headers, "anomalies") == {"end": None, "items": []}
    assert get(client, admin_headers, "segments")["customers"] == 0
    assert get(client, admin_headers, "abc-xyz")["total"] == 0
    assert get(client, admin_headers, "clv")["note"] == "there are no paid orders"


def test_every_endpoint_needs_an_admin_token(client: TestClient) -> None:
    for path in ENDPOINTS:
        response = client.get(f"{API}/{path}")
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("kpis?grain=month", "query.grain"),
        ("kpis?by=colour", "query.by"),
        ("kpis?from=yesterday", "query.from"),
        ("kpis?from=2026-11-02&to=2026-11-01", "query.to"),
        ("kpis?colour=red", "query.colour"),
        ("funnel?window_days=0", "query.window_days"),
        ("anomalies?end=soon", "query.end"),
        ("segments/customers?flag=gold", "query.flag"),
        ("segments/customers?segment=whales", "query.segment"),
        ("abc-xyz?limit=0", "query.limit"),
        ("baskets?min_support=0", "query.min_support"),
        ("baskets?min_confidence=1.5", "query.min_confidence"),
        ("clv?horizon_weeks=-1", "query.horizon_weeks"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(
    client: TestClient, admin_headers: dict[str, str], path: str, field: str
) -> None:
    response = client.get(f"{API}/{path}", headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]


def test_the_store_is_loaded_once_per_ttl_and_results_are_kept(monkeypatch) -> None:
    loads: list[str] = []
    monkeypatch.setattr(
        store_cache, "read_store_database", lambda url, con: loads.append(url) or len(loads)
    )
    now = [0.0]
    cache = StoreCache("sqlite:///store.db", ttl=300, clock=lambda: now[0])
    computed: list[object] = []

    def compute(tables: object) -> int:
        computed.append(tables)
        return len(computed)

    assert cache.compute("a", compute) == 1
    assert cache.compute("a", compute) == 1  # the same parameters: the result is kept
    assert cache.compute("b", compute) == 2
    now[0] = 299.0
    assert cache.compute("a", compute) == 1 and len(loads) == 1
    now[0] = 300.0  # stale: the store is loaded again and results are computed afresh
    assert cache.compute("a", compute) == 3 and len(loads) == 2
    assert computed == [1, 1, 2]


def test_the_router_does_not_load_the_engine_with_the_app() -> None:
    """The app imports the analytics router at startup; Ibis, DuckDB, pandas, SciPy and PyArrow
    load on the first analytics request, not in every process that serves the store."""
    import subprocess
    import sys

    heavy = ("ibis", "duckdb", "pandas", "scipy", "pyarrow")
    code = (
        "import sys, storeloop.analytics.api; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""

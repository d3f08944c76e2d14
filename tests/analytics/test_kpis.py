from __future__ import annotations

from datetime import date, datetime

import pytest

from storeloop.analytics.kpis import kpis
from storeloop.analytics.store import StoreTables
from tests.analytics.hand_store import HandStore

MON, TUE, NEXT_MON = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 8)


def shop() -> HandStore:
    """Three customers, four paid orders and one unpaid, two returns, four visitors.

    Order 10 (customer 1, search): CASE 2 × 30 with 10 off + FILM 1 × 20 + 5 shipping = 75.
    Order 11 (customer 2, ads): DEHUM 1 × 500 = 500, returned in full.
    Order 12 (customer 3) is never paid. Order 13 (customer 1, Tuesday) = 30, a repeat.
    Order 14 (customer 2, next Monday) = FILM 2 × 20 = 40, a repeat.
    """
    store = HandStore()
    store.customer(1, region="south")
    store.customer(2, region="north")
    store.customer(3, region="south")
    case_line, _ = store.order(
        10, 1, datetime(2024, 1, 1, 10), [("CASE-1", 2, 30), ("FILM-1", 1, 20)], discount=10,
        shipping=5,
    )  # fmt: skip
    (dehumidifier_line,) = store.order(
        11, 2, datetime(2024, 1, 1, 11), [("DEHUM-1", 1, 500)], channel="ads", device="android"
    )
    store.order(12, 3, datetime(2024, 1, 1, 12), [("FILM-1", 1, 20)], paid=False)
    store.order(13, 1, datetime(2024, 1, 2, 9), [("CASE-1", 1, 30)])
    store.order(14, 2, datetime(2024, 1, 8, 9), [("FILM-1", 2, 20)], channel="ads")
    store.give_back(case_line, 1, 25, datetime(2024, 1, 5))
    store.give_back(dehumidifier_line, 1, 500, datetime(2024, 1, 6))
    day = datetime(2024, 1, 1, 9)
    store.event("v1", day, "visit")
    store.event("v1", day.replace(minute=5), "product_view", sku="CASE-1")
    store.event("v1", day.replace(hour=10), "payment", customer_id=1, order_id=10)
    ads = {"channel": "ads", "device": "android"}
    store.event("v2", day, "visit", **ads)
    store.event("v2", day.replace(minute=5), "product_view", sku="DEHUM-1", **ads)
    store.event("v2", day.replace(hour=11), "payment", customer_id=2, order_id=11, **ads)
    store.event("v3", day, "visit")
    store.event("v3", day.replace(minute=1), "product_view", sku="FILM-1")
    store.event("v4", day, "visit", **ads)
    store.event("v1", datetime(2024, 1, 2, 8), "visit")
    store.event("v1", datetime(2024, 1, 2, 9), "payment", customer_id=1, order_id=13)
    store.event("v2", datetime(2024, 1, 8, 8), "visit", **ads)
    store.event("v2", datetime(2024, 1, 8, 9), "payment", customer_id=2, order_id=14, **ads)
    return store


@pytest.fixture
def tables(con) -> StoreTables:
    return shop().tables(con)


def rows(table, *keys: str) -> dict:
    return {tuple(row[key] for key in keys): row for row in table.to_pyarrow().to_pylist()}


def test_daily_kpis(tables: StoreTables) -> None:
    got = rows(kpis(tables), "period")
    monday = got[(MON,)]
    assert (monday["uv"], monday["paying_visitors"], monday["conversion_rate"]) == (4, 2, 0.5)
    assert (monday["paying_customers"], monday["orders"]) == (2, 2)  # order 12 is unpaid
    assert monday["gmv"] == 575  # 75 + 500: order totals, shipping included
    assert monday["aov"] == 287.5  # 客单价: GMV per paying customer
    assert monday["gmv_per_order"] == 287.5
    assert (monday["repeat_customers"], monday["repurchase_rate"]) == (0, 0.0)
    assert (monday["units"], monday["returned_units"], monday["return_rate_units"]) == (4, 2, 0.5)
    assert monday["refund_amount"] == 525
    assert monday["return_rate_amount"] == pytest.approx(525 / 575)
    tuesday = got[(TUE,)]
    assert (tuesday["uv"], tuesday["conversion_rate"], tuesday["gmv"]) == (1, 1.0, 30)
    # Customer 1's second order ever: a repurchase, though the first was on another day.
    assert (tuesday["repeat_customers"], tuesday["repurchase_rate"]) == (1, 1.0)
    assert (tuesday["returned_units"], tuesday["return_rate_units"]) == (0, 0.0)
    assert sorted(day for (day,) in got) == [MON, TUE, NEXT_MON]


def test_weekly_kpis_count_each_visitor_and_customer_once(tables: StoreTables) -> None:
    week = rows(kpis(tables, grain="week"), "period")[(MON,)]
    # v1 visits on Monday and Tuesday; customer 1 buys on both days.
    assert (week["uv"], week["paying_visitors"], week["conversion_rate"]) == (4, 2, 0.5)
    assert (week["paying_customers"], week["orders"], week["gmv"]) == (2, 3, 605)
    assert week["aov"] == 302.5
    assert week["gmv_per_order"] == pytest.approx(605 / 3)
    assert week["repurchase_rate"] == 0.5
    assert (week["units"], week["returned_units"], week["return_rate_units"]) == (5, 2, 0.4)
    next_week = rows(kpis(tables, grain="week"), "period")[(NEXT_MON,)]
    assert (next_week["orders"], next_week["gmv"], next_week["repurchase_rate"]) == (1, 40, 1.0)


def test_kpis_by_category_use_line_amounts(tables: StoreTables) -> None:
    got = rows(kpis(tables, by="category"), "period", "category")
    case, film, dehumidifier = (got[(MON, c)] for c in ("case", "film", "dehum"))
    # CASE: 2 × 30 − the 10 discount; shipping belongs to no category.
    assert (case["gmv"], case["units"], case["returned_units"], case["refund_amount"]) == (
        50, 2, 1, 25
    )  # fmt: skip
    assert (case["return_rate_units"], case["return_rate_amount"]) == (0.5, 0.5)
    assert (film["gmv"], film["orders"], film["return_rate_units"]) == (20, 1, 0.0)
    assert (dehumidifier["gmv"], dehumidifier["return_rate_amount"]) == (500, 1.0)
    # Visitors of a category: who viewed it, or paid for an order holding it. v3 viewed FILM
    # and left; v1 paid for order 10, which holds FILM.
    assert (film["uv"], film["paying_visitors"], film["conversion_rate"]) == (2, 1, 0.5)
    assert (case["uv"], case["conversion_rate"]) == (1, 1.0)


def test_kpis_by_channel(tables: StoreTables) -> None:
    got = rows(kpis(tables, by="channel"), "period", "channel")
    search, ads = got[(MON, "search")], got[(MON, "ads")]
    assert (search["uv"], search["paying_visitors"], search["gmv"]) == (2, 1, 75)
    assert (ads["uv"], ads["paying_visitors"], ads["gmv"]) == (2, 1, 500)


def test_kpis_by_region_follow_the_visitor_once_known(tables: StoreTables) -> None:
    got = rows(kpis(tables, by="region"), "period", "region")
    # v1 becomes customer 1 (south) on paying: all of v1's events count for the south.
    assert (got[(MON, "south")]["uv"], got[(MON, "south")]["gmv"]) == (1, 75)
    assert (got[(MON, "north")]["uv"], got[(MON, "north")]["gmv"]) == (1, 500)
    anonymous = got[(MON, None)]
    assert (anonymous["uv"], anonymous["orders"], anonymous["conversion_rate"]) == (2, 0, 0.0)
    assert anonymous["aov"] is None  # no paying customer: no average


def test_without_events_or_returns(con) -> None:
    full = shop().tables(con)
    bare = StoreTables(full.orders, full.order_lines, full.customers)
    monday = rows(kpis(bare), "period")[(MON,)]
    assert (monday["uv"], monday["conversion_rate"]) == (None, None)
    assert (monday["gmv"], monday["returned_units"], monday["return_rate_units"]) == (575, 0, 0.0)


def test_unknown_dimension_is_refused(tables: StoreTables) -> None:
    with pytest.raises(ValueError, match="by must be one of"):
        kpis(tables, by="colour")  # type: ignore[arg-type]

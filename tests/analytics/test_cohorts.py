from __future__ import annotations

from datetime import date, datetime

from storeloop.analytics.cohorts import cohorts
from tests.analytics.hand_store import HandStore


def test_retention_and_revenue_by_calendar_month(con) -> None:
    store = HandStore()
    store.order(1, 1, datetime(2024, 1, 5), [("A-1", 1, 100)])
    store.order(2, 1, datetime(2024, 1, 20), [("A-1", 1, 50)])
    store.order(3, 1, datetime(2024, 3, 3), [("A-1", 1, 30)])
    store.order(4, 2, datetime(2024, 1, 31, 23), [("A-1", 1, 200)])
    store.order(5, 2, datetime(2024, 2, 1, 1), [("A-1", 1, 10)])  # two hours later: month 1
    store.order(6, 3, datetime(2024, 2, 10), [("A-1", 1, 40)])
    store.order(7, 3, datetime(2024, 2, 11), [("A-1", 1, 5)])
    store.order(8, 4, datetime(2023, 12, 31), [("A-1", 1, 20)])
    store.order(9, 4, datetime(2024, 1, 1), [("A-1", 1, 20)])  # across the year: month 1
    store.order(10, 5, datetime(2024, 1, 2), [("A-1", 1, 99)], paid=False)  # not a customer
    got = {
        (row["cohort"], row["months_since"]): (
            row["cohort_customers"],
            row["customers"],
            row["retention"],
            row["revenue"],
            row["revenue_per_customer"],
        )
        for row in cohorts(store.tables(con).orders).to_pyarrow().to_pylist()
    }
    january, february, december = date(2024, 1, 1), date(2024, 2, 1), date(2023, 12, 1)
    assert got == {
        (december, 0): (1, 1, 1.0, 20, 20.0),
        (december, 1): (1, 1, 1.0, 20, 20.0),
        # Customers 1 and 2; customer 1 twice in January counts once.
        (january, 0): (2, 2, 1.0, 350, 175.0),
        (january, 1): (2, 1, 0.5, 10, 5.0),
        (january, 2): (2, 1, 0.5, 30, 15.0),
        (february, 0): (1, 1, 1.0, 45, 45.0),
    }

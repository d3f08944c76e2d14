from __future__ import annotations

from datetime import date, datetime

import pytest

from storeloop.analytics.personas import customer_personas, persona_preferences
from tests.analytics.hand_store import HandStore

AS_OF = date(2024, 9, 1)


def shop() -> HandStore:
    """South buys dehumidifiers in summer; the north buys coats in winter.

    Spend: c1 330, c2 300, c3 460, c4 200, c5 30; terciles of five customers rank 0–4 →
    1 + ⌊3r/5⌋ = low, low, mid, mid, high (c5, c4, c2, c1, c3).
    """
    store = HandStore()
    store.customer(1, region="south", birth_date=date(1990, 1, 1))
    store.customer(2, region="south", birth_date=date(1990, 5, 5))
    store.customer(3, region="north", birth_date=date(1990, 1, 1))
    store.customer(4, region="north")
    store.customer(5, region="south", birth_date=date(2010, 1, 1))
    store.order(1, 1, datetime(2024, 7, 1), [("DEHUM-1", 1, 300), ("CASE-1", 1, 30)])
    store.order(2, 2, datetime(2024, 8, 1), [("DEHUM-1", 1, 300)])
    store.order(3, 3, datetime(2024, 7, 2), [("CASE-1", 2, 30)])
    store.order(4, 3, datetime(2024, 1, 5), [("COAT-1", 1, 400)])
    store.order(5, 4, datetime(2024, 1, 6), [("COAT-1", 1, 200)])
    store.order(6, 5, datetime(2024, 1, 7), [("CASE-1", 1, 30)])
    return store


def test_customer_personas(con) -> None:
    got = {
        row["customer_id"]: (row["region"], row["age_band"], row["spending_level"])
        for row in customer_personas(shop().tables(con), as_of=AS_OF).to_pyarrow().to_pylist()
    }
    assert got == {
        1: ("south", "30-34", "mid"),
        2: ("south", "30-34", "mid"),
        3: ("north", "30-34", "high"),
        4: ("north", "unknown", "low"),
        5: ("south", "<18", "low"),
    }


@pytest.mark.parametrize(
    ("born", "band"),
    [(date(1989, 9, 1), "35-44"), (date(1989, 9, 2), "30-34"), (date(2006, 9, 1), "18-24")],
)
def test_age_is_counted_in_whole_years_on_the_as_of_date(con, born: date, band: str) -> None:
    store = HandStore()
    store.customer(1, birth_date=born)
    store.order(1, 1, datetime(2024, 8, 1), [("A-1", 1, 10)])
    (row,) = customer_personas(store.tables(con), as_of=AS_OF).to_pyarrow().to_pylist()
    assert row["age_band"] == band


def test_southern_customers_prefer_dehumidifiers_in_summer(con) -> None:
    got = (
        persona_preferences(shop().tables(con), as_of=AS_OF, min_customers=2)
        .to_pyarrow()
        .to_pylist()
    )
    # Summer spend: dehumidifiers 600, cases 30 + 60 = 690 in all; the southern 30-34 mid
    # persona spent 630, 600 of it on dehumidifiers. The cases (one buyer) are left out.
    assert got == [
        {
            "region": "south",
            "age_band": "30-34",
            "spending_level": "mid",
            "season": "summer",
            "category": "dehum",
            "customers": 2,
            "spend": 600,
            "share": pytest.approx(600 / 630),
            "overall_share": pytest.approx(600 / 690),
            "lift": pytest.approx(690 / 630),
            "rank": 1,
        }
    ]


def test_preferences_rank_by_lift_and_can_ignore_seasons(con) -> None:
    rows = (
        persona_preferences(shop().tables(con), as_of=AS_OF, by_season=False, min_customers=1)
        .to_pyarrow()
        .to_pylist()
    )
    north_high = [r for r in rows if (r["region"], r["spending_level"]) == ("north", "high")]
    # All spend 1320: coats 600, cases 120. c3 spent 400 of 460 on a coat (lift 1.91), 60 on
    # cases (lift 1.43): both above the average customer, the coat more so.
    assert [(r["category"], r["rank"]) for r in north_high] == [("coat", 1), ("case", 2)]
    assert north_high[0]["lift"] == pytest.approx((400 / 460) / (600 / 1320))
    assert north_high[1]["lift"] == pytest.approx((60 / 460) / (120 / 1320))

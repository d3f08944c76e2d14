from __future__ import annotations

from datetime import date, datetime

import ibis
import pytest

from storeloop.analytics.segments import SEGMENTS, rfm, value_scores
from tests.analytics.hand_store import HandStore

AS_OF = date(2024, 3, 31)


def scores(con, table: ibis.Table, groups: int, *, descending: bool = False) -> list[int]:
    scored = table.join(value_scores(table, "v", groups, descending=descending), "v")
    return con.to_pyarrow(scored.order_by("i"))["v_score"].to_pylist()


def window_scores(con, table: ibis.Table, groups: int, *, descending: bool = False) -> list[int]:
    """The definition said with a rank window over every row, to check the per-value counts."""
    before = ibis.rank().over(order_by=ibis.desc(table.v) if descending else table.v)
    score = (before * groups / table.count().over(ibis.window())).floor().cast("int64") + 1
    return con.to_pyarrow(table.mutate(score=score).order_by("i"))["score"].to_pylist()


def test_rank_scores_keep_ties_together(con) -> None:
    values = [1, 2, 2, 3, 4, 5, 5, 5, 6, 7]
    table = ibis.memtable({"i": list(range(10)), "v": values})
    # score = 1 + ⌊5 × (values strictly below) / 10⌋.
    assert scores(con, table, 5) == [1, 1, 1, 2, 3, 3, 3, 3, 5, 5]
    # Descending, 7 ranks first: ranks 9, 7, 7, 6, 5, 2, 2, 2, 1, 0.
    assert scores(con, table, 5, descending=True) == [5, 4, 4, 4, 3, 2, 2, 2, 1, 1]


def test_the_grid_names_every_cell_once() -> None:
    cells = [
        (r, f)
        for _, (r_low, r_high), (f_low, f_high) in SEGMENTS
        for r in range(r_low, r_high + 1)
        for f in range(f_low, f_high + 1)
    ]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]


def five_customers() -> HandStore:
    store = HandStore()
    for number, (customer, at, amount) in enumerate(
        [
            (1, datetime(2024, 3, 30), 100),
            (1, datetime(2024, 3, 1), 100),
            (1, datetime(2024, 2, 1), 100),
            (2, datetime(2024, 3, 25), 50),
            (3, datetime(2024, 1, 1), 400),
            (3, datetime(2024, 1, 15), 400),
            (4, datetime(2024, 2, 20), 30),
            (5, datetime(2024, 3, 1), 60),
            (5, datetime(2024, 4, 2), 999),  # after the as-of date
        ]
    ):
        store.order(number, customer, at, [("A-1", 1, amount)])
    return store


def test_rfm_scores_segments_and_flags_by_hand(con) -> None:
    got = {
        row["customer_id"]: row
        for row in rfm(five_customers().tables(con).orders, as_of=AS_OF).to_pyarrow().to_pylist()
    }
    # Recency 1, 6, 76, 40, 30 days; frequency 3, 1, 2, 1, 1; monetary 300, 50, 800, 30, 60.
    # With five customers a score is 1 + the number of customers ranked strictly worse.
    summary = {
        c: (r["recency_days"], r["frequency"], r["monetary"], r["rfm"], r["segment"])
        for c, r in got.items()
    }
    assert summary == {
        1: (1, 3, 300, "554", "champions"),
        2: (6, 1, 50, "412", "promising"),
        3: (76, 2, 800, "145", "at_risk"),
        4: (40, 1, 30, "211", "hibernating"),
        5: (30, 1, 60, "313", "about_to_sleep"),
    }
    assert {c for c, r in got.items() if r["churn_risk"]} == {3, 4, 5}  # ≥ 30 days
    assert {c for c, r in got.items() if r["dormant"]} == {3}  # ≥ 60 days
    # Average order values 100, 50, 400, 30, 60: the top 20% of five customers is one.
    assert {c for c, r in got.items() if r["vip"]} == {3}
    assert got[1]["aov"] == 100.0


def test_vip_ties_at_the_boundary_are_all_in(con) -> None:
    store = HandStore()
    for customer, amount in enumerate([10, 10, 5, 3, 1], start=1):
        store.order(customer, customer, datetime(2024, 3, 1), [("A-1", 1, amount)])
    got = rfm(store.tables(con).orders, as_of=AS_OF).to_pyarrow().to_pylist()
    assert {row["customer_id"] for row in got if row["vip"]} == {1, 2}


def test_vip_share_must_be_a_share(con) -> None:
    with pytest.raises(ValueError, match="vip_share"):
        rfm(five_customers().tables(con).orders, as_of=AS_OF, vip_share=0)


@pytest.mark.parametrize("descending", [False, True])
def test_scores_per_value_equal_ranked_scores(con, descending: bool) -> None:
    """Scores counted per distinct value are the scores of ranking every row."""
    import numpy as np

    rng = np.random.default_rng(4)
    values = rng.zipf(1.5, 3000).clip(max=200).tolist()  # heavy ties at small values
    table = ibis.memtable({"i": list(range(len(values))), "v": values})
    got = scores(con, table, 5, descending=descending)
    assert got == window_scores(con, table, 5, descending=descending)
    assert len(set(got)) >= 3

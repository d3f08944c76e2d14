from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from storeloop.analytics.abc_xyz import abc_xyz
from tests.analytics.hand_store import HandStore

START, END = date(2024, 1, 1), date(2024, 1, 28)  # Monday to Sunday: four weeks
WEEKLY_UNITS = {
    # SKU: (unit price, units in each of the four weeks)
    "A-1": (25, [5, 5, 5, 5]),  # revenue 500, steady: cv 0
    "A-2": (25, [6, 6, 0, 0]),  # 300; mean 3, sd 3: cv 1.0, Y's upper limit
    "B-1": (10, [15, 0, 0, 0]),  # 150; mean 3.75, sd √42.1875: cv √3
    "C-1": (10, [1, 1, 1, 1]),  # 40
    "C-2": (10, [0, 1, 0, 0]),  # 10
}


def classes_of(rows: list[dict]) -> dict[str, tuple]:
    return {row["sku"]: (row["abc"], row["xyz"], row["policy"]) for row in rows}


@pytest.fixture
def lines(con):
    store = HandStore()
    number = 0
    for sku, (price, weeks) in WEEKLY_UNITS.items():
        for week, units in enumerate(weeks):
            if units:
                number += 1
                at = datetime(2024, 1, 3, 12) + timedelta(weeks=week)
                store.order(number, number, at, [(sku, units, price)])
    store.order(99, 99, datetime(2024, 1, 29), [("C-2", 100, 10)])  # after the range
    return store.tables(con).order_lines


def test_abc_xyz_by_hand(lines) -> None:
    got = abc_xyz(lines, start=START, end=END).to_pyarrow().to_pylist()
    assert [row["sku"] for row in got] == ["A-1", "A-2", "B-1", "C-1", "C-2"]
    assert [row["revenue_share"] for row in got] == [0.5, 0.3, 0.15, 0.04, 0.01]
    assert [row["cumulative_share"] for row in got] == pytest.approx([0.5, 0.8, 0.95, 0.99, 1])
    # A while the SKUs before it make less than 80%: B-1 starts exactly at 80%, so it is a B.
    assert classes_of(got) == {
        "A-1": ("A", "X", "stock_amply"),
        "A-2": ("A", "Y", "stock_amply"),
        "B-1": ("B", "Z", "small_test_batches"),
        "C-1": ("C", "X", "drop_ship"),
        "C-2": ("C", "Z", "drop_ship"),
    }
    by_sku = {row["sku"]: row for row in got}
    assert by_sku["B-1"]["cv"] == pytest.approx(3**0.5)
    assert (by_sku["C-2"]["weeks"], by_sku["C-2"]["weeks_with_sales"]) == (4, 1)
    assert (by_sku["A-2"]["mean_weekly_units"], by_sku["A-2"]["cv"]) == (3.0, 1.0)
    assert by_sku["A-1"]["abc_xyz"] == "AX"


def test_thresholds_are_configurable(lines) -> None:
    table = abc_xyz(lines, start=START, end=END, abc=(0.5, 0.3, 0.2), xyz=(0.0, 2.0))
    got = classes_of(table.to_pyarrow().to_pylist())
    assert {sku: c[:2] for sku, c in got.items()} == {
        "A-1": ("A", "X"),
        "A-2": ("B", "Y"),
        "B-1": ("C", "Y"),
        "C-1": ("C", "X"),
        "C-2": ("C", "Y"),
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"abc": (0.8, 0.15)}, "three positive shares"),
        ({"abc": (0.8, 0.15, 0.1)}, "adding up to 1"),
        ({"xyz": (1.0, 0.5)}, "0 <= X <= Y"),
        ({"start": END, "end": START}, "before it starts"),
    ],
)
def test_bad_options_are_refused(lines, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        abc_xyz(lines, **{"start": START, "end": END, **options})

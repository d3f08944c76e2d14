"""Money stays exact: integer minor units, and allocations that always sum to the whole."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeloop.money import Money, allocate, percent_of


def test_allocate_hand_worked_three_way_split() -> None:
    # ¥10.00 over three equal lines: 333 + 333 + 333 = 999, the last fen goes to the first line.
    assert allocate(1000, [1, 1, 1]) == [334, 333, 333]


def test_allocate_follows_weights_with_largest_remainder() -> None:
    # ¥20 off a ¥300 cart of ¥100 + ¥200 lines: exactly one third and two thirds.
    assert allocate(2000, [10000, 20000]) == [667, 1333]
    # 7 fen over weights 1:2:4 is exact.
    assert allocate(7, [1, 2, 4]) == [1, 2, 4]


def test_allocate_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        allocate(10, [1, -1])
    with pytest.raises(ValueError, match="zero"):
        allocate(10, [0, 0])
    assert allocate(10, []) == []


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocations_sum_exactly_and_stay_within_one_fen_of_the_exact_share(
    amount: int, weights: list[int]
) -> None:
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = amount * weight / total
        assert abs(part - exact) < 1 + 1e-6 * abs(exact)
        if weight == 0:
            assert part == 0


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(9.9)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = Money(100, "CNY") + Money(100, "USD")
    with pytest.raises(TypeError):
        _ = Money(100) * 1.5  # type: ignore[operator]


def test_money_arithmetic_and_display() -> None:
    assert Money(1999) + Money(1) == Money(2000)
    assert Money(500) * 3 == Money(1500)
    assert str(Money(123456)) == "1234.56 CNY"
    assert str(Money(-5)) == "-0.05 CNY"
    assert str(Money(500, "JPY")) == "500 JPY"
    assert [m.amount for m in Money(1000).allocate([1, 1, 1])] == [334, 333, 333]


def test_percent_of_rounds_half_up_in_minor_units() -> None:
    assert percent_of(1999, 1000) == 200  # 10% of ¥19.99 = 199.9 fen → 200
    assert percent_of(1995, 1000) == 200  # 199.5 → 200
    assert percent_of(1994, 1000) == 199

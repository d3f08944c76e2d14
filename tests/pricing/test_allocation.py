"""Order-level discounts spread to the fen, and partial returns that refund what units cost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeloop.money import allocate, percent_of
from storeloop.pricing import refund_for_return
from storeloop.pricing.allocation import allocate_capped, unit_prices
from tests.pricing.builders import CATALOGUE, cart, line, offers, price

TEA = CATALOGUE["TEA"]["list_price"]
THREE_FOR_20 = {
    "id": "tea-tiers",
    "kind": "quantity_tiers",
    "products": {"skus": ["TEA"]},
    "tiers": [{"min_quantity": 3, "percent_off_bp": 2000}],
}


def test_allocate_capped_is_plain_pro_rata_when_nothing_binds() -> None:
    assert allocate_capped(2000, [10000, 20000], [10**9, 10**9]) == allocate(2000, [10000, 20000])


def test_allocate_capped_moves_the_excess_to_lines_with_room() -> None:
    # 900 over equal weights would be 300 each; the first line has room for 100 only.
    assert allocate_capped(900, [1, 1, 1], [100, 1000, 1000]) == [100, 400, 400]


def test_allocate_capped_drops_what_no_line_can_take() -> None:
    assert allocate_capped(900, [1, 1], [100, 200]) == [100, 200]
    assert allocate_capped(500, [0, 1], [1000, 0]) == [0, 0]


@given(
    amount=st.integers(0, 10**7),
    rows=st.lists(st.tuples(st.integers(0, 10**5), st.integers(0, 10**6)), min_size=1, max_size=12),
)
def test_allocate_capped_sums_exactly_and_respects_room(
    amount: int, rows: list[tuple[int, int]]
) -> None:
    weights, room = [w for w, _ in rows], [r for _, r in rows]
    parts = allocate_capped(amount, weights, room)
    open_room = sum(r for w, r in rows if w > 0)
    assert sum(parts) == min(amount, open_room)
    assert all(0 <= part <= r for part, r in zip(parts, room, strict=True))


def test_returning_one_of_three_units_bought_three_for_20_percent_off() -> None:
    priced = price(cart({"TEA": 3}), offers(THREE_FOR_20))
    tea = line(priced, "TEA")
    paid = 3 * TEA - percent_of(3 * TEA, 2000)
    assert tea.final_amount == paid
    assert refund_for_return(tea, 1) == paid // 3  # 79.20, not the 99.00 list price
    refunds = [refund_for_return(tea, 1, already_returned=n) for n in range(3)]
    assert sum(refunds) == paid


def test_refunds_of_an_order_discount_follow_its_allocation() -> None:
    # ¥20 off 2 teas + 1 cup: each unit's refund is its share of what its line really cost.
    manjian = {
        "id": "mj",
        "kind": "spend_tiers",
        "tiers": [{"min_spend": 20000, "amount_off": 2000}],
    }
    priced = price(cart({"TEA": 2, "CUP": 1}), offers(manjian))
    cup_share, tea_share = allocate(2000, [CATALOGUE["CUP"]["list_price"], 2 * TEA])
    tea = line(priced, "TEA")
    assert refund_for_return(tea, 2) == 2 * TEA - tea_share
    assert unit_prices(tea) == allocate(2 * TEA - tea_share, [1, 1])
    assert refund_for_return(line(priced, "CUP"), 1) == CATALOGUE["CUP"]["list_price"] - cup_share


def test_refund_refuses_more_units_than_remain() -> None:
    tea = line(price(cart({"TEA": 3}), offers(THREE_FOR_20)), "TEA")
    with pytest.raises(ValueError, match="cannot return"):
        refund_for_return(tea, 2, already_returned=2)

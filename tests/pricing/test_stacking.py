"""One hand-worked example per stacking rule (docs/pricing.md, "Stacking")."""

from __future__ import annotations

from unittest.mock import patch

from storeloop.money import allocate, percent_of
from storeloop.pricing import stacking
from storeloop.pricing.kinds.base import money_text
from tests.pricing.builders import (
    CATALOGUE,
    applied,
    cart,
    customer,
    line,
    offers,
    price,
    reasons,
)

TEA, CUP, OOLONG = (CATALOGUE[s]["list_price"] for s in ("TEA", "CUP", "OOLONG"))
SILVER = {
    "id": "silver-5",
    "kind": "member_price",
    "customers": {"tiers": ["silver"]},
    "percent_off_bp": 500,
}
FLASH = {
    "id": "flash-tea",
    "kind": "flash_sale",
    "products": {"skus": ["TEA"]},
    "price": 7900,
    "total_quantity": 100,
}


def _spend(offer_id: str, min_spend: int, amount_off: int, **more: object) -> dict[str, object]:
    return {
        "id": offer_id,
        "kind": "spend_tiers",
        "tiers": [{"min_spend": min_spend, "amount_off": amount_off}],
        **more,
    }


def _coupon(offer_id: str, code: str, **rule: object) -> dict[str, object]:
    return {"id": offer_id, "kind": "coupon", "codes": [{"code": code}], **rule}


def test_item_level_offers_do_not_add_up_the_best_one_per_line_wins() -> None:
    silver = customer(tier="silver")
    priced = price(cart({"TEA": 1, "CUP": 1}), offers(SILVER, FLASH), who=silver)
    # TEA: flash saves 20.00, member price 4.95 → flash; CUP: only the member price.
    assert [d.offer for d in line(priced, "TEA").discounts] == ["flash-tea"]
    assert line(priced, "TEA").final_amount == 7900
    assert line(priced, "CUP").final_amount == CUP - percent_of(CUP, 500)


def test_shop_thresholds_are_measured_on_item_level_prices() -> None:
    # Two teas at the flash price make ¥158.00: over the ¥150 tier, under the exclusive ¥160.
    low = _spend("mj150", 15000, 1500)
    high = _spend("mj160", 16000, 3000, exclusive=True)
    priced = price(cart({"TEA": 2}), offers(FLASH, low, high))
    flash_spend = 2 * 7900
    assert applied(priced) == {"flash-tea": 2 * (TEA - 7900), "mj150": 1500}
    assert priced.totals.total == flash_spend - 1500
    # The exclusive ¥30 tier needs list prices, i.e. giving up the flash sale: 198 - 30 = 168.
    assert reasons(priced)["mj160"] == "worse_combination"
    (why,) = [r.detail for r in priced.rejected if r.offer == "mj160"]
    total = flash_spend - 1500
    # That set is never priced: its floor (list prices less the best shop benefit) rules it out.
    assert why == (
        f"exclusive; every combination using it costs at least {money_text(2 * TEA - 3000, 'CNY')}"
        f", {money_text(2 * TEA - 3000 - total, 'CNY')} more"
    )


def test_giving_up_an_item_offer_can_be_best_when_it_reaches_a_threshold() -> None:
    # 2 × 99.00 + 1 cup = 233.00 at list; silver 5 % makes it 221.35, under the ¥230 tier.
    tier = _spend("mj230", 23000, 3000)
    silver = customer(tier="silver")
    priced = price(cart({"TEA": 2, "CUP": 1}), offers(SILVER, tier), who=silver)
    list_total = 2 * TEA + CUP
    with_member = list_total - percent_of(2 * TEA, 500) - percent_of(CUP, 500)
    assert with_member < 23000 < list_total
    assert priced.totals.total == min(list_total - 3000, with_member) == list_total - 3000
    assert reasons(priced)["silver-5"] == "worse_combination"


def test_coupon_thresholds_are_measured_after_shop_level_offers() -> None:
    shop = _spend("mj200", 20000, 2000)
    coupon = _coupon("c-over-200", "OVER200X", min_spend=20000, amount_off=1500)
    the_cart = cart({"TEA": 2, "CUP": 1}, coupon_codes=["OVER200X"])
    priced = price(the_cart, offers(shop, coupon))
    # 233.00 - 20.00 = 213.00 after the shop tier: the coupon still reaches its ¥200.
    assert priced.totals.total == 2 * TEA + CUP - 2000 - 1500
    just_over = cart({"TEA": 2, "CUP": 1}, coupon_codes=["OVER200X"])
    big_shop = _spend("mj200", 20000, 4000)
    both_not_allowed = price(just_over, offers(big_shop, coupon))
    # After ¥40 off, 193.00 < 200: shop alone (193.00) beats coupon alone (218.00).
    assert both_not_allowed.totals.total == 2 * TEA + CUP - 4000
    assert reasons(both_not_allowed)["c-over-200"] == "worse_combination"


def test_percent_coupon_is_computed_on_prices_after_shop_offers() -> None:
    shop = _spend("mj200", 20000, 2000)
    coupon = _coupon("p10", "TENPCT99", percent_off_bp=1000)
    priced = price(cart({"TEA": 3}, coupon_codes=["TENPCT99"]), offers(shop, coupon))
    after_shop = 3 * TEA - 2000
    assert priced.totals.coupon_discount == percent_of(after_shop, 1000)


def test_exclusive_shop_offer_goes_alone_and_the_better_side_wins() -> None:
    tiers = {
        "id": "tea-tiers",
        "kind": "quantity_tiers",
        "products": {"categories": ["tea"]},
        "tiers": [{"min_quantity": 3, "percent_off_bp": 2000}],
    }
    stacking = _spend("mj250", 25000, 2500)
    exclusive = _spend("vip-only", 10000, 7000, exclusive=True)
    priced = price(cart({"TEA": 3}), offers(tiers, stacking, exclusive))
    together = 3 * TEA - percent_of(3 * TEA, 2000) - 2500
    alone = 3 * TEA - 7000
    assert together < alone
    assert priced.totals.total == together
    rejection = next(r for r in priced.rejected if r.offer == "vip-only")
    assert rejection.reason == "worse_combination"
    assert rejection.detail.startswith("exclusive;")


def test_one_coupon_per_order_by_default_the_best_one() -> None:
    five = _coupon("c5", "FIVE5555", amount_off=500)
    eight = _coupon("c8", "EIGHT888", amount_off=800)
    the_cart = cart({"TEA": 1}, coupon_codes=["FIVE5555", "EIGHT888"])
    priced = price(the_cart, offers(five, eight))
    assert priced.totals.total == TEA - 800
    two = price(the_cart, offers(five, eight, policy={"max_coupons": 2}))
    assert two.totals.total == TEA - 800 - 500


def test_exclusive_coupon_does_not_combine_with_other_coupons() -> None:
    five = _coupon("c5", "FIVE5555", amount_off=500)
    eight = _coupon("c8", "EIGHT888", amount_off=800)
    big = _coupon("c12", "TWELVE12", amount_off=1200, exclusive=True)
    the_cart = cart({"TEA": 1}, coupon_codes=["FIVE5555", "EIGHT888", "TWELVE12"])
    priced = price(the_cart, offers(five, eight, big, policy={"max_coupons": 2}))
    assert priced.totals.total == TEA - max(1200, 500 + 800)


def test_free_shipping_coupon_combines_with_a_goods_coupon() -> None:
    ship = _coupon("ship", "SHIPFREE", free_shipping=True)
    five = _coupon("c5", "FIVE5555", amount_off=500)
    the_cart = cart({"CUP": 1}, coupon_codes=["SHIPFREE", "FIVE5555"])
    priced = price(the_cart, offers(ship, five, shipping={"fee": 800, "free_threshold": 9900}))
    assert priced.totals.total == CUP - 500
    assert priced.totals.shipping_discount == 800


def test_deposit_inflation_comes_after_coupons_and_outside_the_caps() -> None:
    presale = {
        "id": "presale",
        "kind": "presale",
        "products": {"skus": ["OOLONG"]},
        "deposit": 1000,
        "worth": 3000,
        "deposit_starts_at": "2025-06-01T00:00:00+08:00",
        "deposit_ends_at": "2025-06-10T00:00:00+08:00",
        "balance_starts_at": "2025-06-10T00:00:00+08:00",
        "balance_ends_at": "2025-06-20T00:00:00+08:00",
    }
    coupon = _coupon("c20", "TWENTY20", amount_off=2000)
    the_cart = cart(
        [{"sku": "OOLONG", "quantity": 1, "deposit": {"offer": "presale", "units": 1}}],
        coupon_codes=["TWENTY20"],
    )
    capped = {"max_order_discount_bp": 1000}  # 10 % of 128.00 = 12.80 for coupons and the rest
    priced = price(the_cart, offers(presale, coupon, policy=capped))
    cap = OOLONG * 1000 // 10_000
    assert priced.totals.coupon_discount == min(2000, cap)
    assert priced.totals.deposit_inflation == 3000 - 1000
    assert priced.totals.to_pay == OOLONG - min(2000, cap) - 3000
    assert [d.level for d in line(priced, "OOLONG").discounts] == ["coupon", "deposit"]


def test_per_line_and_per_order_percentage_caps() -> None:
    flash = {**FLASH, "price": 100}  # 99 % off the tea
    per_line = price(cart({"TEA": 1}), offers(flash, policy={"max_line_discount_bp": 5000}))
    assert per_line.totals.total == TEA - TEA * 5000 // 10_000
    assert per_line.applied[0].requested == TEA - 100
    shop = _spend("mj100", 10000, 6000)
    per_order = price(
        cart({"TEA": 1, "CUP": 1}), offers(shop, policy={"max_order_discount_bp": 2000})
    )
    assert per_order.totals.discount == (TEA + CUP) * 2000 // 10_000


def test_line_cap_moves_an_order_discount_to_lines_with_room() -> None:
    # The tea already took 40 % at item level, its cap; the ¥20 shop discount all goes to the cup.
    flash = {**FLASH, "price": TEA - TEA * 4000 // 10_000}
    shop = _spend("mj50", 5000, 1000)
    policy = {"max_line_discount_bp": 4000}
    priced = price(cart({"TEA": 1, "CUP": 1}), offers(flash, shop, policy=policy))
    assert priced.applied[1].allocations == {"CUP": 1000}


def test_discounts_never_push_a_line_below_zero() -> None:
    huge = _spend("mj1", 100, 1_000_000)
    priced = price(cart({"CUP": 2}), offers(huge))
    assert line(priced, "CUP").final_amount == 0
    assert priced.totals.total == 0


def test_budget_limits_what_an_offer_may_still_give() -> None:
    shop = _spend("mj200", 20000, 3000, budget=100_000)
    priced = price(cart({"TEA": 3}), offers(shop, usage={"mj200": {"spent": 100_000 - 1200}}))
    assert priced.totals.shop_discount == 1200
    assert priced.applied[0].requested == 3000


def test_order_discounts_are_allocated_pro_rata_to_the_fen() -> None:
    shop = _spend("mj200", 20000, 2000)
    priced = price(cart({"TEA": 2, "CUP": 1}), offers(shop))
    expected = allocate(2000, [CUP, 2 * TEA])  # lines in SKU order: CUP, TEA
    assert priced.applied[0].allocations == {"CUP": expected[0], "TEA": expected[1]}


def test_ties_go_to_fewer_coupons_so_the_shopper_keeps_the_coupon() -> None:
    # The order cap leaves room for 9.90 of discount: the shop tier alone fills it, and the
    # coupon, which could give no more, stays in the shopper's wallet.
    shop = _spend("mj100", 10000, 1000)
    coupon = _coupon("c10", "TEN10101", amount_off=1000)
    the_cart = cart({"TEA": 2}, coupon_codes=["TEN10101"])
    priced = price(the_cart, offers(shop, coupon, policy={"max_order_discount_bp": 500}))
    cap = 2 * TEA * 500 // 10_000
    assert priced.totals.total == 2 * TEA - cap
    assert applied(priced) == {"mj100": cap}
    assert reasons(priced) == {"c10": "capped"}


def test_ties_between_equal_coupons_go_to_the_first_id() -> None:
    a = _coupon("coupon-a", "AAAA1111", amount_off=500)
    b = _coupon("coupon-b", "BBBB2222", amount_off=500)
    the_cart = cart({"TEA": 1}, coupon_codes=["BBBB2222", "AAAA1111"])
    priced = price(the_cart, offers(b, a))
    assert applied(priced) == {"coupon-a": 500}
    assert reasons(priced) == {"coupon-b": "not_needed"}


def test_a_cart_past_the_work_budget_is_priced_validly_and_says_truncated() -> None:
    # Tiers just out of reach at item-level prices make every item offer worth toggling; with no
    # budget left after the first combination, the engine stops and says so.
    # (Each tier is worth more than the item offers, so no item-offer set can be ruled out by
    # its floor and the full search prices several.)
    tiers = [_spend(f"mj-{n}", 2 * TEA + CUP - n, 5000 + n) for n in range(1, 8)]
    silver = customer(tier="silver")
    the_offers = offers(SILVER, FLASH, *tiers)
    full = price(cart({"TEA": 2, "CUP": 1}), the_offers, who=silver)
    assert not full.search.truncated
    with patch.object(stacking, "WORK_BUDGET", 0):
        cut = price(cart({"TEA": 2, "CUP": 1}), the_offers, who=silver)
    assert cut.search.truncated
    assert cut.search.combinations < full.search.combinations
    assert 0 <= full.totals.total <= cut.totals.total
    for entry in cut.applied:
        assert sum(entry.allocations.values()) == entry.amount

"""One hand-worked example per offer kind; every expected figure is derived here from the rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storeloop.money import percent_of
from storeloop.pricing import issue_codes
from storeloop.pricing.kinds.coupon import CODE_ALPHABET
from tests.pricing.builders import (
    AT,
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
TRIAL, FULL, MASK = (CATALOGUE[s]["list_price"] for s in ("SERUM-5", "SERUM-50", "MASK"))

TEA_TIERS = {
    "id": "tea-tiers",
    "kind": "quantity_tiers",
    "products": {"categories": ["tea"]},
    "tiers": [
        {"min_quantity": 2, "percent_off_bp": 1000},
        {"min_quantity": 3, "percent_off_bp": 2000},
    ],
}
SPEND_TIERS = {
    "id": "manjian",
    "kind": "spend_tiers",
    "tiers": [{"min_spend": 20000, "amount_off": 2000}, {"min_spend": 30000, "amount_off": 4000}],
}


# --- quantity tiers ----------------------------------------------------------------------------


def test_quantity_tiers_three_units_take_the_top_tier() -> None:
    priced = price(cart({"TEA": 3}), offers(TEA_TIERS))
    assert line(priced, "TEA").final_amount == 3 * TEA - percent_of(3 * TEA, 2000)


def test_quantity_tiers_count_units_across_the_scope() -> None:
    # 1 tea + 1 oolong = 2 tea units → 10 % off both lines, split pro rata.
    priced = price(cart({"TEA": 1, "OOLONG": 1, "CUP": 1}), offers(TEA_TIERS))
    discount = percent_of(TEA + OOLONG, 1000)
    assert applied(priced) == {"tea-tiers": discount}
    assert priced.totals.total == TEA + OOLONG + CUP - discount
    assert line(priced, "CUP").discounts == ()


def test_quantity_tiers_nudge_to_the_next_tier() -> None:
    priced = price(cart({"TEA": 2}), offers(TEA_TIERS))
    nudge = next(n for n in priced.nudges if n.offer == "tea-tiers")
    assert (nudge.add_units, nudge.sku, nudge.add_amount) == (1, "TEA", TEA)
    assert nudge.unlocks == percent_of(3 * TEA, 2000) - percent_of(2 * TEA, 1000)
    assert nudge.message_en == "add 1 more for 20% off"
    assert nudge.message_zh == "再买1件享8折"


# --- spend tiers (满减), repeating or not --------------------------------------------------------


def test_spend_tiers_take_the_highest_tier_reached() -> None:
    priced = price(cart({"TEA": 2, "CUP": 1}), offers(SPEND_TIERS))
    spend = 2 * TEA + CUP  # 233.00 ≥ 200, < 300
    assert priced.totals.shop_discount == 2000
    assert priced.totals.total == spend - 2000


def test_spend_tiers_nudge_says_how_much_more() -> None:
    # ¥165.00 in the cart: ¥35.00 more for ¥20.00 off, as the issue puts it.
    the_cart = cart(
        {"CUP": 1},
        catalogue={"CUP": {"list_price": 16500, "cost": 1000}},
    )
    priced = price(the_cart, offers(SPEND_TIERS))
    assert reasons(priced)["manjian"] == "condition_not_met"
    (nudge,) = priced.nudges
    assert (nudge.add_amount, nudge.unlocks) == (20000 - 16500, 2000)
    assert nudge.message_en == "¥35.00 more for ¥20.00 off"
    assert nudge.message_zh == "再买¥35.00可减¥20.00"


def test_spend_repeat_stops_at_its_cap() -> None:
    repeat = {
        "id": "every100",
        "kind": "spend_repeat",
        "every": 10000,
        "amount_off": 1000,
        "max_off": 3000,
    }
    priced = price(cart({"OOLONG": 3, "TEA": 1}), offers(repeat))
    spend = 3 * OOLONG + TEA  # 483.00 → four full ¥100s → ¥40, capped at ¥30
    assert applied(priced) == {"every100": min(spend // 10000 * 1000, 3000)}


def test_spend_repeat_below_the_cap_repeats_per_multiple() -> None:
    repeat = {"id": "every100", "kind": "spend_repeat", "every": 10000, "amount_off": 1000}
    priced = price(cart({"TEA": 3}), offers(repeat))
    assert applied(priced) == {"every100": (3 * TEA) // 10000 * 1000}
    nudge = priced.nudges[0]
    assert nudge.add_amount == 30000 - 3 * TEA
    assert nudge.unlocks == 1000


# --- bundles -------------------------------------------------------------------------------------


def _bundle(**benefit: int) -> dict[str, object]:
    return {
        "id": "serum-set",
        "kind": "bundle",
        "items": [{"sku": "SERUM-5"}, {"sku": "SERUM-50"}],
        **benefit,
    }


def test_bundle_amount_off_the_set() -> None:
    priced = price(cart({"SERUM-5": 1, "SERUM-50": 1}), offers(_bundle(amount_off=2000)))
    assert priced.totals.total == TRIAL + FULL - 2000
    allocations = priced.applied[0].allocations
    assert sum(allocations.values()) == 2000


def test_bundle_fixed_price_and_percent_off() -> None:
    the_cart = cart({"SERUM-5": 1, "SERUM-50": 1})
    fixed = price(the_cart, offers(_bundle(price=18000)))
    assert fixed.totals.total == 18000
    percent = price(the_cart, offers(_bundle(percent_off_bp=1500)))
    assert percent.totals.total == TRIAL + FULL - percent_of(TRIAL + FULL, 1500)


def test_bundle_counts_complete_sets_only_up_to_max_sets() -> None:
    # 3 trial + 2 full = 2 complete sets; max_sets 1 keeps one.
    the_cart = cart({"SERUM-5": 3, "SERUM-50": 2})
    two = price(the_cart, offers(_bundle(amount_off=2000)))
    assert two.totals.shop_discount == 2 * 2000
    one = price(the_cart, offers(_bundle(amount_off=2000, max_sets=1)))
    assert one.totals.shop_discount == 2000


def test_bundle_nudge_names_the_missing_item() -> None:
    priced = price(cart({"SERUM-50": 1}), offers(_bundle(amount_off=2000)))
    (nudge,) = priced.nudges
    assert (nudge.sku, nudge.add_units, nudge.add_amount, nudge.unlocks) == (
        "SERUM-5",
        1,
        TRIAL,
        2000,
    )


# --- member price and member days --------------------------------------------------------------


SILVER = {
    "id": "silver-5",
    "kind": "member_price",
    "customers": {"tiers": ["silver"]},
    "percent_off_bp": 500,
}


def test_member_price_is_the_tiers_percent_off() -> None:
    priced = price(cart({"TEA": 2}), offers(SILVER), who=customer(tier="silver"))
    assert priced.totals.total == 2 * TEA - percent_of(2 * TEA, 500)


def test_member_price_skips_other_tiers_and_anonymous_shoppers() -> None:
    gold = price(cart({"TEA": 2}), offers(SILVER), who=customer(tier="gold"))
    assert gold.totals.total == 2 * TEA
    assert reasons(gold)["silver-5"] == "tier"
    anonymous = price(cart({"TEA": 2}), offers(SILVER))
    assert anonymous.totals.total == 2 * TEA


def test_member_day_applies_only_on_its_days_in_the_store_time_zone() -> None:
    member_day = {**SILVER, "id": "member-day", "percent_off_bp": 1500, "days_of_month": [18]}
    silver = customer(tier="silver")
    on_the_day = price(cart({"TEA": 1}), offers(member_day), who=silver)
    assert on_the_day.totals.total == TEA - percent_of(TEA, 1500)
    # 2025-06-17 23:30 UTC is already the 18th in Shanghai; 2025-06-18 16:30 UTC is the 19th.
    early = datetime(2025, 6, 17, 23, 30, tzinfo=UTC)
    late = datetime(2025, 6, 18, 16, 30, tzinfo=UTC)
    assert price(cart({"TEA": 1}), offers(member_day), who=silver, at=early).totals.total == (
        TEA - percent_of(TEA, 1500)
    )
    assert price(cart({"TEA": 1}), offers(member_day), who=silver, at=late).totals.total == TEA
    day_before = AT - timedelta(days=1)
    off_day = price(cart({"TEA": 1}), offers(member_day), who=silver, at=day_before)
    assert reasons(off_day)["member-day"] == "not_member_day"


# --- flash sale ----------------------------------------------------------------------------------


FLASH = {
    "id": "flash-tea",
    "kind": "flash_sale",
    "products": {"skus": ["TEA"]},
    "price": 5900,
    "per_customer_limit": 2,
    "total_quantity": 100,
}


def test_flash_sale_prices_units_up_to_the_per_customer_limit() -> None:
    # Limit 2, one already bought: one unit at the flash price, the other two at list price.
    buyer = customer(usage={"flash-tea": {"uses": 1, "units": 1}})
    priced = price(cart({"TEA": 3}), offers(FLASH), who=buyer)
    assert line(priced, "TEA").final_amount == 1 * 5900 + 2 * TEA


def test_flash_sale_sells_only_the_remaining_quantity() -> None:
    usage = {"flash-tea": {"units": 99}}
    priced = price(cart({"TEA": 2}), offers(FLASH, usage=usage), who=customer())
    assert line(priced, "TEA").final_amount == 5900 + TEA
    sold_out = price(cart({"TEA": 2}), offers(FLASH, usage={"flash-tea": {"units": 100}}))
    assert reasons(sold_out)["flash-tea"] == "sold_out"
    assert sold_out.totals.total == 2 * TEA


def test_flash_sale_limit_reached_for_this_customer() -> None:
    buyer = customer(usage={"flash-tea": {"units": 2}})
    priced = price(cart({"TEA": 1}), offers(FLASH), who=buyer)
    assert reasons(priced)["flash-tea"] == "customer_limit"


# --- limited-time offer --------------------------------------------------------------------------


def test_limited_time_offer_takes_an_amount_off_while_units_remain() -> None:
    limited = {
        "id": "today-10",
        "kind": "limited_time",
        "products": {"skus": ["OOLONG"]},
        "amount_off": 1000,
        "total_quantity": 5,
    }
    usage = {"today-10": {"units": 3}}
    priced = price(cart({"OOLONG": 3}), offers(limited, usage=usage))
    left = 5 - 3
    assert line(priced, "OOLONG").final_amount == 3 * OOLONG - left * 1000


# --- coupons -------------------------------------------------------------------------------------


def _coupon(coupon_id: str, code: str, **rule: object) -> dict[str, object]:
    return {"id": coupon_id, "kind": "coupon", "codes": [{"code": code}], **rule}


def test_amount_off_coupon_with_a_threshold() -> None:
    coupon = _coupon("c20", "SAVE20", min_spend=20000, amount_off=2000)
    below = price(cart({"TEA": 2}, coupon_codes=["SAVE20"]), offers(coupon))
    assert below.totals.total == 2 * TEA
    assert reasons(below)["c20"] == "condition_not_met"
    above = price(cart({"TEA": 3}, coupon_codes=["SAVE20"]), offers(coupon))
    assert above.totals.total == 3 * TEA - 2000
    assert above.applied[0].code == "SAVE20"


def test_percent_coupon_stops_at_its_maximum() -> None:
    coupon = _coupon("p10", "TENPCT", percent_off_bp=1000, max_off=2500)
    small = price(cart({"TEA": 1}, coupon_codes=["TENPCT"]), offers(coupon))
    assert small.totals.coupon_discount == percent_of(TEA, 1000)
    large = price(cart({"OOLONG": 3}, coupon_codes=["TENPCT"]), offers(coupon))
    assert large.totals.coupon_discount == min(percent_of(3 * OOLONG, 1000), 2500)


def test_no_threshold_coupon_applies_to_any_cart() -> None:
    coupon = _coupon("wecom5", "WECOM5", amount_off=500)
    priced = price(cart({"CUP": 1}, coupon_codes=["WECOM5"]), offers(coupon))
    assert priced.totals.total == CUP - 500


def test_free_shipping_coupon_waives_the_fee() -> None:
    shipping = {"fee": 1000, "free_threshold": 9900}
    coupon = _coupon("ship", "FREESHIP", free_shipping=True)
    without = price(cart({"CUP": 1}), offers(coupon, shipping=shipping))
    assert (without.totals.shipping, without.totals.total) == (1000, CUP + 1000)
    with_code = price(
        cart({"CUP": 1}, coupon_codes=["FREESHIP"]), offers(coupon, shipping=shipping)
    )
    assert (with_code.totals.shipping_discount, with_code.totals.total) == (1000, CUP)


def test_single_use_code_used_up_and_multi_use_code_not() -> None:
    single = _coupon("c5", "ONCE5678", amount_off=500)
    usage = {"c5": {"uses": 1, "code_uses": {"ONCE5678": 1}}}
    used = price(cart({"CUP": 1}, coupon_codes=["ONCE5678"]), offers(single, usage=usage))
    assert reasons(used)["c5"] == "code_used_up"
    multi = {**single, "uses_per_code": None}
    again = price(cart({"CUP": 1}, coupon_codes=["ONCE5678"]), offers(multi, usage=usage))
    assert again.totals.total == CUP - 500


def test_bound_code_works_only_for_its_customer() -> None:
    bound = {
        "id": "vip",
        "kind": "coupon",
        "amount_off": 800,
        "codes": [{"code": "VIP-ABCD", "customer": "c-1"}],
    }
    the_cart = cart({"CUP": 1}, coupon_codes=["VIP-ABCD"])
    assert price(the_cart, offers(bound), who=customer()).totals.total == CUP - 800
    stranger = customer(id="c-2")
    assert reasons(price(the_cart, offers(bound), who=stranger))["vip"] == "bound_to_other_customer"
    assert reasons(price(the_cart, offers(bound)))["vip"] == "bound_to_other_customer"


def test_unknown_codes_are_reported_not_fatal() -> None:
    priced = price(cart({"CUP": 1}, coupon_codes=["TYPO1234"]), offers())
    assert reasons(priced) == {"TYPO1234": "unknown_code"}


def test_issued_codes_are_unique_and_from_the_unambiguous_alphabet() -> None:
    first = issue_codes(500, prefix="618-")
    second = issue_codes(500, prefix="618-", taken=first)
    assert len(set(first) | set(second)) == 1000
    assert all(code.startswith("618-") and len(code) == 4 + 12 for code in first)
    assert all(set(code[4:]) <= set(CODE_ALPHABET) for code in first + second)


# --- presale deposit with inflation --------------------------------------------------------------


PRESALE = {
    "id": "presale-serum",
    "kind": "presale",
    "products": {"skus": ["SERUM-50"]},
    "deposit": 1000,
    "worth": 3000,
    "deposit_starts_at": "2025-10-20T20:00:00+08:00",
    "deposit_ends_at": "2025-10-31T00:00:00+08:00",
    "balance_starts_at": "2025-11-01T00:00:00+08:00",
    "balance_ends_at": "2025-11-11T00:00:00+08:00",
}
DEPOSIT_TIME = AT.replace(month=10, day=25)
BALANCE_TIME = AT.replace(month=11, day=1)


def test_deposit_paid_is_worth_more_at_the_balance() -> None:
    the_cart = cart(
        [{"sku": "SERUM-50", "quantity": 1, "deposit": {"offer": "presale-serum", "units": 1}}]
    )
    priced = price(the_cart, offers(PRESALE), at=BALANCE_TIME)
    totals = priced.totals
    assert totals.deposit_inflation == 3000 - 1000
    assert totals.total == FULL - (3000 - 1000)
    assert totals.deposit_credit == 1000
    assert totals.to_pay == FULL - 3000  # ¥10 paid earlier counts for ¥30


def test_deposit_stage_shows_the_deposit_due_and_the_balance_later() -> None:
    priced = price(cart({"SERUM-50": 2}), offers(PRESALE), at=DEPOSIT_TIME)
    totals = priced.totals
    assert totals.deposit_due == 2 * 1000
    assert totals.total == 2 * FULL - 2 * (3000 - 1000)
    assert totals.balance_later == totals.total - 2 * 1000
    assert totals.to_pay == 2 * 1000


def test_deposit_outside_the_balance_window_counts_at_face_value() -> None:
    the_cart = cart(
        [{"sku": "SERUM-50", "quantity": 1, "deposit": {"offer": "presale-serum", "units": 1}}]
    )
    late = BALANCE_TIME.replace(month=12)
    priced = price(the_cart, offers(PRESALE), at=late)
    assert priced.totals.deposit_inflation == 0
    assert priced.totals.to_pay == FULL - 1000
    assert reasons(priced)["presale-serum"] == "outside_balance_window"


# --- gift with purchase, birthday gift, buy X get Y --------------------------------------------


def _gift(condition: dict[str, object], **more: object) -> dict[str, object]:
    return {"id": "gift", "kind": "gift", "condition": condition, "reward": {"sku": "MASK"}, **more}


def test_gift_with_purchase_adds_a_free_gift_line() -> None:
    priced = price(cart({"OOLONG": 2}), offers(_gift({"min_spend": 20000})))
    (gift,) = priced.gifts
    assert (gift.sku, gift.quantity, gift.value) == ("MASK", 1, MASK)
    assert priced.totals.total == 2 * OOLONG  # the gift is extra, not a price change
    assert priced.totals.gift_value == MASK


def test_gift_repeats_per_multiple_up_to_the_maximum() -> None:
    spend = 5 * OOLONG  # 640.00 → three multiples of ¥200, max 2
    priced = price(cart({"OOLONG": 5}), offers(_gift({"min_spend": 20000}, max_applications=2)))
    assert priced.gifts[0].quantity == min(spend // 20000, 2)


def test_birthday_gift_only_in_the_birthday_month() -> None:
    birthday = _gift({"birthday_month": True}, customers={"tiers": ["gold"]})
    june = customer(tier="gold", birth_date=date(1990, 6, 3))
    assert price(cart({"CUP": 1}), offers(birthday), who=june).gifts[0].sku == "MASK"
    may = customer(tier="gold", birth_date=date(1990, 5, 3))
    assert price(cart({"CUP": 1}), offers(birthday), who=may).gifts == ()


def test_buy_two_get_one_free_uses_the_third_unit_in_the_cart() -> None:
    b2g1 = {
        "id": "b2g1",
        "kind": "gift",
        "products": {"skus": ["TEA"]},
        "condition": {"min_quantity": 2},
        "reward": {"sku": "TEA"},
        "max_applications": 3,
    }
    three = price(cart({"TEA": 3}), offers(b2g1))
    assert line(three, "TEA").final_amount == 2 * TEA
    assert three.gifts == ()
    # Two in the cart: the condition holds and the free third unit is added.
    two = price(cart({"TEA": 2}), offers(b2g1))
    assert line(two, "TEA").final_amount == 2 * TEA
    assert (two.gifts[0].sku, two.gifts[0].quantity) == ("TEA", 1)
    # Seven units reach the maximum of three: six count towards the condition, the seventh is
    # the first free unit and two more are added.
    seven = price(cart({"TEA": 7}), offers(b2g1))
    applications, free_in_cart = 3, 7 - 2 * 3
    assert line(seven, "TEA").final_amount == (7 - free_in_cart) * TEA
    assert seven.gifts[0].quantity == applications - free_in_cart


def test_discounted_reward_needs_the_reward_in_the_cart() -> None:
    swap = {
        "id": "swap",
        "kind": "gift",
        "products": {"skus": ["TEA"]},
        "condition": {"min_quantity": 1},
        "reward": {"sku": "CUP", "price": 990},
    }
    with_cup = price(cart({"TEA": 1, "CUP": 1}), offers(swap))
    assert line(with_cup, "CUP").final_amount == 990
    without = price(cart({"TEA": 1}), offers(swap))
    assert without.gifts == ()
    nudge = next(n for n in without.nudges if n.offer == "swap")
    assert (nudge.sku, nudge.add_amount, nudge.unlocks) == ("CUP", 990, CUP - 990)


# --- subscription price ------------------------------------------------------------------------


def test_subscription_price_applies_to_subscribed_lines_only() -> None:
    sub = {"id": "sub-20", "kind": "subscription", "percent_off_bp": 2000}
    the_cart = cart(
        [{"sku": "TEA", "quantity": 1, "subscription": True}, {"sku": "CUP", "quantity": 1}]
    )
    priced = price(the_cart, offers(sub))
    assert line(priced, "TEA").final_amount == TEA - percent_of(TEA, 2000)
    assert line(priced, "CUP").final_amount == CUP
    plain = price(cart({"CUP": 1}), offers(sub))
    assert reasons(plain)["sub-20"] == "no_subscription_line"


# --- shipping ------------------------------------------------------------------------------------


def test_shipping_is_free_from_the_threshold_after_coupons() -> None:
    shipping = {"fee": 1000, "free_threshold": 9900}
    coupon = _coupon("c5", "FIVEOFF1", amount_off=500)
    # ¥99.00 of tea reaches the threshold, but after a ¥5 coupon it does not: the optimiser
    # keeps the coupon out (¥99 + ¥0 shipping < ¥94 + ¥10 shipping).
    priced = price(cart({"TEA": 1}, coupon_codes=["FIVEOFF1"]), offers(coupon, shipping=shipping))
    assert (priced.totals.shipping, priced.totals.total) == (0, TEA)
    assert reasons(priced)["c5"] == "worse_combination"
    below = price(cart({"CUP": 1}), offers(shipping=shipping))
    assert below.totals.shipping == 1000
    assert below.nudges[0].message_en == f"¥{(9900 - CUP) // 100}.00 more for free shipping"


def test_free_unit_from_the_cart_is_worth_its_item_level_price() -> None:
    # A member price on tea, and a tea gifted for buying a cup: the free unit is the member-priced
    # one, so the shopper pays for the other member-priced unit only.
    member_tea = {
        "id": "silver-tea",
        "kind": "member_price",
        "customers": {"tiers": ["silver"]},
        "products": {"categories": ["tea"]},
        "percent_off_bp": 1000,
    }
    tea_for_cup = {
        "id": "tea-for-cup",
        "kind": "gift",
        "products": {"skus": ["CUP"]},
        "condition": {"min_spend": 1},
        "reward": {"sku": "TEA"},
    }
    priced = price(
        cart({"TEA": 2, "CUP": 1}), offers(member_tea, tea_for_cup), who=customer(tier="silver")
    )
    member_priced = 2 * TEA - percent_of(2 * TEA, 1000)
    assert line(priced, "TEA").final_amount == member_priced - member_priced // 2


# --- eligibility: window, audience, scope by tag, usage caps and budget --------------------------


TEN_OFF = {
    "id": "ten-off",
    "kind": "limited_time",
    "products": {"tags": ["green"]},
    "amount_off": 1000,
}


def test_validity_window_is_start_inclusive_end_exclusive() -> None:
    window = {"starts_at": AT.isoformat(), "ends_at": (AT + timedelta(hours=1)).isoformat()}
    the_offers = offers(TEN_OFF | window)
    assert price(cart({"TEA": 1}), the_offers).totals.total == TEA - 1000
    early = price(cart({"TEA": 1}), the_offers, at=AT - timedelta(seconds=1))
    assert reasons(early)["ten-off"] == "not_started"
    late = price(cart({"TEA": 1}), the_offers, at=AT + timedelta(hours=1))
    assert reasons(late)["ten-off"] == "ended"


def test_scope_by_tag_leaves_untagged_lines_alone() -> None:
    priced = price(cart({"TEA": 1, "OOLONG": 1}), offers(TEN_OFF))  # only TEA is tagged green
    assert (line(priced, "TEA").final_amount, line(priced, "OOLONG").final_amount) == (
        TEA - 1000,
        OOLONG,
    )


def test_new_customers_and_channels() -> None:
    first_order = TEN_OFF | {"customers": {"new_customers_only": True}}
    newcomer = price(cart({"TEA": 1}), offers(first_order), who=customer(new_customer=True))
    assert newcomer.totals.total == TEA - 1000
    regular = price(cart({"TEA": 1}), offers(first_order), who=customer())
    assert reasons(regular)["ten-off"] == "new_customers_only"
    app_only = TEN_OFF | {"customers": {"channels": ["app"]}}
    assert price(cart({"TEA": 1}, channel="app"), offers(app_only)).totals.total == TEA - 1000
    assert reasons(price(cart({"TEA": 1}), offers(app_only)))["ten-off"] == "channel"


def test_usage_caps_and_budget_come_from_usage_so_far() -> None:
    capped = TEN_OFF | {"max_uses": 100, "max_uses_per_customer": 1, "budget": 50_000}
    the_cart = cart({"TEA": 1})
    used_up = offers(capped, usage={"ten-off": {"uses": 100}})
    assert reasons(price(the_cart, used_up))["ten-off"] == "usage_cap"
    mine = customer(usage={"ten-off": {"uses": 1}})
    assert reasons(price(the_cart, offers(capped), who=mine))["ten-off"] == "customer_limit"
    spent = offers(capped, usage={"ten-off": {"spent": 50_000}})
    assert reasons(price(the_cart, spent))["ten-off"] == "budget_spent"
    nearly = offers(capped, usage={"ten-off": {"spent": 50_000 - 300}})
    assert price(the_cart, nearly).totals.item_discount == 300


# --- margin guardrail ---------------------------------------------------------------------------


def test_below_cost_lines_are_flagged_with_their_offers_unless_allowed() -> None:
    cost = CATALOGUE["TEA"]["cost"]
    deep = {
        "id": "deep-flash",
        "kind": "flash_sale",
        "products": {"skus": ["TEA"]},
        "price": cost - 1000,
        "total_quantity": 10,
    }
    priced = price(cart({"TEA": 2}), offers(deep))
    (flag,) = priced.margin_flags
    assert (flag.sku, flag.cost_amount, flag.final_amount, flag.offers) == (
        "TEA",
        2 * cost,
        2 * (cost - 1000),
        ("deep-flash",),
    )
    allowed = price(cart({"TEA": 2}), offers(deep | {"allow_below_cost": True}))
    assert allowed.margin_flags == ()

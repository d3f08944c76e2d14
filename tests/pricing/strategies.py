"""Hypothesis strategies: small random stores where every offer kind and stacking rule can meet."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SKUS = ("A", "B", "C", "D")
WINDOW = {
    "deposit_starts_at": "2025-06-01T00:00:00+08:00",
    "deposit_ends_at": "2025-06-15T00:00:00+08:00",
    "balance_starts_at": "2025-06-15T00:00:00+08:00",
    "balance_ends_at": "2025-06-25T00:00:00+08:00",
}

price_st = st.integers(min_value=0, max_value=30_000)
money_st = st.integers(min_value=1, max_value=20_000)
bp_st = st.integers(min_value=1, max_value=10_000)


@st.composite
def catalogue_st(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    entries = {}
    for sku in SKUS:
        list_price = draw(price_st)
        entries[sku] = {
            "list_price": list_price,
            "cost": draw(st.integers(min_value=0, max_value=max(list_price, 1))),
            "category": draw(st.sampled_from(["x", "y"])),
            "tags": draw(st.lists(st.sampled_from(["t1", "t2"]), unique=True, max_size=2)),
        }
    return entries


scope_st = st.one_of(
    st.just({}),
    st.builds(
        lambda skus: {"skus": skus}, st.lists(st.sampled_from(SKUS), min_size=1, unique=True)
    ),
    st.builds(lambda c: {"categories": [c]}, st.sampled_from(["x", "y"])),
    st.builds(lambda t: {"tags": [t]}, st.sampled_from(["t1", "t2"])),
)
audience_st = st.one_of(
    st.just({}),
    st.just({"tiers": ["silver"]}),
    st.just({"channels": ["app"]}),
    st.just({"new_customers_only": True}),
)


def _ascending(values: list[int]) -> list[int]:
    return sorted(set(values))


@st.composite
def tiers_st(draw: st.DrawFn, key: str, value: str, low: int, high: int, vmax: int) -> list:
    keys = _ascending(draw(st.lists(st.integers(low, high), min_size=1, max_size=3)))
    values = _ascending(draw(st.lists(st.integers(1, vmax), min_size=len(keys), max_size=8)))
    if len(values) < len(keys):
        keys = keys[: len(values)]
    return [{key: k, value: v} for k, v in zip(keys, values, strict=False)]


@st.composite
def offer_st(draw: st.DrawFn, offer_id: str, code: str) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "flash_sale",
                "limited_time",
                "member_price",
                "subscription",
                "quantity_tiers",
                "spend_tiers",
                "spend_repeat",
                "bundle",
                "gift",
                "coupon",
                "presale",
            ]
        )
    )
    base: dict[str, Any] = {"id": offer_id, "kind": kind}
    if kind != "presale":
        base["customers"] = draw(audience_st)
        if draw(st.booleans()):
            base["budget"] = draw(st.integers(0, 5_000))
    if kind in ("quantity_tiers", "spend_tiers", "spend_repeat", "bundle", "gift", "coupon"):
        base["exclusive"] = draw(st.booleans())
    if kind == "flash_sale":
        return base | {
            "products": draw(scope_st),
            "price": draw(price_st),
            "total_quantity": draw(st.integers(1, 6)),
            "per_customer_limit": draw(st.none() | st.integers(1, 4)),
        }
    if kind == "limited_time":
        return base | {
            "products": draw(scope_st),
            "amount_off": draw(money_st),
            "total_quantity": draw(st.none() | st.integers(1, 6)),
        }
    if kind == "member_price":
        return base | {
            "customers": {"tiers": ["silver"]},
            "products": draw(scope_st),
            "percent_off_bp": draw(bp_st),
        }
    if kind == "subscription":
        return base | {"products": draw(scope_st), "percent_off_bp": draw(bp_st)}
    if kind == "quantity_tiers":
        tiers = draw(tiers_st("min_quantity", "percent_off_bp", 2, 6, 10_000))
        return base | {"products": draw(scope_st), "tiers": tiers}
    if kind == "spend_tiers":
        tiers = draw(tiers_st("min_spend", "amount_off", 1, 60_000, 20_000))
        return base | {"products": draw(scope_st), "tiers": tiers}
    if kind == "spend_repeat":
        return base | {
            "products": draw(scope_st),
            "every": draw(money_st),
            "amount_off": draw(money_st),
            "max_off": draw(st.none() | money_st),
        }
    if kind == "bundle":
        skus = draw(st.lists(st.sampled_from(SKUS), min_size=2, max_size=3, unique=True))
        benefit = draw(st.sampled_from(["price", "amount_off", "percent_off_bp"]))
        value = draw(bp_st if benefit == "percent_off_bp" else money_st)
        return base | {
            "items": [{"sku": s} for s in skus],
            benefit: value,
            "max_sets": draw(st.none() | st.integers(1, 3)),
        }
    if kind == "gift":
        condition = draw(
            st.sampled_from(
                [
                    {"min_spend": draw(money_st)},
                    {"min_quantity": draw(st.integers(1, 3))},
                    {"birthday_month": True},
                ]
            )
        )
        reward = {
            "sku": draw(st.sampled_from(SKUS)),
            "quantity": draw(st.integers(1, 2)),
            "price": draw(st.sampled_from([0, 0, 100])),
        }
        return base | {
            "products": draw(scope_st),
            "condition": condition,
            "reward": reward,
            "max_applications": draw(st.integers(1, 3)),
        }
    if kind == "coupon":
        benefit = draw(st.sampled_from(["amount_off", "percent_off_bp", "free_shipping"]))
        rule: dict[str, Any] = (
            {"free_shipping": True}
            if benefit == "free_shipping"
            else {benefit: draw(bp_st if benefit == "percent_off_bp" else money_st)}
        )
        if benefit == "percent_off_bp" and draw(st.booleans()):
            rule["max_off"] = draw(money_st)
        return (
            base
            | rule
            | {
                "products": draw(scope_st),
                "min_spend": draw(st.integers(0, 40_000)),
                "codes": [{"code": code}],
                "uses_per_code": None,
            }
        )
    deposit = draw(st.integers(1, 2_000))
    return (
        base
        | WINDOW
        | {
            "products": {"skus": ["A"]},
            "deposit": deposit,
            "worth": deposit + draw(st.integers(0, 5_000)),
        }
    )


@st.composite
def scenario_st(draw: st.DrawFn) -> dict[str, Any]:
    catalogue = draw(catalogue_st())
    for sku in SKUS:  # a deposit must fit in the unit price
        catalogue[sku]["list_price"] = max(catalogue[sku]["list_price"], 2_000)
    count = draw(st.integers(0, 6))
    offers = [draw(offer_st(f"o{i}", f"CODE{i:04d}")) for i in range(count)]
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=4, unique=True))
    lines = [
        {"sku": sku, "quantity": draw(st.integers(1, 5)), "subscription": draw(st.booleans())}
        for sku in skus
    ]
    presale = next((o for o in offers if o["kind"] == "presale"), None)
    for line in lines:
        if presale and line["sku"] == "A" and draw(st.booleans()):
            line["deposit"] = {
                "offer": presale["id"],
                "units": draw(st.integers(1, line["quantity"])),
            }
    codes = [o["codes"][0]["code"] for o in offers if o["kind"] == "coupon"]
    cart = {
        "channel": draw(st.sampled_from(["web", "app"])),
        "catalogue": catalogue,
        "lines": lines,
        "coupon_codes": draw(st.lists(st.sampled_from(codes), unique=True)) if codes else [],
    }
    document = {
        "policy": {
            "max_line_discount_bp": draw(st.sampled_from([10_000, 8_000, 5_000])),
            "max_order_discount_bp": draw(st.sampled_from([10_000, 6_000, 3_000])),
            "max_coupons": draw(st.integers(0, 2)),
        },
        "shipping": {
            "fee": draw(st.integers(0, 1_500)),
            "free_threshold": draw(st.none() | st.integers(0, 60_000)),
        },
        "offers": offers,
    }
    customer = {
        "id": "c-1",
        "tier": draw(st.sampled_from([None, "silver"])),
        "new_customer": draw(st.booleans()),
        "birth_date": draw(st.sampled_from(["1990-06-02", "1990-01-02"])),
    }
    at = draw(st.sampled_from(["2025-06-10T12:00:00+08:00", "2025-06-18T12:00:00+08:00"]))
    return {"cart": cart, "offers": document, "customer": customer, "at": at}

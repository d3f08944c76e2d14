"""Stored offers through the service, on SQLite and PostgreSQL: round trips, storage-time
validation that writes nothing, deactivation, coupon batches, the usage CHECKs, and the preview
built from the store equal to ``price_cart`` on the same inputs."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Category, Product, Sku
from storeloop.customers.models import Customer as StoreCustomer
from storeloop.errors import Conflict, InvalidInput
from storeloop.orders.models import Order
from storeloop.pricing import Cart, Customer, OffersDocument, price_cart
from storeloop.pricing.kinds.coupon import CODE_ALPHABET
from storeloop.pricing.models import (
    StoredCouponCode,
    StoredCustomerUsage,
    StoredOffer,
    StoredOfferUsage,
)
from storeloop.pricing.schemas import parse_offer
from storeloop.pricing.service import (
    create_offer,
    deactivate_offer,
    issue_coupon_codes,
    offer_query,
    preview,
    update_offer,
)
from storeloop.pricing.store_schemas import CouponBatch, OfferFilter, PreviewCart
from tests.pricing.builders import AT

CATALOGUE: dict[str, dict[str, Any]] = {
    "TEA": {"name": "绿茶", "list_price": 9900, "cost": 4000, "category": "tea", "tags": ["green"]},
    "OOLONG": {"name": "乌龙", "list_price": 12800, "cost": 5000, "category": "tea", "tags": []},
    "CUP": {"name": "茶杯", "list_price": 3500, "cost": 1000, "category": "ware", "tags": []},
    "MASK": {"name": "面膜", "list_price": 1500, "cost": 300, "category": "beauty", "tags": []},
}
TIERS: dict[str, Any] = {
    "id": "tea-2-3",
    "kind": "quantity_tiers",
    "name": "买2件9折，买3件8折",
    "products": {"categories": ["tea"]},
    "tiers": [
        {"min_quantity": 2, "percent_off_bp": 1000},
        {"min_quantity": 3, "percent_off_bp": 2000},
    ],
}


def _seed(session: Session) -> dict[str, int]:
    """The catalogue above as store rows, and one customer; returns SKU and customer ids."""
    categories = {slug: Category(slug=slug, name=slug) for slug in ("tea", "ware", "beauty")}
    session.add_all(categories.values())
    session.flush()
    ids: dict[str, int] = {}
    for code, info in CATALOGUE.items():
        product = Product(
            category_id=categories[info["category"]].id, name=info["name"], tags=info["tags"]
        )
        session.add(product)
        session.flush()
        sku = Sku(
            product_id=product.id,
            code=code,
            name=info["name"],
            list_price=info["list_price"],
            cost=info["cost"],
        )
        session.add(sku)
        session.flush()
        ids[code] = sku.id
    customer = StoreCustomer(
        province="广东", region="south", channel="search", birth_date=date(1990, 6, 30)
    )
    session.add(customer)
    session.flush()
    ids["customer"] = customer.id
    return ids


def _count(session: Session, table: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_offer_round_trip_keeps_the_engines_definition(session: Session) -> None:
    _seed(session)
    window = {"starts_at": "2025-06-01T00:00:00+08:00", "ends_at": "2025-06-19T00:00:00+08:00"}
    body = {**TIERS, **window, "max_uses": 100, "exclusive": True}
    row = create_offer(session, body)
    session.commit()
    session.expunge_all()

    stored = session.get_one(StoredOffer, row.id)
    assert stored.definition == parse_offer(body).model_dump(mode="json")
    assert parse_offer(stored.definition) == parse_offer(body)
    assert (stored.code, stored.kind, stored.level, stored.exclusive) == (
        "tea-2-3",
        "quantity_tiers",
        "shop",
        True,
    )
    assert stored.starts_at == datetime.fromisoformat(window["starts_at"])
    assert stored.starts_at is not None and stored.starts_at.utcoffset() == timedelta(0)
    assert stored.is_active and stored.deactivated_at is None
    assert (stored.usage.uses, stored.usage.max_uses, stored.usage.max_units) == (0, 100, None)


def _bad(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**base, **fields, "id": "bad"}


BAD_OFFERS: list[tuple[dict[str, Any], str, str]] = [
    (_bad({}, kind="half_price"), "kind", "does not match"),
    (
        _bad({}, kind="limited_time", products={"skus": ["TEA"]}, amount_off=-100),
        "amount_off",
        "greater than 0",
    ),
    (
        _bad(TIERS, tiers=list(reversed(TIERS["tiers"]))),
        "tiers[1].min_quantity",
        "must be greater than tiers[0].min_quantity",
    ),
    (
        _bad(TIERS, starts_at="2025-06-18T00:00:00+08:00", ends_at="2025-06-01T00:00:00+08:00"),
        "ends_at",
        "is not after starts_at",
    ),
    (
        _bad(
            {},
            kind="flash_sale",
            products={"skus": ["TEA", "NO-SUCH"]},
            price=5900,
            total_quantity=10,
        ),
        "products.skus[1]",
        "unknown SKU 'NO-SUCH'",
    ),
    (
        _bad({}, kind="bundle", items=[{"sku": "TEA"}, {"sku": "GONE"}], amount_off=100),
        "items[1].sku",
        "unknown SKU 'GONE'",
    ),
    (
        _bad(TIERS, products={"categories": ["tea", "teaa"]}),
        "products.categories[1]",
        "unknown category 'teaa'",
    ),
    (
        _bad({}, kind="coupon", amount_off=500, codes=[{"code": "WECOM5", "customer": "999999"}]),
        "codes[0].customer",
        "no customer has id '999999'",
    ),
    (_bad({}, kind="coupon", amount_off=500, percent_off_bp=1000), "amount_off", "exactly one"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_OFFERS)
def test_storage_refuses_bad_offers_naming_offer_and_field_and_writes_nothing(
    session: Session, body: dict[str, Any], field: str, message: str
) -> None:
    _seed(session)
    with pytest.raises(InvalidInput) as caught:
        create_offer(session, body)
    (error,) = caught.value.errors
    assert error.field == field
    assert error.message.startswith("offer 'bad': ") and message in error.message
    session.rollback()
    assert _count(session, StoredOffer) == _count(session, StoredOfferUsage) == 0


def test_a_taken_offer_id_or_code_is_a_conflict_and_writes_nothing(session: Session) -> None:
    _seed(session)
    create_offer(session, TIERS)
    create_offer(
        session, {"id": "wecom", "kind": "coupon", "amount_off": 500, "codes": [{"code": "WECOM5"}]}
    )
    session.commit()
    with pytest.raises(Conflict) as taken:
        create_offer(session, {**TIERS, "name": "again"})
    assert taken.value.field == "id"
    session.rollback()
    with pytest.raises(Conflict) as code_taken:
        create_offer(
            session,
            {"id": "other", "kind": "coupon", "amount_off": 9, "codes": [{"code": "WECOM5"}]},
        )
    assert code_taken.value.field == "codes"
    session.rollback()
    assert _count(session, StoredOffer) == 2 and _count(session, StoredCouponCode) == 1


def test_update_merges_into_the_definition_and_copies_caps_to_the_counters(
    session: Session,
) -> None:
    ids = _seed(session)
    flash = create_offer(
        session,
        {
            "id": "flash",
            "kind": "flash_sale",
            "products": {"skus": ["TEA"]},
            "price": 5900,
            "total_quantity": 50,
            "per_customer_limit": 2,
            "max_uses": 40,
        },
    )
    session.add(StoredCustomerUsage(offer_id=flash.id, customer_id=ids["customer"], max_units=2))
    session.flush()
    updated = update_offer(session, flash.id, {"price": 6900, "total_quantity": 80, "budget": None})
    assert updated.definition["price"] == 6900 and updated.definition["budget"] is None
    caps = updated.usage
    assert (caps.max_units, caps.max_uses, caps.max_units_per_customer) == (80, 40, 2)

    session.execute(update(StoredOfferUsage).values(uses=30, units=60))
    session.execute(update(StoredCustomerUsage).values(units=2))
    with pytest.raises(InvalidInput) as below:
        update_offer(
            session, flash.id, {"max_uses": 20, "total_quantity": 59, "per_customer_limit": 1}
        )
    assert [(e.field, e.message) for e in below.value.errors] == [
        ("max_uses", "20 is below the 30 uses so far"),
        ("total_quantity", "59 is below the 60 units so far"),
        ("per_customer_limit", "1 is below the 2 units so far"),
    ]
    with pytest.raises(InvalidInput) as fixed:
        update_offer(session, flash.id, {"id": "renamed", "kind": "limited_time", "codes": []})
    assert [e.field for e in fixed.value.errors] == ["id", "kind", "codes"]
    with pytest.raises(InvalidInput) as bad:
        update_offer(session, flash.id, {"price": -1})
    assert bad.value.errors[0].field == "price"
    assert session.get_one(StoredOffer, flash.id).definition["price"] == 6900


def test_deactivate_is_final_and_filters_follow_it(session: Session) -> None:
    _seed(session)
    running = create_offer(
        session,
        {**TIERS, "starts_at": "2025-06-01T00:00:00+08:00", "ends_at": "2025-06-19T00:00:00+08:00"},
    )
    later = create_offer(
        session, {**TIERS, "id": "later", "starts_at": "2025-07-01T00:00:00+08:00"}
    )
    coupon = create_offer(session, {"id": "c5", "kind": "coupon", "amount_off": 500})
    stopped = deactivate_offer(session, coupon.id)
    first_stop = stopped.deactivated_at
    assert not stopped.is_active and first_stop is not None
    assert deactivate_offer(session, coupon.id).deactivated_at == first_stop

    def codes(**filters: Any) -> list[str]:
        return [row.code for row in session.scalars(offer_query(OfferFilter(**filters)))]

    assert codes(active_at=AT) == [running.code]
    assert codes(active_at=datetime(2025, 7, 2, tzinfo=AT.tzinfo)) == [later.code]
    assert sorted(codes(is_active=True)) == ["later", "tea-2-3"]
    assert codes(kind="coupon") == ["c5"] and codes(q="LAT") == ["later"]
    with pytest.raises(Conflict):
        update_offer(session, coupon.id, {"amount_off": 600})
    with pytest.raises(Conflict):
        issue_coupon_codes(session, coupon.id, CouponBatch(count=1))


def test_coupon_batches_are_unique_unguessable_and_bound(session: Session) -> None:
    ids = _seed(session)
    coupon = create_offer(
        session, {"id": "c25", "kind": "coupon", "amount_off": 2500, "uses_per_code": 2}
    )
    open_codes = issue_coupon_codes(session, coupon.id, CouponBatch(count=300, prefix="618-"))
    bound = issue_coupon_codes(session, coupon.id, CouponBatch(customer_ids=[ids["customer"]]))
    codes = [row.code for row in open_codes + bound]
    assert len(set(codes)) == 301 == _count(session, StoredCouponCode)
    assert all(c.startswith("618-") and set(c[4:]) <= set(CODE_ALPHABET) for c in codes[:300])
    assert len(codes[0]) == 4 + 12
    assert {row.max_uses for row in open_codes + bound} == {2}
    assert {row.customer_id for row in open_codes} == {None}
    assert bound[0].customer_id == ids["customer"]

    with pytest.raises(InvalidInput) as nobody:
        issue_coupon_codes(session, coupon.id, CouponBatch(customer_ids=[ids["customer"], 987]))
    assert nobody.value.errors[0].field == "customer_ids"
    with pytest.raises(InvalidInput) as prefix:
        issue_coupon_codes(session, coupon.id, CouponBatch(count=1, prefix="has space "))
    assert prefix.value.errors[0].field == "prefix"
    tiers = create_offer(session, TIERS)
    with pytest.raises(Conflict):
        issue_coupon_codes(session, tiers.id, CouponBatch(count=1))
    assert _count(session, StoredCouponCode) == 301


def test_usage_checks_refuse_over_use_at_the_database(session: Session) -> None:
    """What checkout will rely on: the guarded UPDATE stops at the cap, and even an unguarded
    one cannot pass it."""
    ids = _seed(session)
    flash = create_offer(
        session,
        {
            "id": "flash",
            "kind": "flash_sale",
            "products": {"skus": ["TEA"]},
            "price": 5900,
            "total_quantity": 3,
            "max_uses_per_customer": 1,
            "budget": 10000,
        },
    )
    create_offer(
        session, {"id": "c5", "kind": "coupon", "amount_off": 500, "codes": [{"code": "ONCE-ONLY"}]}
    )
    session.commit()
    usage = StoredOfferUsage

    guarded = (
        update(usage)
        .where(usage.offer_id == flash.id, usage.units + 2 <= usage.max_units)
        .values(units=usage.units + 2)
    )
    assert session.execute(guarded).rowcount == 1
    assert session.execute(guarded).rowcount == 0  # 2 + 2 > 3: refused, nothing changed
    session.commit()

    attempts: list[tuple[type[Any], Any, dict[str, Any]]] = [
        (usage, usage.offer_id == flash.id, {"units": usage.units + 2}),
        (usage, usage.offer_id == flash.id, {"spent": 10001}),
        (usage, usage.offer_id == flash.id, {"uses": -1}),
        (StoredCouponCode, StoredCouponCode.code == "ONCE-ONLY", {"uses": 2}),
    ]
    for table, where, values in attempts:
        with pytest.raises(IntegrityError):
            session.execute(update(table).where(where).values(values))
        session.rollback()

    # A customer's first use copies the per-customer cap from the offer's counters.
    caps = session.get_one(StoredOfferUsage, flash.id)
    session.add(
        StoredCustomerUsage(
            offer_id=flash.id,
            customer_id=ids["customer"],
            uses=1,
            max_uses=caps.max_uses_per_customer,
            max_units=caps.max_units_per_customer,
        )
    )
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(StoredCustomerUsage).values(uses=StoredCustomerUsage.uses + 1))
    session.rollback()
    assert session.get_one(StoredOfferUsage, flash.id).units == 2


def test_racing_redemptions_of_a_code_cannot_pass_its_cap(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    """Eight checkouts redeem a three-use code at once, with an UPDATE that forgot its guard:
    the CHECK lets exactly three through."""
    _seed(session)
    three_uses = {"uses_per_code": 3, "codes": [{"code": "THREE-USES"}]}
    create_offer(session, {"id": "c5", "kind": "coupon", "amount_off": 500, **three_uses})
    session.commit()
    outcomes: list[bool] = []
    start = threading.Barrier(8)

    def redeem() -> None:
        with session_factory() as own:
            start.wait()
            try:
                own.execute(
                    update(StoredCouponCode)
                    .where(StoredCouponCode.code == "THREE-USES")
                    .values(uses=StoredCouponCode.uses + 1)
                )
                own.commit()
                outcomes.append(True)
            except IntegrityError:
                own.rollback()
                outcomes.append(False)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 5 + [True] * 3
    session.expire_all()
    assert session.scalar(select(StoredCouponCode.uses)) == 3


def test_preview_prices_stored_and_draft_offers_as_price_cart_does(session: Session) -> None:
    ids = _seed(session)
    window = {"starts_at": "2025-06-18T00:00:00+08:00", "ends_at": "2025-06-19T00:00:00+08:00"}
    flash = {
        "id": "flash-tea",
        "kind": "flash_sale",
        "products": {"skus": ["TEA"]},
        "price": 7900,
        "total_quantity": 10,
        "per_customer_limit": 2,
        **window,
    }
    gift = {
        "id": "gift-mask",
        "kind": "gift",
        "condition": {"min_spend": 20000},
        "reward": {"sku": "MASK"},
    }
    member = {
        "id": "green-gold",
        "kind": "member_price",
        "customers": {"tiers": ["gold"]},
        "products": {"tags": ["green"]},
        "percent_off_bp": 500,
    }
    coupon = {"id": "c25", "kind": "coupon", "min_spend": 10000, "amount_off": 2500}
    ended = {**TIERS, "id": "ended", "ends_at": "2025-06-01T00:00:00+08:00"}
    for body in (flash, gift, member, coupon, ended, TIERS):
        create_offer(session, body)
    stopped = create_offer(session, {**TIERS, "id": "stopped"})
    deactivate_offer(session, stopped.id)
    coupon_id = session.scalar(select(StoredOffer.id).where(StoredOffer.code == "c25"))
    assert coupon_id is not None
    (code,) = issue_coupon_codes(session, coupon_id, CouponBatch(customer_ids=[ids["customer"]]))
    flash_id = session.scalar(select(StoredOffer.id).where(StoredOffer.code == "flash-tea"))
    session.execute(
        update(StoredOfferUsage)
        .where(StoredOfferUsage.offer_id == flash_id)
        .values(uses=9, units=9)
    )
    session.add(
        StoredCustomerUsage(offer_id=flash_id, customer_id=ids["customer"], uses=1, units=1)
    )
    draft_tiers = {**TIERS, "tiers": [{"min_quantity": 2, "percent_off_bp": 1500}]}
    draft_spend = {
        "id": "spend-300",
        "kind": "spend_tiers",
        "tiers": [{"min_spend": 30000, "amount_off": 3000}],
    }
    cart = PreviewCart.model_validate(
        {
            "lines": [{"sku_id": ids["TEA"], "quantity": 2}, {"sku": "OOLONG", "quantity": 1}],
            "coupon_codes": [code.code, "NOPE-0000"],
        }
    )
    result = preview(
        session,
        cart,
        draft_offers=[draft_tiers, draft_spend],
        at=AT,
        customer_id=ids["customer"],
        tier="gold",
    )

    expected_cart = Cart.model_validate(
        {
            "catalogue": CATALOGUE,
            "lines": [{"sku": "TEA", "quantity": 2}, {"sku": "OOLONG", "quantity": 1}],
            "coupon_codes": [code.code, "NOPE-0000"],
        }
    )
    bound_coupon = {**coupon, "codes": [{"code": code.code, "customer": str(ids["customer"])}]}
    expected_offers = OffersDocument.model_validate(
        {
            "offers": [flash, gift, member, bound_coupon, draft_tiers, draft_spend],
            "usage": {"flash-tea": {"uses": 9, "units": 9}, "c25": {"code_uses": {code.code: 0}}},
        }
    )
    expected_customer = Customer.model_validate(
        {
            "id": str(ids["customer"]),
            "tier": "gold",
            "new_customer": True,
            "birth_date": "1990-06-30",
            "usage": {"flash-tea": {"uses": 1, "units": 1}},
        }
    )
    expected = price_cart(expected_cart, expected_offers, at=AT, customer=expected_customer)
    assert result.priced.to_json() == expected.to_json()
    assert sorted(o.id for o in result.offers.offers) == sorted(
        o.id for o in expected_offers.offers
    )
    assert result.customer == expected_customer

    # The figures it stands for: one flash unit left, the draft's 15 % tier, the coupon.
    applied = {entry.offer: entry.amount for entry in result.priced.applied}
    assert applied["flash-tea"] == 9900 - 7900
    assert {"tea-2-3", "c25"} <= set(applied)
    assert ("NOPE-0000", "unknown_code") in {(r.code, r.reason) for r in result.priced.rejected}


def test_preview_knows_returning_customers_and_refuses_bad_drafts(session: Session) -> None:
    ids = _seed(session)
    session.add(
        Order(
            number="SO-1",
            customer_id=ids["customer"],
            status="paid",
            channel="web",
            goods_amount=100,
            total_amount=100,
            ship_province="广东",
        )
    )
    newcomers = {
        "id": "new-10",
        "kind": "spend_tiers",
        "customers": {"new_customers_only": True},
        "tiers": [{"min_spend": 100, "amount_off": 10}],
    }
    cart = PreviewCart.model_validate({"lines": [{"sku": "CUP", "quantity": 1}]})
    returning = preview(session, cart, draft_offers=[newcomers], at=AT, customer_id=ids["customer"])
    assert returning.customer is not None and not returning.customer.new_customer
    assert [r.reason for r in returning.priced.rejected] == ["new_customers_only"]

    bad_tiers = {**TIERS, "tiers": list(reversed(TIERS["tiers"]))}
    with pytest.raises(InvalidInput) as caught:
        preview(session, cart, draft_offers=[newcomers, bad_tiers], at=AT)
    (error,) = caught.value.errors
    assert error.field == "draft_offers[1].tiers[1].min_quantity"
    assert error.message.startswith("offer 'tea-2-3': ")
    with pytest.raises(InvalidInput) as twice:
        preview(session, cart, draft_offers=[newcomers, newcomers], at=AT)
    assert "'new-10'" in twice.value.errors[0].message
    unknown = PreviewCart.model_validate({"lines": [{"sku_id": 999_999, "quantity": 1}]})
    with pytest.raises(InvalidInput) as missing:
        preview(session, unknown, at=AT)
    assert missing.value.errors[0].field == "cart.lines[0].sku_id"
    assert _count(session, StoredOffer) == 0


def test_a_presented_code_brings_its_coupon_even_outside_its_window(session: Session) -> None:
    """So the shopper learns the coupon ended, rather than that the code does not exist."""
    ids = _seed(session)
    ended = create_offer(
        session,
        {"id": "may", "kind": "coupon", "amount_off": 500, "ends_at": "2025-06-01T00:00:00+08:00"},
    )
    (code,) = issue_coupon_codes(session, ended.id, CouponBatch(count=1))
    cart = PreviewCart.model_validate(
        {"lines": [{"sku_id": ids["CUP"], "quantity": 1}], "coupon_codes": [code.code]}
    )
    result = preview(session, cart, at=AT)
    assert [(r.offer, r.reason, r.code) for r in result.priced.rejected] == [
        ("may", "ended", code.code)
    ]
    deactivate_offer(session, ended.id)
    stopped = preview(session, cart, at=AT)
    assert [r.reason for r in stopped.priced.rejected] == ["unknown_code"]

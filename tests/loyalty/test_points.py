"""Points rules, one at a time: tiers and earn rates (pure), earning on delivery, spending FIFO,
giving back, reversing on refunds, expiry, and the tier the pricing engine sees. Every database
test ends with the points invariants (``tests.loyalty.assert_points_invariants``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import session_scope
from storeloop.errors import Conflict, InvalidInput
from storeloop.inventory.locks import write_session
from storeloop.loyalty import tiers
from storeloop.loyalty.models import PointsEntry
from storeloop.loyalty.service import (
    add_months,
    expire_points,
    return_points_in,
    reverse_for_refunds_in,
    spend_points_in,
    tier_of,
)
from storeloop.orders.models import Order
from storeloop.pricing.service import create_offer, preview
from storeloop.pricing.store_schemas import PreviewCart
from tests.loyalty import (
    AT,
    account,
    add_refund,
    assert_points_invariants,
    balance,
    earn,
    entries,
    grant,
    make_customers,
    make_order,
)
from tests.orders.checkout_store import LIST_PRICE, seed


@pytest.fixture(autouse=True)
def _points_invariants(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every database test: the points invariants hold for every customer."""
    if "session_factory" not in request.fixturenames:
        yield
        return
    factory = request.getfixturevalue("session_factory")
    yield
    assert_points_invariants(factory)


def _reverse(factory: sessionmaker[Session], order_id: int, at: datetime = AT) -> int:
    with write_session(factory) as session:
        return reverse_for_refunds_in(session, order_id, at=at)


def _spend(factory: sessionmaker[Session], customer: int, points: int, order: int) -> None:
    with write_session(factory) as session:
        spend_points_in(session, customer, points, order_id=order, at=AT)


# Pure rules


def test_tier_thresholds_follow_lifetime_earned() -> None:
    for t in tiers.TIERS:
        assert tiers.tier_for(t.min_lifetime) == t.name
    for lower, upper in zip(tiers.TIERS, tiers.TIERS[1:], strict=False):
        assert tiers.tier_for(upper.min_lifetime - 1) == lower.name
    assert tiers.tier_for(10**12) == "platinum"
    assert tiers.next_tier(0) == ("silver", 2_000)
    assert tiers.next_tier(9_999) == ("gold", 1)
    assert tiers.next_tier(50_000) is None
    with pytest.raises(ValueError):
        tiers.tier_for(-1)


def test_points_for_is_one_per_whole_yuan_times_the_tier_rate() -> None:
    assert tiers.points_for(9_999, "member") == 99  # ¥99.99: 99 whole yuan
    assert tiers.points_for(10_000, "member") == 100
    assert tiers.points_for(1_000, "silver") == 12  # ¥10 × 1.2
    assert tiers.points_for(1_000, "gold") == 15
    assert tiers.points_for(1_050, "platinum") == 21  # ¥10.50 × 2 = 21 points
    assert tiers.points_for(0, "gold") == 0
    assert tiers.points_for(-500, "gold") == 0
    with pytest.raises(ValueError, match="unknown tier"):
        tiers.points_for(100, "diamond")


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 4, 30, tzinfo=UTC)
    assert add_months(datetime(2024, 2, 29, tzinfo=UTC), 12) == datetime(2025, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 5, tzinfo=UTC), 14) == datetime(2028, 1, 5, tzinfo=UTC)


# Earning


def test_a_delivered_order_earns_once_on_cash_paid_for_goods(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    goods, discount, shipping = 25_000, 5_000, 1_000
    order = make_order(session_factory, c, goods=goods, discount=discount, shipping=shipping)
    expected = (goods - discount) // 100  # member ×1.0; shipping earns nothing
    assert earn(session_factory, order) == expected
    assert earn(session_factory, order) == 0  # replay: once per order
    (entry,) = entries(session_factory, c)
    assert (entry.reason, entry.delta, entry.remaining) == ("earn", expected, expected)
    assert entry.expires_at == AT.replace(year=AT.year + 1)
    assert entry.dedupe_key == f"earn:order:{order}"
    acct = account(session_factory, c)
    assert (acct.balance, acct.lifetime_earned, acct.tier) == (expected, expected, "member")


def test_orders_not_yet_delivered_earn_nothing(session_factory: sessionmaker[Session]) -> None:
    (c,) = make_customers(session_factory, 1)
    for status in ("pending_payment", "paid", "shipped", "cancelled", "closed"):
        assert (
            earn(session_factory, make_order(session_factory, c, goods=50_000, status=status)) == 0
        )
    assert balance(session_factory, c) == 0
    completed = make_order(session_factory, c, goods=50_000, status="completed")
    assert earn(session_factory, completed) == 500


def test_crossing_a_threshold_upgrades_the_tier_and_its_earn_rate(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    gold = next(t for t in tiers.TIERS if t.name == "gold")
    big = make_order(session_factory, c, goods=gold.min_lifetime * 100)  # earns exactly the bar
    assert earn(session_factory, big) == gold.min_lifetime
    assert account(session_factory, c).tier == "gold"
    small = make_order(session_factory, c, goods=10_000)  # ¥100 as gold
    assert earn(session_factory, small) == 100 * gold.rate_percent // 100
    acct = account(session_factory, c)
    assert acct.lifetime_earned == gold.min_lifetime + 100 * gold.rate_percent // 100
    with session_factory() as session:
        assert tier_of(session, c) == "gold"


# Spending and giving back


def test_spending_draws_the_earliest_expiring_points_first(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=1_000, status="pending_payment")
    grant(session_factory, c, 100, at=AT)  # expires AT + 12 months
    grant(session_factory, c, 100, at=AT - timedelta(days=60))  # expires 60 days earlier
    _spend(session_factory, c, 150, order)
    late, early, spend = entries(session_factory, c)
    assert early.remaining == 0 and late.remaining == 50
    assert (spend.reason, spend.delta, spend.order_id) == ("spend", -150, order)
    assert spend.remaining is None
    assert spend.expires_at == late.expires_at  # the latest expiry drawn on
    assert balance(session_factory, c) == 50


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    c, stranger = make_customers(session_factory, 2)
    order = make_order(session_factory, c, goods=1_000, status="pending_payment")
    grant(session_factory, c, 100)
    with pytest.raises(Conflict) as refused:
        _spend(session_factory, c, 101, order)
    assert refused.value.field == "points"
    assert type(refused.value) is Conflict  # the HTTP layer maps exact types
    with pytest.raises(Conflict):
        _spend(session_factory, stranger, 1, order)  # no account at all
    with pytest.raises(InvalidInput):
        _spend(session_factory, c, 0, order)
    assert balance(session_factory, c) == 100
    assert [e.reason for e in entries(session_factory, c)] == ["adjust"]


def test_points_past_their_expiry_cannot_be_spent_even_before_the_sweep(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=1_000, status="pending_payment")
    grant(session_factory, c, 100)  # good until AT + 12 months
    grant(session_factory, c, 50, at=AT - timedelta(days=366))  # expired before AT
    assert balance(session_factory, c) == 150  # not swept yet
    with pytest.raises(Conflict):
        _spend(session_factory, c, 120, order)
    assert balance(session_factory, c) == 150  # the refusal rolled the expiry back too
    _spend(session_factory, c, 100, order)
    assert [(e.reason, e.delta) for e in entries(session_factory, c)][2:] == [
        ("expire", -50),
        ("spend", -100),
    ]
    assert balance(session_factory, c) == 0


def test_returning_points_is_once_per_key_and_at_most_what_was_spent(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=1_000, status="pending_payment")
    other = make_order(session_factory, c, goods=1_000, status="pending_payment")
    grant(session_factory, c, 300)
    _spend(session_factory, c, 200, order)

    def give(points: int, key: str, order_id: int = order) -> int:
        with write_session(session_factory) as session:
            return return_points_in(
                session, c, points, order_id=order_id, dedupe_key=key, at=AT + timedelta(days=1)
            )

    assert give(80, "return:1") == 80
    assert give(80, "return:1") == 0  # replay
    assert give(500, "return:2") == 120  # only the 120 still spent
    assert give(10, "return:3") == 0
    assert give(10, "return:4", other) == 0  # nothing was spent on the other order
    assert balance(session_factory, c) == 300
    refunds = [e for e in entries(session_factory, c) if e.reason == "refund"]
    assert [(e.delta, e.remaining) for e in refunds] == [(80, 80), (120, 120)]
    spend_expiry = next(e.expires_at for e in entries(session_factory, c) if e.reason == "spend")
    assert all(e.expires_at == spend_expiry for e in refunds)  # the spent points' expiry


# Reversal on refunds


def test_a_refund_reverses_the_earning_in_proportion_to_the_cash_refunded(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    cash = 20_000
    order = make_order(session_factory, c, goods=cash)
    earned = earn(session_factory, order)
    assert earned == 200
    add_refund(session_factory, order, 5_000, at=AT)
    first = earned - earned * (cash - 5_000) // cash
    assert _reverse(session_factory, order) == first == 50
    assert _reverse(session_factory, order) == 0  # idempotent
    add_refund(session_factory, order, 1_000, at=AT, status="failed")  # not money back
    assert _reverse(session_factory, order) == 0
    add_refund(session_factory, order, 15_000, at=AT)
    assert _reverse(session_factory, order) == earned - first
    acct = account(session_factory, c)
    assert (acct.balance, acct.lifetime_earned) == (0, 0)


def test_a_reversal_takes_only_what_is_left_when_the_points_were_spent(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=20_000)
    earned = earn(session_factory, order)
    other = make_order(session_factory, c, goods=1_000, status="pending_payment")
    _spend(session_factory, c, earned - 20, other)
    add_refund(session_factory, order, 20_000, at=AT)
    assert _reverse(session_factory, order) == 20  # all the balance holds
    acct = account(session_factory, c)
    assert (acct.balance, acct.lifetime_earned) == (0, earned - 20)


def test_refunds_before_delivery_are_reversed_when_the_order_earns(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=20_000, status="shipped")
    add_refund(session_factory, order, 5_000, at=AT)
    assert _reverse(session_factory, order) == 0  # nothing earned yet
    with session_scope(session_factory) as session:
        session.get_one(Order, order).status = "delivered"
    assert earn(session_factory, order) == 200
    assert balance(session_factory, c) == 200 - (200 - 200 * 15_000 // 20_000)


def test_reversing_the_earning_that_crossed_a_threshold_lowers_the_tier(
    session_factory: sessionmaker[Session],
) -> None:
    (c,) = make_customers(session_factory, 1)
    order = make_order(session_factory, c, goods=2_000 * 100)
    earn(session_factory, order)
    assert account(session_factory, c).tier == "silver"
    add_refund(session_factory, order, 2_000 * 100, at=AT)
    _reverse(session_factory, order)
    assert account(session_factory, c).tier == "member"


# Expiry


def test_expire_points_sweeps_lots_past_their_expiry_fifo(
    session_factory: sessionmaker[Session],
) -> None:
    a, b = make_customers(session_factory, 2)
    grant(session_factory, a, 100, at=AT)
    grant(session_factory, a, 40, at=AT + timedelta(days=30))
    grant(session_factory, b, 70, at=AT)
    order = make_order(session_factory, a, goods=1_000, status="pending_payment")
    _spend(session_factory, a, 30, order)  # from a's first lot: 70 of it left to expire
    now = add_months(AT, 12)
    assert expire_points(session_factory, now) == 70 + 70
    assert expire_points(session_factory, now) == 0
    assert (balance(session_factory, a), balance(session_factory, b)) == (40, 0)
    assert_points_invariants(session_factory, now)
    later = add_months(AT + timedelta(days=30), 12)
    assert expire_points(session_factory, later) == 40
    assert_points_invariants(session_factory, later)
    with session_factory() as session:
        expired = session.scalars(
            select(PointsEntry.delta).where(PointsEntry.reason == "expire")
        ).all()
    assert sorted(expired) == [-70, -70, -40]


# The pricing engine reads the tier


def test_member_price_applies_to_customers_of_the_named_tier(
    session_factory: sessionmaker[Session],
) -> None:
    store = seed(session_factory, stock=10, customers=2)
    gold_customer, member_customer = store.customers
    with session_scope(session_factory) as session:
        create_offer(
            session,
            {
                "id": "gold-price",
                "kind": "member_price",
                "customers": {"tiers": ["gold"]},
                "percent_off_bp": 1000,
            },
        )
    order = make_order(session_factory, gold_customer, goods=10_000 * 100)
    earn(session_factory, order)
    assert account(session_factory, gold_customer).tier == "gold"
    cart = PreviewCart.model_validate({"lines": [{"sku_id": store.sku, "quantity": 1}]})
    with session_factory() as session:
        gold = preview(session, cart, at=AT, customer_id=gold_customer).priced
        plain = preview(session, cart, at=AT, customer_id=member_customer).priced
        as_gold = preview(session, cart, at=AT, customer_id=member_customer, tier="gold").priced
    assert gold.totals.discount == LIST_PRICE * 1000 // 10_000
    assert plain.totals.discount == 0
    assert as_gold.totals.discount == gold.totals.discount  # an explicit tier still wins

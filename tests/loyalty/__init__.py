"""Helpers for points tests: customers, orders to earn on, refunds, and the points invariants
every points test ends by checking — computed here from the tables, independently of
``loyalty.service.check_invariants`` (which is checked to agree).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.customers.models import Customer
from storeloop.db import session_scope
from storeloop.inventory.locks import write_session
from storeloop.loyalty import tiers
from storeloop.loyalty.models import PointsAccount, PointsEntry
from storeloop.loyalty.service import adjust_points, check_invariants, earn_for_order_in
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.fulfilment_models import Refund
from storeloop.orders.models import Order

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LOT_REASONS = {"earn", "refund", "adjust"}


def make_customers(factory: sessionmaker[Session], n: int) -> list[int]:
    with session_scope(factory) as session:
        people = [Customer(province="浙江", region="east", channel="search") for _ in range(n)]
        session.add_all(people)
        session.flush()
        return [p.id for p in people]


def make_order(
    factory: sessionmaker[Session],
    customer_id: int,
    *,
    goods: int,
    discount: int = 0,
    shipping: int = 0,
    status: str = "delivered",
    at: datetime = AT,
) -> int:
    """An order row as fulfilment leaves it (no lines needed for points)."""
    with session_scope(factory) as session:
        order = Order(
            number=f"T{customer_id}-{goods}-{discount}-{session.scalar(select(func.count(Order.id)))}",
            customer_id=customer_id,
            status=status,
            channel="web",
            ship_province="浙江",
            placed_at=at,
            goods_amount=goods,
            discount_amount=discount,
            shipping_amount=shipping,
            total_amount=goods - discount + shipping,
        )
        session.add(order)
        session.flush()
        return order.id


def add_event(factory: sessionmaker[Session], topic: str, order_id: int, at: datetime) -> int:
    with session_scope(factory) as session:
        event = OutboxEvent(topic=topic, created_at=at, payload={"order_id": order_id})
        session.add(event)
        session.flush()
        return event.id


def add_refund(
    factory: sessionmaker[Session],
    order_id: int,
    amount: int,
    *,
    at: datetime,
    status: str = "succeeded",
) -> int:
    """A refund row and its ``order.refunded`` event, as the returns service writes them."""
    with session_scope(factory) as session:
        session.add(Refund(order_id=order_id, amount=amount, status=status, created_at=at))
        event = OutboxEvent(
            topic="order.refunded", created_at=at, payload={"order_id": order_id, "amount": amount}
        )
        session.add(event)
        session.flush()
        return event.id


def earn(factory: sessionmaker[Session], order_id: int, at: datetime = AT) -> int:
    """Credit an order's points as the ``order.delivered`` handler does."""
    with write_session(factory) as session:
        return earn_for_order_in(session, order_id, at=at)


def grant(
    factory: sessionmaker[Session], customer_id: int, points: int, *, at: datetime = AT
) -> None:
    """Give points by an admin adjustment: a lot expiring 12 months after ``at``."""
    with write_session(factory) as session:
        adjust_points(session, customer_id, points, note="test grant", at=at)


def balance(factory: sessionmaker[Session], customer_id: int) -> int:
    with factory() as session:
        return (
            session.scalar(
                select(PointsAccount.balance).where(PointsAccount.customer_id == customer_id)
            )
            or 0
        )


def account(factory: sessionmaker[Session], customer_id: int) -> PointsAccount:
    with factory() as session:
        return session.get_one(PointsAccount, customer_id)


def entries(factory: sessionmaker[Session], customer_id: int) -> list[PointsEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(PointsEntry)
                .where(PointsEntry.customer_id == customer_id)
                .order_by(PointsEntry.id)
            )
        )


def assert_points_invariants(factory: sessionmaker[Session], now: datetime | None = None) -> None:
    """For every customer with points: balance = Σ deltas = Σ lots' remaining >= 0; lifetime =
    earned - reversed; the tier follows lifetime; only lots carry ``remaining``, never below 0;
    with ``now`` (right after a sweep) no lot past expiry holds points."""
    with factory() as session:
        customers = set(session.scalars(select(PointsAccount.customer_id))) | set(
            session.scalars(select(PointsEntry.customer_id))
        )
        for cid in sorted(customers):
            acct = session.get(PointsAccount, cid)
            rows = session.scalars(select(PointsEntry).where(PointsEntry.customer_id == cid)).all()
            bal = acct.balance if acct else 0
            assert bal >= 0, (cid, bal)
            assert bal == sum(e.delta for e in rows), (cid, bal, [e.delta for e in rows])
            assert bal == sum(e.remaining or 0 for e in rows if e.reason in LOT_REASONS), cid
            for e in rows:
                if e.reason in LOT_REASONS and e.delta > 0:
                    assert e.remaining is not None and 0 <= e.remaining <= e.delta, (cid, e.id)
                else:
                    assert e.remaining is None, (cid, e.id, e.reason)
            lifetime = sum(e.delta for e in rows if e.reason in ("earn", "reverse"))
            assert (acct.lifetime_earned if acct else 0) == lifetime, cid
            if acct is not None:
                assert acct.tier == tiers.tier_for(acct.lifetime_earned), cid
            if now is not None:
                late = [e.id for e in rows if e.remaining and e.expires_at and e.expires_at <= now]
                assert not late, (cid, late)
            assert check_invariants(session, cid, now) == [], cid

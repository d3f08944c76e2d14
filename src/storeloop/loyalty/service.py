"""Points: earn, spend, give back, reverse, expire and adjust — each inside a transaction whose
conditions keep a customer's balance equal to their ledger and never below zero.

The rules (docs/loyalty.md has them in prose):

* **Lots.** Every entry that adds points (``earn``, ``refund``, a positive ``adjust``) is a lot
  with ``remaining`` (not yet spent or expired) and an ``expires_at``. Entries that take points
  away (``spend``, ``reverse``, ``expire``, a negative ``adjust``) have ``remaining`` NULL and
  draw their points from lots, earliest expiry first (FIFO). Taking points first expires the
  customer's lots already past their expiry, so expired points are never spent, even before the
  sweep (``expire_points``) has come by.
* **Invariants**, per customer, after every transaction (``check_invariants``):
  ``balance = Σ ledger.delta = Σ lots.remaining``, ``balance >= 0`` (a CHECK),
  ``lifetime_earned = Σ earn + Σ reverse deltas`` and ``tier = tiers.tier_for(lifetime_earned)``.
  Once ``expire_points(now)`` has run, no lot with ``expires_at <= now`` has points left.
* **Locking.** Every write to a customer's points first locks their ``points_accounts`` row
  (``_lock_account``: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite callers hold the write
  lock from the start, ``inventory.locks.write_session``), then touches their ledger rows. The
  balance itself only moves by guarded UPDATEs (``balance + delta >= 0``), so it cannot go below
  zero even if a caller forgot the lock. Several customers in one transaction are locked in
  ``customer_id`` order. In checkout the account comes after the offer-usage counters and before
  the outbox (``inventory/locks.py``'s order, extended).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storeloop.customers.models import Customer
from storeloop.errors import Conflict, FieldError, InvalidInput, get_or_raise
from storeloop.inventory.locks import write_session
from storeloop.loyalty import tiers
from storeloop.loyalty.models import PointsAccount, PointsEntry
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.fulfilment_models import Refund
from storeloop.orders.models import Order

POINT_VALUE = 1  # minor units per point: 100 points = ¥1 (as Tmall)
DEFAULT_VALIDITY_MONTHS = 12  # earned points expire this many calendar months after earning
LOT_REASONS = ("earn", "refund", "adjust")  # entries that can carry ``remaining``
# An order earns once it reaches the customer: delivered (or completed, should a delivery go
# unannounced). Completion cannot come without delivery, so the two never both earn.
EARNING_STATUSES = ("delivered", "completed")


def _not_enough(customer_id: int, points: int, balance: int) -> Conflict:
    # a plain Conflict, not a subclass: web/errors.py maps exception types to statuses exactly
    return Conflict(
        f"customer {customer_id} has {balance} points, fewer than the {points} asked for",
        field="points",
    )


def add_months(at: datetime, months: int) -> datetime:
    """``at`` moved by whole calendar months, the day clamped to the target month's last day
    (31 March + 1 month = 30 April)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


# Accounts and locks


def _ensure_account(session: Session, customer_id: int, at: datetime) -> None:
    """Create the customer's account if missing; a racing creator is tolerated (no error)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(PointsAccount)
        .values(customer_id=customer_id, balance=0, lifetime_earned=0, tier="member", updated_at=at)
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )


def _lock_account(session: Session, customer_id: int) -> PointsAccount | None:
    """Lock and (re)load the customer's account row; None if they have none.

    ``populate_existing`` makes the object carry the row as it is now, after any wait for the
    lock, not a version this session read earlier.
    """
    return session.scalars(
        select(PointsAccount)
        .where(PointsAccount.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _lots(session: Session, customer_id: int, *extra: ColumnElement[bool]) -> list[PointsEntry]:
    """The customer's lots with points left, in the order points are drawn from them: earliest
    expiry first, lots without an expiry last, ties by id."""
    return list(
        session.scalars(
            select(PointsEntry)
            .where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.remaining.is_not(None),
                PointsEntry.remaining > 0,
                *extra,
            )
            .order_by(PointsEntry.expires_at.is_(None), PointsEntry.expires_at, PointsEntry.id)
            .execution_options(populate_existing=True)
        )
    )


def _draw(lots: Iterable[PointsEntry], points: int) -> tuple[int, datetime | None]:
    """Take ``points`` from ``lots`` in order; returns how many were taken (fewer when the lots
    run out) and the latest expiry among the lots drawn from."""
    taken, latest = 0, None
    for lot in lots:
        if taken == points:
            break
        assert lot.remaining is not None
        part = min(lot.remaining, points - taken)
        lot.remaining -= part
        taken += part
        if lot.expires_at is not None and (latest is None or lot.expires_at > latest):
            latest = lot.expires_at
    return taken, latest


def _change_balance(
    session: Session,
    customer_id: int,
    delta: int,
    at: datetime,
    *,
    lifetime: int | None = None,
) -> bool:
    """``balance += delta`` guarded by ``balance + delta >= 0``; False (nothing changed) if that
    would go below zero. ``lifetime``: the new ``lifetime_earned``, which also sets the tier."""
    values: dict[str, Any] = {"balance": PointsAccount.balance + delta, "updated_at": at}
    if lifetime is not None:
        values |= {"lifetime_earned": lifetime, "tier": tiers.tier_for(lifetime)}
    done = session.execute(
        update(PointsAccount)
        .where(PointsAccount.customer_id == customer_id, PointsAccount.balance + delta >= 0)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def _expire_customer(session: Session, customer_id: int, now: datetime) -> int:
    """Expire the (already locked) customer's lots whose time has come: one ``expire`` entry for
    their sum. Returns the points expired."""
    overdue = _lots(session, customer_id, PointsEntry.expires_at <= now)
    total = sum(lot.remaining or 0 for lot in overdue)
    if total == 0:
        return 0
    for lot in overdue:
        lot.remaining = 0
    session.add(
        PointsEntry(
            customer_id=customer_id,
            delta=-total,
            reason="expire",
            note=f"{len(overdue)} lot(s) expired",
            created_at=now,
        )
    )
    if not _change_balance(session, customer_id, -total, now):  # pragma: no cover - invariant
        raise RuntimeError(f"customer {customer_id}: balance below its unexpired lots")
    session.flush()
    return total


# Spending and giving back (checkout, closing and cancelling orders)


def spend_points_in(
    session: Session, customer_id: int, points: int, *, order_id: int, at: datetime
) -> None:
    """Spend ``points`` on ``order_id`` inside the caller's write transaction (never commits).

    Lots already past their expiry are expired first, so they cannot be spent; then the balance
    is taken down by a guarded UPDATE (``balance >= n``) and the points are drawn from lots,
    earliest expiry first. A ``Conflict`` naming ``points`` when the balance
    does not cover them; the caller's rollback undoes the expiry too.
    """
    if points <= 0:
        raise InvalidInput([FieldError("points", "must be a positive number of points")])
    account = _lock_account(session, customer_id)
    if account is None:
        raise _not_enough(customer_id, points, 0)
    _expire_customer(session, customer_id, at)
    if not _change_balance(session, customer_id, -points, at):
        session.refresh(account)
        raise _not_enough(customer_id, points, account.balance)
    taken, latest = _draw(_lots(session, customer_id), points)
    if taken != points:  # pragma: no cover - the invariant balance = Σ remaining
        raise RuntimeError(f"customer {customer_id}: lots hold fewer points than the balance")
    session.add(
        PointsEntry(
            customer_id=customer_id,
            delta=-points,
            reason="spend",
            order_id=order_id,
            # not a lot: the latest expiry drawn from, which points given back keep
            expires_at=latest,
            created_at=at,
        )
    )
    session.flush()


def return_points_in(
    session: Session,
    customer_id: int,
    points: int,
    *,
    order_id: int,
    dedupe_key: str,
    at: datetime,
    validity_months: int = DEFAULT_VALIDITY_MONTHS,
) -> int:
    """Give back ``points`` spent on ``order_id`` (an order closed unpaid, cancelled, refunded),
    inside the caller's transaction; returns the points given back.

    A ``refund`` entry with ``dedupe_key`` (unique): a replay with the same key gives back
    nothing and returns 0. Never more than the order's spent points not yet given back. The
    points come back as a lot keeping the expiry of the points they were spent from (the latest
    one the spend drew on; if that has passed they expire at the next sweep), or ``validity``
    from ``at`` when the spend recorded none.
    """
    if points < 0:
        raise InvalidInput([FieldError("points", "must not be negative")])
    if points == 0:
        return 0
    _ensure_account(session, customer_id, at)
    _lock_account(session, customer_id)
    if session.scalar(select(PointsEntry.id).where(PointsEntry.dedupe_key == dedupe_key)):
        return 0
    spent, returned, expiry = session.execute(
        select(
            -func.coalesce(func.sum(PointsEntry.delta).filter(PointsEntry.reason == "spend"), 0),
            func.coalesce(func.sum(PointsEntry.delta).filter(PointsEntry.reason == "refund"), 0),
            func.max(PointsEntry.expires_at).filter(PointsEntry.reason == "spend"),
        ).where(PointsEntry.customer_id == customer_id, PointsEntry.order_id == order_id)
    ).one()
    give = min(points, int(spent) - int(returned))
    if give <= 0:
        return 0
    session.add(
        PointsEntry(
            customer_id=customer_id,
            delta=give,
            reason="refund",
            order_id=order_id,
            remaining=give,
            expires_at=expiry or add_months(at, validity_months),
            dedupe_key=dedupe_key,
            created_at=at,
        )
    )
    _change_balance(session, customer_id, give, at)
    session.flush()
    return give


# Earning and reversing (the outbox relay calls these on order events)


def _cash_paid(order: Order) -> int:
    """What the customer paid for the goods in cash: goods less every discount (points money is
    part of the discount), shipping excluded."""
    return order.goods_amount - order.discount_amount


def _reversal_owed(earned: int, cash: int, refunded: int) -> int:
    """Points an order's earning loses once ``refunded`` of its ``cash`` has gone back: the
    earning is cut to ``floor(earned × (cash − refunded) / cash)``."""
    if cash <= 0:
        return earned
    kept = max(cash - min(refunded, cash), 0)
    return earned - earned * kept // cash


def earn_for_order_in(
    session: Session,
    order_id: int,
    *,
    at: datetime,
    validity_months: int = DEFAULT_VALIDITY_MONTHS,
) -> int:
    """Credit the points an order earns, once (``earn:order:<id>``), inside the caller's
    transaction; returns the points credited (0 on a replay, or for an order not delivered).

    ``tiers.points_for(cash paid, the customer's tier now)`` points, expiring
    ``validity_months`` after ``at``; refunds the order already had are then reversed at once.
    """
    order = session.get(Order, order_id)
    if order is None or order.status not in EARNING_STATUSES:
        return 0
    _ensure_account(session, order.customer_id, at)
    account = _lock_account(session, order.customer_id)
    assert account is not None
    key = f"earn:order:{order_id}"
    if session.scalar(select(PointsEntry.id).where(PointsEntry.dedupe_key == key)):
        return 0
    points = tiers.points_for(_cash_paid(order), account.tier)
    if points == 0:
        return 0
    session.add(
        PointsEntry(
            customer_id=order.customer_id,
            delta=points,
            reason="earn",
            order_id=order_id,
            remaining=points,
            expires_at=add_months(at, validity_months),
            dedupe_key=key,
            note=f"order {order.number}, {account.tier} ×{tiers.rate_percent(account.tier)}%",
            created_at=at,
        )
    )
    _change_balance(
        session, order.customer_id, points, at, lifetime=account.lifetime_earned + points
    )
    session.flush()
    reverse_for_refunds_in(session, order_id, at=at)
    return points


def reverse_for_refunds_in(session: Session, order_id: int, *, at: datetime) -> int:
    """Take back the part of an order's earning its succeeded refunds undid; returns the points
    taken now. Cumulative and idempotent: after refunds totalling ``r`` of the ``c`` paid in
    cash, the order's reversals add up to ``_reversal_owed(earned, c, r)`` — unless the customer
    had already spent them: then only what the balance holds is taken (never below zero), and
    the rest is taken by the order's next refund if points have come in by then. The
    ``lifetime_earned`` (hence the tier) loses what is taken.
    """
    order = session.get(Order, order_id)
    if order is None:
        return 0
    customer_id = order.customer_id
    account = _lock_account(session, customer_id)
    if account is None:
        return 0
    earn = session.scalar(
        select(PointsEntry).where(PointsEntry.dedupe_key == f"earn:order:{order_id}")
    )
    if earn is None:  # not earned yet: earning will reverse what was refunded by then
        return 0
    refunded = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order_id, Refund.status == "succeeded"
        )
    )
    reversed_ = -int(
        session.scalar(
            select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.order_id == order_id,
                PointsEntry.reason == "reverse",
            )
        )
        or 0
    )
    owed = _reversal_owed(earn.delta, _cash_paid(order), int(refunded or 0)) - reversed_
    if owed <= 0:
        return 0
    _expire_customer(session, customer_id, at)
    session.refresh(account)
    session.refresh(earn)
    take = min(owed, account.balance)
    if take == 0:
        return 0
    own = [earn] if earn.remaining else []
    taken, _ = _draw([*own, *(lot for lot in _lots(session, customer_id) if lot is not earn)], take)
    assert taken == take, "lots hold fewer points than the balance"
    session.add(
        PointsEntry(
            customer_id=customer_id,
            delta=-take,
            reason="reverse",
            order_id=order_id,
            note=f"refunds {refunded} of {_cash_paid(order)} paid; {owed} owed, {take} taken",
            created_at=at,
        )
    )
    _change_balance(
        session, customer_id, -take, at, lifetime=max(account.lifetime_earned - take, 0)
    )
    session.flush()
    return take


# Expiry


def expire_points(session_factory: sessionmaker[Session], now: datetime) -> int:
    """Expire every lot whose ``expires_at <= now``; returns the points expired.

    One short write transaction per customer (customers in id order), each locking the account
    first like every spend does, so a sweep racing checkouts neither blocks the store for long
    nor lets a lot be both spent and expired.
    """
    with session_factory() as session:
        customers = list(
            session.scalars(
                select(PointsEntry.customer_id)
                .where(
                    PointsEntry.remaining > 0,
                    PointsEntry.expires_at.is_not(None),
                    PointsEntry.expires_at <= now,
                )
                .distinct()
                .order_by(PointsEntry.customer_id)
            )
        )
    total = 0
    for customer_id in customers:
        with write_session(session_factory) as session:
            if _lock_account(session, customer_id) is not None:
                total += _expire_customer(session, customer_id, now)
    return total


# Manual adjustments and reads (the admin API)


def adjust_points(
    session: Session,
    customer_id: int,
    delta: int,
    *,
    note: str,
    at: datetime,
    validity_months: int = DEFAULT_VALIDITY_MONTHS,
) -> PointsEntry:
    """An operator's correction: ``delta`` points in (a lot expiring like earned points) or out
    (drawn FIFO; Conflict naming ``delta`` if the balance does not cover it). Does not change
    ``lifetime_earned`` or the tier."""
    get_or_raise(session, Customer, customer_id)
    if delta == 0:
        raise InvalidInput([FieldError("delta", "must not be zero")])
    _ensure_account(session, customer_id, at)
    account = _lock_account(session, customer_id)
    assert account is not None
    entry = PointsEntry(
        customer_id=customer_id, delta=delta, reason="adjust", note=note, created_at=at
    )
    if delta > 0:
        entry.remaining = delta
        entry.expires_at = add_months(at, validity_months)
        _change_balance(session, customer_id, delta, at)
    else:
        _expire_customer(session, customer_id, at)
        if not _change_balance(session, customer_id, delta, at):
            session.refresh(account)
            raise Conflict(
                f"customer {customer_id} has {account.balance} points; "
                f"taking {-delta} would make the balance negative",
                field="delta",
            )
        _draw(_lots(session, customer_id), -delta)
    session.add(entry)
    session.flush()
    session.refresh(account)
    return entry


def tier_of(session: Session, customer_id: int) -> str:
    """The customer's member tier; ``member`` for a customer with no points account yet."""
    tier = session.scalar(
        select(PointsAccount.tier).where(PointsAccount.customer_id == customer_id)
    )
    return tier or tiers.TIERS[0].name


def get_account(session: Session, customer_id: int) -> PointsAccount:
    """The customer's account; an unsaved empty one for a customer who has none yet."""
    get_or_raise(session, Customer, customer_id)
    account = session.get(PointsAccount, customer_id, populate_existing=True)
    if account is None:
        return PointsAccount(
            customer_id=customer_id, balance=0, lifetime_earned=0, tier=tiers.TIERS[0].name
        )
    return account


def ledger_query(customer_id: int) -> Select[tuple[PointsEntry]]:
    return select(PointsEntry).where(PointsEntry.customer_id == customer_id)


def check_invariants(session: Session, customer_id: int, now: datetime | None = None) -> list[str]:
    """What is wrong with a customer's points, as sentences; empty when the account is sound.

    ``balance = Σ deltas = Σ lots' remaining``, ``balance >= 0``, ``lifetime_earned = Σ earn and
    reverse deltas``, the tier follows ``lifetime_earned``, only lots carry ``remaining``, and
    (given ``now``, right after a sweep) no lot past its expiry has points left.
    """
    account = session.get(PointsAccount, customer_id, populate_existing=True)
    rows = session.execute(
        select(
            PointsEntry.reason,
            func.sum(PointsEntry.delta),
            func.sum(PointsEntry.remaining),
            func.count(PointsEntry.remaining),
        )
        .where(PointsEntry.customer_id == customer_id)
        .group_by(PointsEntry.reason)
    ).all()
    deltas = {reason: int(d) for reason, d, _, _ in rows}
    remaining = sum(int(r or 0) for _, _, r, _ in rows)
    balance = account.balance if account else 0
    lifetime = account.lifetime_earned if account else 0
    problems = []
    if balance < 0:
        problems.append(f"balance {balance} is negative")
    if balance != sum(deltas.values()):
        problems.append(f"balance {balance} != ledger sum {sum(deltas.values())}")
    if balance != remaining:
        problems.append(f"balance {balance} != lots' remaining {remaining}")
    if lifetime != deltas.get("earn", 0) + deltas.get("reverse", 0):
        problems.append(f"lifetime {lifetime} != earned less reversed")
    if account is not None and account.tier != tiers.tier_for(account.lifetime_earned):
        problems.append(f"tier {account.tier} does not follow lifetime {lifetime}")
    stray = [r for r, _, _, n in rows if n and r not in LOT_REASONS]
    if stray:
        problems.append(f"non-lot entries carry remaining: {stray}")
    if now is not None:
        overdue = session.scalar(
            select(func.count()).where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.remaining > 0,
                PointsEntry.expires_at <= now,
            )
        )
        if overdue:
            problems.append(f"{overdue} lot(s) past expiry still hold points")
    return problems


# Outbox handlers (registered in orders/outbox_relay.py)


def on_order_delivered(session: Session, event: OutboxEvent) -> None:
    """``order.delivered`` / ``order.completed``: earn the order's points (once per order)."""
    earn_for_order_in(session, int(event.payload["order_id"]), at=event.created_at)


def on_order_refunded(session: Session, event: OutboxEvent) -> None:
    """``order.refunded``: reverse the earning in proportion to the cash refunded so far."""
    reverse_for_refunds_in(session, int(event.payload["order_id"]), at=event.created_at)


HANDLERS: dict[str, Callable[[Session, OutboxEvent], None]] = {
    "order.delivered": on_order_delivered,
    "order.completed": on_order_delivered,
    "order.refunded": on_order_refunded,
}

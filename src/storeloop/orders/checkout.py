"""Checkout: price a cart, place the order, hold its stock and redeem its offers — all or nothing.

One call is one write transaction (``inventory.locks.write_session``: ``BEGIN IMMEDIATE`` on
SQLite). Inside it, in this order (the lock order of ``inventory/locks.py``):

1. the ``Idempotency-Key`` row — a replay with the same request returns the order it made, with
   another request it is refused; a racing duplicate waits on the key's unique index and then
   replays;
2. the cart is priced by the pricing service (``pricing.service.preview``, the engine over the
   store's offers, usage and customer) — read inside the transaction;
3. the order (``pending_payment``) and its lines, each line's ``discount_amount`` being the
   engine's allocation to it, and the first status-history row;
4. stock reservations by conditional UPDATE (``on_hand - reserved >= q``), SKUs in id order;
5. offer usage by guarded UPDATEs: coupon codes (``uses < max_uses``), offer totals (uses, units,
   budget) and the customer's counters (a flash sale's per-customer limit), each refusing with
   no row updated — so a race the pricing read could not see is refused here, never oversold;
6. the ``order.created`` outbox event.

Any refusal raises (``Conflict``/``InvalidInput``) and rolls everything back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Sku
from storeloop.errors import Conflict, FieldError, InvalidInput
from storeloop.inventory.locks import write_session
from storeloop.inventory.models import StockLevel, Warehouse
from storeloop.inventory.reservations import (
    OutOfStock,
    consume_all,
    expire_reservations,
    first_shortage,
    open_reservations,
    record_reservation,
    try_reserve_units,
)
from storeloop.inventory.routing import WarehouseStock, rank_warehouses
from storeloop.loyalty.service import POINT_VALUE, return_points_in, spend_points_in
from storeloop.money import allocate
from storeloop.orders.checkout_models import IdempotencyKey, OrderStatusHistory, OutboxEvent
from storeloop.orders.models import Order, OrderLine
from storeloop.orders.state import INITIAL_STATUS, can_transition, transition
from storeloop.pricing.models import (
    StoredCouponCode,
    StoredCustomerUsage,
    StoredOffer,
    StoredOfferUsage,
)
from storeloop.pricing.result import PricedCart, PricedLine
from storeloop.pricing.service import preview
from storeloop.pricing.store_schemas import PreviewCart

DEFAULT_RESERVATION_TTL = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    sku_id: int
    quantity: int
    warehouse_id: int | None = None  # None: the warehouse with the most free units


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: Order
    replayed: bool  # True: an earlier request with this key made the order
    priced: PricedCart | None  # None on a replay


class IdempotencyKeyReused(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for a different request", field="key"
        )


class PriceChanged(Conflict):
    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the cart now costs {actual}, not the {expected} shown; nothing was ordered",
            field="expected_total",
        )


class OfferUsedUp(Conflict):
    pass


def checkout(
    session_factory: sessionmaker[Session],
    customer_id: int,
    lines: Sequence[CheckoutLine],
    *,
    idempotency_key: str,
    coupon_codes: Sequence[str] = (),
    at: datetime,
    expected_total: int | None = None,
    reservation_ttl: timedelta = DEFAULT_RESERVATION_TTL,
    channel: str = "web",
    ship_province: str = "",
    points: int = 0,
    on_placed: Callable[[Session, Order], None] | None = None,
) -> CheckoutResult:
    """Place an order for ``lines`` or raise, changing nothing.

    ``on_placed`` runs in the same transaction once the order is written (not on a replay): what
    it writes commits with the order, and what it raises rolls the order back — the cart a
    storefront checkout came from is marked ordered this way.

    ``expected_total`` is the total the shopper was shown: when the price has moved since (the
    last flash-sale unit went to someone else, a coupon was used up), checkout refuses rather
    than charge a different amount. A presented coupon code the engine does not apply is refused
    too, for the same reason.

    ``points`` are spent on the order (``loyalty.service.spend_points_in``, same transaction):
    worth ``POINT_VALUE`` fen each, at most what the goods cost after discounts (shipping is not
    payable in points); their money joins ``discount_amount`` as ``points_amount``, allocated to
    the lines pro rata by net amount.
    """
    merged = _merge(lines)
    codes = tuple(sorted(set(coupon_codes)))
    if points < 0:
        raise InvalidInput([FieldError("points", "must not be negative")])
    # points join the fingerprint only when spent, so keys stored before points keep matching
    fingerprint = _fingerprint(
        customer_id,
        merged,
        codes,
        expected_total,
        channel,
        ship_province,
        *([points] if points else []),
    )
    with session_factory() as session:  # before queueing for locks: a replay, or sold out
        replay = _replay(session, idempotency_key, fingerprint)
        if replay is not None:
            return replay
        wanted = [(line.sku_id, line.warehouse_id, line.quantity) for line in merged]
        shortage = first_shortage(session, wanted)
    if shortage is not None:
        raise shortage
    try:
        with write_session(session_factory) as session:
            replay = _replay(session, idempotency_key, fingerprint)
            if replay is not None:
                return replay
            key_row = IdempotencyKey(
                key=idempotency_key, fingerprint=fingerprint, customer_id=customer_id, created_at=at
            )
            session.add(key_row)
            session.flush()  # PostgreSQL: a racing request with this key waits here
            order, priced = _place(
                session,
                customer_id,
                merged,
                codes,
                at=at,
                expected_total=expected_total,
                expires_at=at + reservation_ttl,
                channel=channel,
                ship_province=ship_province,
                points=points,
            )
            key_row.order_id = order.id
            session.flush()
            if on_placed is not None:
                on_placed(session, order)
            return CheckoutResult(order, False, priced)
    except IntegrityError:
        # Lost the race for the key to a request that committed first: replay it.
        with session_factory() as session:
            replay = _replay(session, idempotency_key, fingerprint)
        if replay is None:
            raise
        return replay


def _merge(lines: Sequence[CheckoutLine]) -> list[CheckoutLine]:
    if not lines:
        raise InvalidInput([FieldError("lines", "a checkout needs at least one line")])
    quantities: dict[tuple[int, int | None], int] = {}
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            raise InvalidInput([FieldError(f"lines[{i}].quantity", "must be positive")])
        key = (line.sku_id, line.warehouse_id)
        quantities[key] = quantities.get(key, 0) + line.quantity
    if len({sku for sku, _ in quantities}) != len(quantities):
        raise InvalidInput([FieldError("lines", "a SKU is named with two warehouses")])
    return [CheckoutLine(sku, q, wh) for (sku, wh), q in sorted(quantities.items())]


def _fingerprint(customer_id: int, lines: Sequence[CheckoutLine], *rest: Any) -> str:
    body = {
        "customer_id": customer_id,
        "lines": [[line.sku_id, line.quantity, line.warehouse_id] for line in lines],
        "rest": list(rest),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(session: Session, key: str, fingerprint: str) -> CheckoutResult | None:
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
    if row is None:
        return None
    if row.fingerprint != fingerprint or row.order_id is None:
        raise IdempotencyKeyReused(key)
    return CheckoutResult(session.get_one(Order, row.order_id), True, None)


def _place(
    session: Session,
    customer_id: int,
    lines: Sequence[CheckoutLine],
    codes: Sequence[str],
    *,
    at: datetime,
    expected_total: int | None,
    expires_at: datetime,
    channel: str,
    ship_province: str,
    points: int = 0,
) -> tuple[Order, PricedCart]:
    cart = PreviewCart.model_validate(
        {
            "channel": channel,
            "lines": [{"sku_id": line.sku_id, "quantity": line.quantity} for line in lines],
            "coupon_codes": list(codes),
        }
    )
    priced = preview(session, cart, at=at, customer_id=customer_id).priced
    _refuse_unapplied_codes(priced, codes)

    order = Order(
        number=f"SL{uuid.uuid4().hex[:20].upper()}",
        customer_id=customer_id,
        status=INITIAL_STATUS,
        channel=channel,
        currency=priced.currency,
        ship_province=ship_province,
        placed_at=at,
        goods_amount=0,
        discount_amount=0,
        shipping_amount=priced.totals.shipping,
        total_amount=0,
    )
    sku_ids = {line.sku_id for line in lines}
    sku_id_of = {
        code: id_
        for code, id_ in session.execute(
            select(Sku.code, Sku.id).where(
                or_(Sku.id.in_(sku_ids), Sku.code.in_([g.sku for g in priced.gifts]))
            )
        )
    }
    by_sku = {sku_id_of[p.sku]: p for p in priced.lines}
    wanted: dict[int, int] = {}
    for line in lines:
        p = by_sku[line.sku_id]
        order.lines.append(
            OrderLine(
                sku_id=line.sku_id,
                quantity=line.quantity,
                unit_price=p.unit_price,
                discount_amount=sum(d.amount for d in p.discounts),
            )
        )
        wanted[line.sku_id] = wanted.get(line.sku_id, 0) + line.quantity
    for gift in priced.gifts:  # free units: a line discounted in full, whose stock is held too
        gift_sku = sku_id_of[gift.sku]
        order.lines.append(
            OrderLine(
                sku_id=gift_sku,
                quantity=gift.quantity,
                unit_price=gift.value // gift.quantity,
                discount_amount=gift.value // gift.quantity * gift.quantity,
            )
        )
        wanted[gift_sku] = wanted.get(gift_sku, 0) + gift.quantity
    order.goods_amount = sum(ol.unit_price * ol.quantity for ol in order.lines)
    order.discount_amount = sum(ol.discount_amount for ol in order.lines)
    if points:
        _apply_points(order, points, presale=bool(priced.totals.deposit_due))
    order.total_amount = order.goods_amount - order.discount_amount + order.shipping_amount
    if expected_total is not None and expected_total != order.total_amount:
        raise PriceChanged(expected_total, order.total_amount)
    _record_presale_terms(session, order, priced)
    session.add(order)
    session.flush()
    session.add(OrderStatusHistory(order_id=order.id, to_status=INITIAL_STATUS, at=at))

    fixed = {line.sku_id: line.warehouse_id for line in lines}
    for sku_id in sorted(wanted):  # SKU order: the lock order of inventory/locks.py
        _reserve(
            session,
            order.id,
            sku_id,
            fixed.get(sku_id),
            wanted[sku_id],
            expires_at,
            ship_province=ship_province,
        )
    _redeem(session, priced, customer_id, order.id)
    if points:  # after the offer counters, before the outbox: loyalty/service.py's lock order
        spend_points_in(session, customer_id, points, order_id=order.id, at=at)
    session.add(
        OutboxEvent(
            topic="order.created",
            created_at=at,
            payload={
                "order_id": order.id,
                "number": order.number,
                "customer_id": customer_id,
                "currency": order.currency,
                "total_amount": order.total_amount,
                "discount_amount": order.discount_amount,
                "points_spent": order.points_spent,
                "placed_at": at.isoformat(),
                "lines": [
                    {
                        "sku_id": ol.sku_id,
                        "quantity": ol.quantity,
                        "unit_price": ol.unit_price,
                        "discount_amount": ol.discount_amount,
                    }
                    for ol in order.lines
                ],
            },
        )
    )
    session.flush()
    return order, priced


def _apply_points(order: Order, points: int, *, presale: bool) -> None:
    """Pay ``points`` of ``order``'s goods with points: the money joins the order's and lines'
    discounts, split pro rata by line net amount (exact to the fen). InvalidInput naming
    ``points`` when they are worth more than the goods cost after discounts."""
    value = points * POINT_VALUE
    payable = order.goods_amount - order.discount_amount
    if presale:
        raise InvalidInput([FieldError("points", "points cannot pay for a presale order")])
    if value > payable:
        raise InvalidInput(
            [
                FieldError(
                    "points",
                    f"{points} points are worth {value}, more than the {payable} payable "
                    "for the goods after discounts",
                )
            ]
        )
    shares = allocate(
        value, [ol.unit_price * ol.quantity - ol.discount_amount for ol in order.lines]
    )
    for ol, share in zip(order.lines, shares, strict=True):
        ol.discount_amount += share
        ol.points_amount = share
    order.discount_amount += value
    order.points_amount = value
    order.points_spent = points


def _record_presale_terms(session: Session, order: Order, priced: PricedCart) -> None:
    """A presale order (a deposit due now): the engine's deposit and the balance window (the
    narrowest one when several presales apply), which ``orders.deposits`` enforces."""
    if not priced.totals.deposit_due:
        return
    presales = [a.offer for a in priced.applied if a.kind == "presale"]
    definitions = session.scalars(
        select(StoredOffer.definition).where(StoredOffer.code.in_(presales))
    ).all()
    order.is_presale = True
    order.deposit_amount = priced.totals.deposit_due
    starts = [datetime.fromisoformat(d["balance_starts_at"]) for d in definitions]
    order.balance_starts_at = max(starts)
    order.balance_ends_at = min(datetime.fromisoformat(d["balance_ends_at"]) for d in definitions)


def _refuse_unapplied_codes(priced: PricedCart, codes: Sequence[str]) -> None:
    applied = {a.code for a in priced.applied if a.code is not None}
    reasons = {r.code: r.detail for r in priced.rejected if r.code is not None}
    errors = [
        FieldError(
            f"coupon_codes[{i}]", f"{code!r} cannot be used: {reasons.get(code, 'not applied')}"
        )
        for i, code in enumerate(codes)
        if code not in applied
    ]
    if errors:
        raise InvalidInput(errors)


def _reserve(
    session: Session,
    order_id: int,
    sku_id: int,
    warehouse_id: int | None,
    quantity: int,
    expires_at: datetime,
    *,
    ship_province: str = "",
) -> None:
    """Hold ``quantity`` units in the named warehouse, or in the first active warehouse of
    ``inventory.routing.rank_warehouses`` for ``ship_province`` that has them all (the next
    ones are tried in turn if a racing checkout took them first; a line is never split)."""
    if warehouse_id is not None:
        candidates = [warehouse_id]
    else:
        rows = session.execute(
            select(
                StockLevel.warehouse_id,
                Warehouse.kind,
                Warehouse.province,
                Warehouse.region,
                StockLevel.on_hand - StockLevel.reserved,
            )
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.sku_id == sku_id, Warehouse.is_active.is_(True))
        )
        stock = [WarehouseStock(*row) for row in rows]
        candidates = [r.warehouse_id for r in rank_warehouses(ship_province, stock, quantity)]
    for wh in candidates:
        if try_reserve_units(session, sku_id, wh, quantity):
            record_reservation(session, order_id, sku_id, wh, quantity, expires_at)
            return
    raise OutOfStock(sku_id, warehouse_id, quantity)


def _offer_units(definition: dict[str, Any], line: PricedLine, amount: int) -> int:
    """Units of ``line`` sold under an item offer, from the discount it gave them."""
    if definition["kind"] == "flash_sale" and line.unit_price > definition["price"]:
        return amount // (line.unit_price - definition["price"])
    if definition["kind"] == "limited_time":
        return amount // min(definition["amount_off"], line.unit_price)
    return line.quantity


def _cap(counter: Any, cap: Any, add: int) -> Any:
    return or_(cap.is_(None), counter + add <= cap)


def _redeem(session: Session, priced: PricedCart, customer_id: int, order_id: int) -> None:
    """Count what the order used: codes, then offer totals, then the customer's counters, each a
    guarded UPDATE in key order. A refused one means a racing checkout took the last use."""
    if not priced.applied:
        return
    offers = {
        row.code: row
        for row in session.scalars(
            select(StoredOffer).where(StoredOffer.code.in_([a.offer for a in priced.applied]))
        )
    }
    units: dict[str, int] = {}
    for line in priced.lines:
        for d in line.discounts:
            units[d.offer] = units.get(d.offer, 0) + _offer_units(
                offers[d.offer].definition, line, d.amount
            )
    applied = sorted(priced.applied, key=lambda a: offers[a.offer].id)
    for code in sorted(a.code for a in applied if a.code is not None):
        done = session.execute(
            update(StoredCouponCode)
            .where(
                StoredCouponCode.code == code,
                _cap(StoredCouponCode.uses, StoredCouponCode.max_uses, 1),
                or_(
                    StoredCouponCode.customer_id.is_(None),
                    StoredCouponCode.customer_id == customer_id,
                ),
            )
            .values(uses=StoredCouponCode.uses + 1)
        )
        if done.rowcount != 1:
            raise OfferUsedUp(f"coupon code {code!r} has been used up", field="coupon_codes")
    for a in applied:
        u, usage = units.get(a.offer, 0), StoredOfferUsage
        done = session.execute(
            update(usage)
            .where(
                usage.offer_id == offers[a.offer].id,
                _cap(usage.uses, usage.max_uses, 1),
                _cap(usage.units, usage.max_units, u),
                _cap(usage.spent, usage.budget, a.amount),
            )
            .values(uses=usage.uses + 1, units=usage.units + u, spent=usage.spent + a.amount)
        )
        if done.rowcount != 1:
            raise OfferUsedUp(f"offer {a.offer!r} has run out (uses, units or budget)")
    for a in applied:
        _redeem_for_customer(
            session, offers[a.offer].id, a.offer, customer_id, units.get(a.offer, 0)
        )


def _redeem_for_customer(
    session: Session, offer_id: int, offer_code: str, customer_id: int, units: int
) -> None:
    caps = session.execute(
        select(
            StoredOfferUsage.max_uses_per_customer, StoredOfferUsage.max_units_per_customer
        ).where(StoredOfferUsage.offer_id == offer_id)
    ).one()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(StoredCustomerUsage)
        .values(
            offer_id=offer_id,
            customer_id=customer_id,
            uses=0,
            units=0,
            max_uses=caps.max_uses_per_customer,
            max_units=caps.max_units_per_customer,
        )
        .on_conflict_do_nothing(index_elements=["offer_id", "customer_id"])
    )
    usage = StoredCustomerUsage
    done = session.execute(
        update(usage)
        .where(
            and_(usage.offer_id == offer_id, usage.customer_id == customer_id),
            _cap(usage.uses, usage.max_uses, 1),
            _cap(usage.units, usage.max_units, units),
        )
        .values(uses=usage.uses + 1, units=usage.units + units)
    )
    if done.rowcount != 1:
        raise OfferUsedUp(
            f"customer {customer_id} has reached offer {offer_code!r}'s per-customer limit"
        )


# After checkout: payment consumes the reservations, expiry closes the order.


def _change_status(session: Session, order: Order, to: str, at: datetime, topic: str) -> None:
    """Move ``order`` along the state machine with a guarded UPDATE (``WHERE status = from``), so
    a payment racing an expiry moves it once; history and outbox rows in the same transaction."""
    from_status = transition(order, to)
    with session.no_autoflush:  # the guard must compare with the stored status, not ours
        done = session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == from_status)
            .values(status=to, **({"paid_at": at} if to == "paid" else {}))
            .execution_options(synchronize_session=False)
        )
    if done.rowcount != 1:
        raise Conflict(f"order {order.id} changed status concurrently; nothing was changed")
    session.add(OrderStatusHistory(order_id=order.id, from_status=from_status, to_status=to, at=at))
    session.add(
        OutboxEvent(
            topic=topic,
            created_at=at,
            payload={"order_id": order.id, "from": from_status, "to": to, "at": at.isoformat()},
        )
    )


def mark_paid(session_factory: sessionmaker[Session], order_id: int, *, at: datetime) -> Order:
    """A full payment arrived: consume the order's reservations (``sale`` ledger rows) and move
    it to ``paid``. Conflict, changing nothing, if it is not awaiting payment or has expired."""
    with write_session(session_factory) as session:
        return mark_paid_in(session, order_id, at=at)


def mark_paid_in(session: Session, order_id: int, *, at: datetime) -> Order:
    """``mark_paid`` inside the caller's write transaction (a payment callback records its
    payment row in the same one)."""
    order = session.get_one(Order, order_id)
    if not can_transition(order.status, "paid"):
        transition(order, "paid")  # raises IllegalTransition with the allowed moves
    reservations = open_reservations(session, order_id)
    if not reservations:
        raise Conflict(f"order {order_id} holds no stock (its reservation expired)")
    consume_all(session, reservations, at=at)
    _change_status(session, order, "paid", at, "order.paid")
    order.paid_at = at
    session.flush()
    return order


def close_expired(session_factory: sessionmaker[Session], *, now: datetime) -> list[int]:
    """Release every expired reservation and close the unpaid orders that held them; returns the
    closed orders' ids. Safe to run concurrently with payments and with itself."""
    with write_session(session_factory) as session:
        released = expire_reservations(session, now)
        closed: list[Order] = []
        for order_id in sorted({r.order_id for r in released}):
            order = session.get_one(Order, order_id)
            if order.status == "pending_payment" and not open_reservations(session, order_id):
                _change_status(session, order, "closed", now, "order.closed")
                closed.append(order)
        # points spent on them come back, accounts locked in customer order (loyalty's rule)
        for order in sorted(closed, key=lambda o: (o.customer_id, o.id)):
            if order.points_spent:
                return_points_in(
                    session,
                    order.customer_id,
                    order.points_spent,
                    order_id=order.id,
                    dedupe_key=f"close:order:{order.id}",
                    at=now,
                )
        return [order.id for order in closed]


__all__ = [
    "DEFAULT_RESERVATION_TTL",
    "CheckoutLine",
    "CheckoutResult",
    "IdempotencyKeyReused",
    "OfferUsedUp",
    "PriceChanged",
    "checkout",
    "close_expired",
    "mark_paid",
    "mark_paid_in",
]

"""Payments: what an order owes now, payment intents, and the gateway's signed callbacks.

``handle_callback(session_factory, body, signature)``:

1. the signature is checked first, in constant time (``gateway.verify``); an unsigned or
   tampered callback raises ``InvalidSignature`` and nothing is read or written;
2. one write transaction (``locks.write_session``): the ``payments`` row is inserted first, and
   its ``gateway_transaction_id`` is unique — a replayed callback finds the row (or, racing, waits
   on the unique index and then finds it) and returns the same result without a second payment,
   ledger movement or event;
3. a successful ``full`` or ``balance`` payment goes through ``checkout.mark_paid_in`` — the same
   path as ``mark_paid``: reservations consumed (``sale`` ledger rows), ``paid``, ``order.paid``;
   a ``deposit`` moves a presale order to ``deposit_paid`` (``orders.deposits``); a ``failed``
   callback records a failed payment and changes nothing else.

Any refusal (wrong amount, wrong kind for the order, order closed or already paid, balance outside
its window) raises and rolls the whole callback back, payment row included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import utcnow
from storeloop.errors import Conflict, FieldError, InvalidInput, StoreError
from storeloop.inventory.locks import write_session
from storeloop.orders.checkout import mark_paid_in
from storeloop.orders.deposits import check_balance_window, pay_deposit_in
from storeloop.orders.gateway import PaymentGateway, PaymentIntent, PaymentKind, verify
from storeloop.orders.models import PAYMENT_KINDS, Order, Payment
from storeloop.settings import get_settings


class InvalidSignature(StoreError):
    """The callback is unsigned or its signature does not match its body."""

    def __init__(self) -> None:
        super().__init__("payment callback rejected: missing or invalid HMAC-SHA256 signature")


@dataclass(frozen=True, slots=True)
class PaymentResult:
    payment_id: int
    order_id: int
    kind: str
    status: str  # the payment's: succeeded or failed
    amount: int
    transaction_id: str
    replayed: bool  # True: this transaction id was handled before; nothing changed now


def amount_due(session: Session, order: Order, kind: PaymentKind) -> int:
    """What ``order`` owes now as a ``kind`` payment; Conflict when that kind is not due."""
    if kind == "full" and order.status == "pending_payment" and not order.is_presale:
        return order.total_amount
    if kind == "deposit" and order.status == "pending_payment" and order.is_presale:
        return order.deposit_amount
    if kind == "balance" and order.status == "deposit_paid":
        paid = session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.order_id == order.id,
                Payment.kind == "deposit",
                Payment.status == "succeeded",
            )
        )
        return order.total_amount - int(paid or 0)
    raise Conflict(
        f"order {order.id} ({order.status}, {'presale' if order.is_presale else 'not presale'}) "
        f"owes no {kind} payment",
        field="kind",
    )


def create_payment_intent(
    session_factory: sessionmaker[Session],
    gateway: PaymentGateway,
    order_id: int,
    kind: PaymentKind,
) -> PaymentIntent:
    """Ask ``gateway`` to collect what ``order_id`` owes now as a ``kind`` payment."""
    with session_factory() as session:
        order = session.get_one(Order, order_id)
        amount = amount_due(session, order, kind)
        return gateway.create_intent(order.id, amount, kind, order.currency)


def handle_callback(
    session_factory: sessionmaker[Session],
    body: bytes,
    signature: str | None,
    *,
    at: datetime | None = None,
    secret: str | None = None,
) -> PaymentResult:
    """Apply one gateway callback, exactly once per transaction id (see the module docstring)."""
    if not verify(body, signature, secret if secret is not None else get_settings().payment_secret):
        raise InvalidSignature()
    callback = _parse(body)
    at = at or utcnow()
    try:
        with write_session(session_factory) as session:
            done = _replay(session, callback["transaction_id"])
            if done is not None:
                return done
            return _apply(session, callback, at)
    except IntegrityError:
        # a racing replay of this transaction committed first: return what it did
        with session_factory() as session:
            done = _replay(session, callback["transaction_id"])
        if done is None:
            raise
        return done


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput([FieldError("body", f"not JSON: {exc}")]) from exc
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("body", "must be a JSON object")])
    errors = [
        FieldError(name, f"must be {kind.__name__}")
        for name, kind in (
            ("transaction_id", str),
            ("order_id", int),
            ("kind", str),
            ("amount", int),
            ("currency", str),
            ("status", str),
        )
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool)
    ]
    if not errors and data["kind"] not in PAYMENT_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(PAYMENT_KINDS)}"))
    if not errors and data["amount"] < 0:
        errors.append(FieldError("amount", "must not be negative"))
    if not errors and data["status"] not in ("succeeded", "failed"):
        errors.append(FieldError("status", "must be succeeded or failed"))
    if errors:
        raise InvalidInput(errors)
    return data


def _result(payment: Payment, replayed: bool) -> PaymentResult:
    return PaymentResult(
        payment.id,
        payment.order_id,
        payment.kind,
        payment.status,
        payment.amount,
        payment.gateway_transaction_id or "",
        replayed,
    )


def _replay(session: Session, transaction_id: str) -> PaymentResult | None:
    payment = session.scalar(
        select(Payment).where(Payment.gateway_transaction_id == transaction_id)
    )
    return None if payment is None else _result(payment, True)


def _apply(session: Session, callback: dict[str, Any], at: datetime) -> PaymentResult:
    order = session.get(Order, callback["order_id"])
    if order is None:
        raise Conflict(f"payment callback names unknown order {callback['order_id']}")
    kind: PaymentKind = callback["kind"]
    succeeded = callback["status"] == "succeeded"
    payment = Payment(
        order_id=order.id,
        kind=kind,
        status=callback["status"],
        amount=callback["amount"],
        currency=callback["currency"],
        method="gateway",
        created_at=at,
        paid_at=at if succeeded else None,
        gateway_transaction_id=callback["transaction_id"],
    )
    session.add(payment)
    session.flush()  # PostgreSQL: a racing replay of this transaction id waits here
    if not succeeded:
        return _result(payment, False)
    due = amount_due(session, order, kind)
    if callback["amount"] != due or callback["currency"] != order.currency:
        raise Conflict(
            f"order {order.id} owes {due} {order.currency} as its {kind} payment, "
            f"not {callback['amount']} {callback['currency']}",
            field="amount",
        )
    if kind == "deposit":
        pay_deposit_in(session, order, at=at)
    else:
        if kind == "balance":
            check_balance_window(order, at)
        mark_paid_in(session, order.id, at=at)
    session.flush()
    return _result(payment, False)


__all__ = [
    "InvalidSignature",
    "PaymentResult",
    "amount_due",
    "create_payment_intent",
    "handle_callback",
]

"""Payment callbacks from the simulated gateway: signed ones pay (through mark_paid's path),
unsigned and tampered ones change nothing, replays are idempotent even when raced."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.errors import Conflict, InvalidInput
from storeloop.inventory.models import StockLevel, StockMovement
from storeloop.orders.checkout import CheckoutLine, checkout
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.gateway import SimulatedGateway, canonical_body, sign, verify
from storeloop.orders.models import Order, Payment
from storeloop.orders.payments import (
    InvalidSignature,
    PaymentResult,
    create_payment_intent,
    handle_callback,
)
from storeloop.settings import Settings
from tests.orders.checkout_store import (
    AT,
    LIST_PRICE,
    assert_stock_invariants,
    race,
    seed,
    wide_factory,
)

SECRET = "test-secret"
PAY_AT = AT + timedelta(minutes=5)


def _order(factory: sessionmaker[Session], quantity: int = 2) -> int:
    store = seed(factory, stock=10)
    result = checkout(
        factory, store.customers[0], [CheckoutLine(store.sku, quantity)], idempotency_key="k", at=AT
    )
    return result.order.id


def _snapshot(factory: sessionmaker[Session]) -> tuple[object, ...]:
    with factory() as session:
        return (
            session.scalar(select(Order.status)),
            session.scalar(select(func.count()).select_from(Payment)),
            session.scalar(select(func.count()).select_from(StockMovement)),
            session.scalar(select(func.count()).select_from(OutboxEvent)),
            session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one(),
        )


def test_settings_payment_secret_has_dev_default_and_env_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().payment_secret
    monkeypatch.setenv("STORELOOP_PAYMENT_SECRET", "from-env")
    assert Settings().payment_secret == "from-env"


def test_signature_is_hmac_sha256_of_the_canonical_body() -> None:
    body = canonical_body({"b": 1, "a": "x"})
    assert body == b'{"a":"x","b":1}'
    assert verify(body, sign(body, SECRET), SECRET)
    assert not verify(body, sign(body, "other"), SECRET)
    assert not verify(body, "", SECRET)
    assert not verify(body, None, SECRET)


def test_signed_callback_pays_the_order_and_consumes_stock(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _order(session_factory)
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(session_factory, gateway, order_id, "full")
    assert intent.amount == 2 * LIST_PRICE
    body, signature = gateway.callback(intent, transaction_id="tx-1")
    result = handle_callback(session_factory, body, signature, at=PAY_AT, secret=SECRET)
    assert result == PaymentResult(
        result.payment_id, order_id, "full", "succeeded", 2 * LIST_PRICE, "tx-1", False
    )
    with session_factory() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "paid" and order.paid_at == PAY_AT
        assert session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one() == (8, 0)
        sale = session.scalars(select(StockMovement).where(StockMovement.reason == "sale")).one()
        assert sale.quantity == -2 and sale.ref_id == order_id
        (paid,) = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "order.paid"))
        assert paid.payload["order_id"] == order_id
        payment = session.scalars(select(Payment)).one()
        assert payment.gateway_transaction_id == "tx-1" and payment.status == "succeeded"
    assert_stock_invariants(session_factory)


def test_unsigned_and_tampered_callbacks_are_rejected_and_change_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _order(session_factory)
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(session_factory, gateway, order_id, "full")
    body, signature = gateway.callback(intent)
    before = _snapshot(session_factory)
    tampered = json.loads(body)
    tampered["amount"] = 1
    attempts = [
        (body, None),
        (body, ""),
        (canonical_body(tampered), signature),  # body changed, old signature
        (body, sign(body, "not-the-secret")),  # signed with another key
        (body, signature[:-1] + ("0" if signature[-1] != "0" else "1")),
    ]
    for attempt_body, attempt_signature in attempts:
        with pytest.raises(InvalidSignature, match="invalid HMAC-SHA256 signature"):
            handle_callback(session_factory, attempt_body, attempt_signature, secret=SECRET)
    assert _snapshot(session_factory) == before
    assert before[0] == "pending_payment"
    assert_stock_invariants(session_factory)


def test_signed_callback_with_the_wrong_amount_is_refused_and_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _order(session_factory)
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(session_factory, gateway, order_id, "full")
    cheap = type(intent)(intent.intent_id, order_id, "full", 1, intent.currency)
    before = _snapshot(session_factory)
    with pytest.raises(Conflict, match="owes"):
        handle_callback(session_factory, *gateway.callback(cheap), at=PAY_AT, secret=SECRET)
    assert _snapshot(session_factory) == before


def test_failed_callback_records_a_failed_payment_and_leaves_the_order_unpaid(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _order(session_factory)
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(session_factory, gateway, order_id, "full")
    result = handle_callback(
        session_factory, *gateway.callback(intent, "failed"), at=PAY_AT, secret=SECRET
    )
    assert result.status == "failed"
    status, payments, movements, _, level = _snapshot(session_factory)
    assert (status, payments, movements, level) == ("pending_payment", 1, 1, (10, 2))
    assert_stock_invariants(session_factory)


def test_replayed_callback_is_idempotent(session_factory: sessionmaker[Session]) -> None:
    order_id = _order(session_factory)
    gateway = SimulatedGateway(SECRET)
    intent = create_payment_intent(session_factory, gateway, order_id, "full")
    body, signature = gateway.callback(intent)
    first = handle_callback(session_factory, body, signature, at=PAY_AT, secret=SECRET)
    after_first = _snapshot(session_factory)
    again = handle_callback(session_factory, body, signature, at=PAY_AT, secret=SECRET)
    assert again.replayed and not first.replayed
    assert again == PaymentResult(**{**_fields(first), "replayed": True})
    assert _snapshot(session_factory) == after_first


def _fields(result: PaymentResult) -> dict[str, object]:
    return {name: getattr(result, name) for name in PaymentResult.__slots__}


def test_ten_concurrent_replays_make_one_payment_and_one_ledger_movement(engine: Engine) -> None:
    with wide_factory(engine) as factory:
        order_id = _order(factory)
        gateway = SimulatedGateway(SECRET)
        intent = create_payment_intent(factory, gateway, order_id, "full")
        body, signature = gateway.callback(intent)
        results = race(
            10, lambda _: handle_callback(factory, body, signature, at=PAY_AT, secret=SECRET)
        )
        assert all(isinstance(r, PaymentResult) for r in results), results
        assert len({r.payment_id for r in results if isinstance(r, PaymentResult)}) == 1
        assert sum(not r.replayed for r in results if isinstance(r, PaymentResult)) == 1
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Payment)) == 1
            sales = session.scalar(select(func.count()).where(StockMovement.reason == "sale"))
            assert sales == 1
            paid = session.scalar(select(func.count()).where(OutboxEvent.topic == "order.paid"))
            assert paid == 1
            assert session.get_one(Order, order_id).status == "paid"
        assert_stock_invariants(factory)


def test_signed_but_malformed_callback_is_invalid_input_and_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    order_id = _order(session_factory)
    before = _snapshot(session_factory)
    bad_bodies = [
        b"not json",
        canonical_body({"transaction_id": "t", "order_id": order_id}),
        canonical_body(
            {
                "transaction_id": "t",
                "order_id": order_id,
                "kind": "full",
                "amount": -1,
                "currency": "CNY",
                "status": "succeeded",
            }
        ),
    ]
    for body in bad_bodies:
        with pytest.raises(InvalidInput):
            handle_callback(session_factory, body, sign(body, SECRET), secret=SECRET)
    assert _snapshot(session_factory) == before

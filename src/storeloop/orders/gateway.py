"""The payment gateway interface and the built-in simulated gateway.

A gateway takes a *payment intent* (an order, an amount, a kind: ``full``, ``deposit`` or
``balance``) and later calls back with the outcome. A callback is a body of canonical JSON
(``canonical_body``: sorted keys, no spaces, UTF-8) and a signature: the lowercase hex
HMAC-SHA256 of exactly those bytes under the shared secret (``Settings.payment_secret``,
``STORELOOP_PAYMENT_SECRET``). ``orders.payments.handle_callback`` verifies it with a
constant-time compare before reading anything.

``SimulatedGateway`` is the built-in one (development, tests, benchmarks): it never moves money,
it just signs the callback a real gateway would send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from storeloop.settings import get_settings

PaymentKind = Literal["full", "deposit", "balance"]
CallbackStatus = Literal["succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    intent_id: str
    order_id: int
    kind: PaymentKind
    amount: int  # minor units
    currency: str


class PaymentGateway(Protocol):
    def create_intent(
        self, order_id: int, amount: int, kind: PaymentKind, currency: str
    ) -> PaymentIntent: ...


def canonical_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str | None, secret: str) -> bool:
    """True when ``signature`` is the HMAC of ``body``; compared in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), signature.strip().lower().encode())


class SimulatedGateway:
    """Creates intents and produces the signed callbacks a real gateway would post."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret if secret is not None else get_settings().payment_secret

    def create_intent(
        self, order_id: int, amount: int, kind: PaymentKind, currency: str
    ) -> PaymentIntent:
        return PaymentIntent(f"pi_{uuid.uuid4().hex}", order_id, kind, amount, currency)

    def callback(
        self,
        intent: PaymentIntent,
        status: CallbackStatus = "succeeded",
        *,
        transaction_id: str | None = None,
    ) -> tuple[bytes, str]:
        """The (body, signature) the gateway posts when ``intent`` is settled."""
        body = canonical_body(
            {
                "transaction_id": transaction_id or f"tx_{uuid.uuid4().hex}",
                "intent_id": intent.intent_id,
                "order_id": intent.order_id,
                "kind": intent.kind,
                "amount": intent.amount,
                "currency": intent.currency,
                "status": status,
            }
        )
        return body, sign(body, self.secret)


__all__ = [
    "CallbackStatus",
    "PaymentGateway",
    "PaymentIntent",
    "PaymentKind",
    "SimulatedGateway",
    "canonical_body",
    "sign",
    "verify",
]

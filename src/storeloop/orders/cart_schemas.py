"""Storefront request and response bodies: the cart, checkout, payments and my orders.

The priced cart is the engine's answer (``pricing.result.PricedCart``) cut to what a shopper
may see: lines, the discounts with the offer and rule behind each, totals, which coupon codes
apply and why not, and the nudges ("add ¥12 more for …"). Costs and margin flags stay admin-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from storeloop.orders.carts import (
    MAX_COUPONS,
    MAX_LINES,
    MAX_QUANTITY,
    CartPricing,
    CustomerOrder,
)
from storeloop.orders.gateway import PaymentIntent
from storeloop.orders.payments import PaymentResult
from storeloop.orders.schemas import (
    OrderRead,
    OrderStatus,
    PaymentRead,
    ReturnRead,
    ShipmentRead,
)
from storeloop.schemas import Amount, Id, PageParams, ReadModel, UtcDatetime, WriteModel, text

CouponCodeText = Annotated[str, text(64, min_length=1)]
PaymentKindName = Literal["full", "deposit", "balance"]

# Requests


class LineQuantity(WriteModel):
    quantity: int = Field(
        strict=True, ge=0, le=MAX_QUANTITY, description="units wanted; 0 removes the line"
    )


class CouponCodes(WriteModel):
    codes: list[CouponCodeText] = Field(max_length=MAX_COUPONS)


class CheckoutLineIn(WriteModel):
    sku_id: Id
    quantity: int = Field(strict=True, ge=1, le=MAX_QUANTITY)


class CheckoutRequest(WriteModel):
    """Either ``lines`` or ``from_cart: true`` (the signed-in customer's cart)."""

    lines: list[CheckoutLineIn] | None = Field(None, min_length=1, max_length=MAX_LINES)
    from_cart: bool = False
    coupon_codes: list[CouponCodeText] | None = Field(
        None, max_length=MAX_COUPONS, description="default: the cart's codes (from_cart), or none"
    )
    expected_total: Amount | None = Field(
        None, description="the total the shopper was shown; refused (409) if the price moved"
    )
    ship_province: Annotated[str, text(32, min_length=1)]
    points: int = Field(0, strict=True, ge=0, le=10**12, description="loyalty points to spend")


class PaymentStart(WriteModel):
    kind: PaymentKindName | None = Field(
        None, description="default: what the order owes next (full, deposit, then balance)"
    )


class MyOrderFilter(PageParams):
    status: OrderStatus | None = None
    placed_from: UtcDatetime | None = None  # inclusive
    placed_to: UtcDatetime | None = None  # exclusive


# The priced cart


class DiscountRead(BaseModel):
    offer: str = Field(description="the offer that gave it")
    kind: str
    level: str
    rule: str = Field(description="the rule, in words: why this amount")
    amount: int = Field(description="minor units")


class CartLineRead(BaseModel):
    sku_id: int
    sku: str = Field(description="the SKU's code")
    name: str
    quantity: int
    unit_price: int = Field(description="list price, minor units")
    list_amount: int
    discounts: list[DiscountRead] = Field(description="this line's share of each discount")
    final_amount: int = Field(description="what the line costs after its discounts")


class GiftRead(BaseModel):
    sku: str
    quantity: int
    offer: str
    value: int = Field(description="list value of the free units, minor units")


class AppliedRead(BaseModel):
    offer: str
    kind: str
    level: str
    rule: str
    amount: int
    code: str | None = None


class CouponStatus(BaseModel):
    code: str
    applied: bool
    reason: str | None = Field(None, description="why not, e.g. code_used_up, min_spend")
    detail: str | None = None


class NudgeRead(BaseModel):
    offer: str
    kind: str
    add_amount: int = Field(description="spend this much more (minor units) …")
    add_units: int = Field(description="… or add this many units …")
    sku: str | None
    unlocks: int = Field(description="… to save this much more")
    message_en: str
    message_zh: str


class CartTotals(BaseModel):
    goods: int = 0
    item_discount: int = 0
    shop_discount: int = 0
    coupon_discount: int = 0
    deposit_inflation: int = 0
    discount: int = 0
    shipping_fee: int = 0
    shipping_discount: int = 0
    shipping: int = 0
    total: int = Field(0, description="send as expected_total at checkout")
    gift_value: int = 0
    deposit_due: int = 0
    balance_later: int = 0
    to_pay: int = 0


class CartRead(BaseModel):
    cart_token: str | None = Field(
        description="anonymous carts: send it back in X-Cart-Token (also in that response header)"
    )
    id: int | None = Field(description="null: no cart yet")
    customer_id: int | None
    currency: str
    priced_at: datetime
    lines: list[CartLineRead]
    gifts: list[GiftRead]
    applied: list[AppliedRead] = Field(description="every discount, with its offer and rule")
    coupons: list[CouponStatus]
    totals: CartTotals
    nudges: list[NudgeRead]

    @classmethod
    def of(cls, pricing: CartPricing, token: str | None, currency: str, at: datetime) -> CartRead:
        cart, priced = pricing.cart, pricing.priced
        codes = list(cart.coupon_codes) if cart is not None else []
        base: dict[str, Any] = {
            "cart_token": token,
            "id": cart.id if cart is not None else None,
            "customer_id": cart.customer_id if cart is not None else None,
            "currency": currency,
            "priced_at": at,
        }
        if priced is None:
            empty = [CouponStatus(code=c, applied=False, reason="empty_cart") for c in codes]
            return cls(
                **base,
                lines=[],
                gifts=[],
                applied=[],
                coupons=empty,
                totals=CartTotals(),
                nudges=[],
            )
        data = priced.to_json()
        by_code = {line["sku"]: line for line in data["lines"]}
        lines = [
            CartLineRead.model_validate(
                {
                    **by_code[pricing.skus[line.sku_id].code],
                    "sku_id": line.sku_id,
                    "name": pricing.skus[line.sku_id].name,
                }
            )
            for line in cart.lines  # type: ignore[union-attr]
        ]
        applied = {a["code"] for a in data["applied"] if a.get("code")}
        why = {r["code"]: r for r in data["rejected"] if r.get("code")}
        coupons = [
            CouponStatus(
                code=code,
                applied=code in applied,
                reason=None if code in applied else why.get(code, {}).get("reason", "not_applied"),
                detail=None if code in applied else why.get(code, {}).get("detail"),
            )
            for code in codes
        ]
        return cls(
            **base | {"currency": data["currency"]},
            lines=lines,
            gifts=[GiftRead.model_validate(g) for g in data["gifts"]],
            applied=[AppliedRead.model_validate(a) for a in data["applied"]],
            coupons=coupons,
            totals=CartTotals.model_validate(data["totals"]),
            nudges=[NudgeRead.model_validate(n) for n in data["nudges"]],
        )


# Orders


class ReservedRead(BaseModel):
    warehouse_id: int
    quantity: int
    expires_at: datetime


class MyOrderLine(ReadModel):
    id: int
    sku_id: int
    quantity: int
    unit_price: int = Field(description="list price at order time, minor units")
    discount_amount: int = Field(
        description="the engine's allocation of every discount (and points) to this line"
    )
    points_amount: int = Field(0, description="part of discount_amount paid with points")
    line_total: int
    reserved: list[ReservedRead] = Field(
        default_factory=list, description="units held for this line until paid, per warehouse"
    )


class NextPayment(BaseModel):
    kind: PaymentKindName
    amount: int


class MyOrder(OrderRead):
    """An order as its customer sees it."""

    points_spent: int = 0
    points_amount: int = 0
    deposit_amount: int
    balance_starts_at: datetime | None
    balance_ends_at: datetime | None
    reservation_expires_at: datetime | None = Field(
        description="unpaid: when the held stock is released and the order closes"
    )
    next_payment: NextPayment | None = Field(description="what POST …/payments would charge now")
    lines: list[MyOrderLine]
    payments: list[PaymentRead]
    shipments: list[ShipmentRead]
    returns: list[ReturnRead]

    @classmethod
    def of(cls, view: CustomerOrder) -> MyOrder:
        order = view.history.order
        held: dict[int, list[ReservedRead]] = {}
        for r in view.reservations:
            held.setdefault(r.sku_id, []).append(
                ReservedRead(
                    warehouse_id=r.warehouse_id, quantity=r.quantity, expires_at=r.expires_at
                )
            )
        lines = []
        taken: set[int] = set()
        for line in order.lines:
            # a SKU's reservation belongs to its first line (a gift line may repeat a SKU)
            reserved = held.get(line.sku_id, []) if line.sku_id not in taken else []
            taken.add(line.sku_id)
            lines.append(MyOrderLine.model_validate(line).model_copy(update={"reserved": reserved}))
        expiry = min((r.expires_at for r in view.reservations), default=None)
        due = view.next_payment
        return cls.model_validate(
            {
                **OrderRead.model_validate(order).model_dump(),
                "points_spent": order.points_spent,
                "points_amount": order.points_amount,
                "deposit_amount": order.deposit_amount,
                "balance_starts_at": order.balance_starts_at,
                "balance_ends_at": order.balance_ends_at,
                "reservation_expires_at": expiry if order.status == "pending_payment" else None,
                "next_payment": None if due is None else {"kind": due[0], "amount": due[1]},
                "lines": lines,
                "payments": order.payments,
                "shipments": order.shipments,
                "returns": view.history.returns,
            }
        )


class PaymentIntentRead(BaseModel):
    """What the gateway needs to collect the payment; it calls back when it is settled."""

    intent_id: str
    order_id: int
    kind: PaymentKindName
    amount: int = Field(description="minor units")
    currency: str
    callback_url: str = Field(description="where the gateway posts the signed outcome")

    @classmethod
    def of(cls, intent: PaymentIntent, callback_url: str) -> PaymentIntentRead:
        return cls(
            intent_id=intent.intent_id,
            order_id=intent.order_id,
            kind=intent.kind,
            amount=intent.amount,
            currency=intent.currency,
            callback_url=callback_url,
        )


class PaymentResultRead(BaseModel):
    payment_id: int
    order_id: int
    kind: str
    status: str = Field(description="the payment's: succeeded or failed")
    amount: int
    transaction_id: str
    replayed: bool = Field(description="this transaction was handled before; nothing changed")

    @classmethod
    def of(cls, result: PaymentResult) -> PaymentResultRead:
        return cls(
            payment_id=result.payment_id,
            order_id=result.order_id,
            kind=result.kind,
            status=result.status,
            amount=result.amount,
            transaction_id=result.transaction_id,
            replayed=result.replayed,
        )


class CancelledRead(BaseModel):
    order: MyOrder
    refunded: int = Field(description="money refunded, minor units (0 if nothing was paid)")
    points_returned: int

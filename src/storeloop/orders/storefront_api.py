"""Storefront endpoints: the cart, checkout, paying, and the customer's own orders.

Thin: the use cases are ``orders.carts`` (which owns the transactions) and
``orders.payments``. Who is calling comes from ``web.deps.get_shopper``: a customer token
(``Authorization: Bearer sc_…``) or nobody; the cart of an anonymous visitor is found by the
``X-Cart-Token`` header. The payment callback is the one endpoint with no caller at all: the
gateway's HMAC signature is its credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from storeloop.db import utcnow
from storeloop.errors import InvalidInput
from storeloop.orders import carts, fulfilment, payments
from storeloop.orders.cart_models import Cart
from storeloop.orders.cart_schemas import (
    CancelledRead,
    CartRead,
    CheckoutRequest,
    CouponCodes,
    LineQuantity,
    MyOrder,
    MyOrderFilter,
    PaymentIntentRead,
    PaymentResultRead,
    PaymentStart,
)
from storeloop.orders.checkout import CheckoutLine, IdempotencyKeyReused
from storeloop.orders.gateway import PaymentGateway, SimulatedGateway
from storeloop.orders.schemas import OrderFilter, OrderRead
from storeloop.schemas import Page
from storeloop.settings import get_settings
from storeloop.web.deps import (
    CustomerIdDep,
    IdPath,
    SessionDep,
    SessionFactoryDep,
    ShopperDep,
)
from storeloop.web.errors import ErrorDetail, error_response
from storeloop.web.pagination import paginate

router = APIRouter()

CART_TOKEN_HEADER = "X-Cart-Token"
SIGNATURE_HEADER = "X-Payment-Signature"
CALLBACK_PATH = "/payments/callback"
MAX_CALLBACK_BYTES = 16_384

CartToken = Annotated[
    str | None,
    Header(
        alias=CART_TOKEN_HEADER,
        max_length=128,
        description="an anonymous visitor's cart token (ignored for a signed-in customer)",
    ),
]
IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="one per order attempt (a UUID); a retry with the same key and body returns "
        "the same order",
    ),
]


def get_now() -> datetime:
    """The request's clock; tests and demos may override it (``app.dependency_overrides``)."""
    return utcnow()


def get_gateway(request: Request) -> PaymentGateway:
    """``app.state.payment_gateway`` when set, else the built-in simulated gateway."""
    gateway: PaymentGateway | None = getattr(request.app.state, "payment_gateway", None)
    return gateway if gateway is not None else SimulatedGateway()


NowDep = Annotated[datetime, Depends(get_now)]
GatewayDep = Annotated[PaymentGateway, Depends(get_gateway)]


def _owner(shopper_id: int | None, token: str | None) -> carts.CartOwner:
    return carts.CartOwner(shopper_id, None if shopper_id is not None else token)


def _cart_view(
    session: Session,
    response: Response,
    cart: Cart | None,
    customer_id: int | None,
    token: str | None,
    at: datetime,
) -> CartRead:
    """The priced cart; an anonymous cart's token goes in the body and the response header."""
    token = token if customer_id is None and cart is not None else None
    if token is not None:
        response.headers[CART_TOKEN_HEADER] = token
    pricing = carts.price_cart(session, cart, customer_id, at=at)
    return CartRead.of(pricing, token, get_settings().currency, at)


def _in_path(exc: InvalidInput, *names: str) -> RequestValidationError | InvalidInput:
    """A service names ``sku_id``; the client sent it in the path."""
    if not all(e.field in names for e in exc.errors):
        return exc
    return RequestValidationError(
        [{"loc": ("path", e.field), "msg": e.message, "type": "value_error"} for e in exc.errors]
    )


# Cart


@router.get("/cart", tags=["cart"], summary="The cart, priced now")
def get_cart(
    session: SessionDep,
    response: Response,
    shopper: ShopperDep,
    now: NowDep,
    cart_token: CartToken = None,
) -> CartRead:
    owner = _owner(shopper.customer_id, cart_token)
    cart = carts.find_cart(session, owner)
    return _cart_view(session, response, cart, shopper.customer_id, owner.token, now)


def _edited(
    session: Session,
    response: Response,
    edit: carts.CartEdit,
    customer_id: int | None,
    at: datetime,
) -> CartRead:
    cart = session.get(Cart, edit.cart_id) if edit.cart_id is not None else None
    return _cart_view(session, response, cart, customer_id, edit.token, at)


@router.put(
    "/cart/lines/{sku_id}",
    tags=["cart"],
    summary="Set how many units of a SKU the cart holds (0 removes it)",
)
def set_cart_line(
    session: SessionDep,
    factory: SessionFactoryDep,
    response: Response,
    shopper: ShopperDep,
    sku_id: IdPath,
    body: LineQuantity,
    now: NowDep,
    cart_token: CartToken = None,
) -> CartRead:
    owner = _owner(shopper.customer_id, cart_token)
    try:
        edit = carts.set_line(factory, owner, sku_id, body.quantity, at=now)
    except InvalidInput as exc:
        raise _in_path(exc, "sku_id") from exc
    return _edited(session, response, edit, shopper.customer_id, now)


@router.delete("/cart/lines/{sku_id}", tags=["cart"], summary="Remove a SKU from the cart")
def delete_cart_line(
    session: SessionDep,
    factory: SessionFactoryDep,
    response: Response,
    shopper: ShopperDep,
    sku_id: IdPath,
    now: NowDep,
    cart_token: CartToken = None,
) -> CartRead:
    edit = carts.set_line(factory, _owner(shopper.customer_id, cart_token), sku_id, 0, at=now)
    return _edited(session, response, edit, shopper.customer_id, now)


@router.put("/cart/coupons", tags=["cart"], summary="Replace the cart's coupon codes")
def set_cart_coupons(
    session: SessionDep,
    factory: SessionFactoryDep,
    response: Response,
    shopper: ShopperDep,
    body: CouponCodes,
    now: NowDep,
    cart_token: CartToken = None,
) -> CartRead:
    owner = _owner(shopper.customer_id, cart_token)
    edit = carts.set_coupons(factory, owner, body.codes, at=now)
    return _edited(session, response, edit, shopper.customer_id, now)


# Checkout


@router.post(
    "/checkout",
    tags=["checkout"],
    status_code=201,
    response_model=MyOrder,
    summary="Place an order from lines or from the cart (idempotent per Idempotency-Key)",
    responses={200: {"model": MyOrder, "description": "a replay: the order this key placed"}},
)
def place_order(
    factory: SessionFactoryDep,
    response: Response,
    customer_id: CustomerIdDep,
    body: CheckoutRequest,
    idempotency_key: IdempotencyKeyHeader,
    now: NowDep,
) -> Any:
    request = carts.OrderRequest(
        lines=[CheckoutLine(line.sku_id, line.quantity) for line in body.lines or ()],
        from_cart=body.from_cart,
        coupon_codes=body.coupon_codes,
        expected_total=body.expected_total,
        ship_province=body.ship_province,
        points=body.points,
    )
    try:
        result = carts.place_order(
            factory, customer_id, request, idempotency_key=idempotency_key, at=now
        )
    except IdempotencyKeyReused:
        message = "this Idempotency-Key was already used for a different request"
        return error_response(
            409, message, [ErrorDetail(field="header.Idempotency-Key", message=message)]
        )
    if result.replayed:
        response.status_code = 200
    with factory() as session:
        return MyOrder.of(carts.customer_order(session, customer_id, result.order.id))


# Paying


@router.post(
    "/orders/{order_id}/payments",
    tags=["payments"],
    status_code=201,
    summary="Start paying one of my orders: what the payment gateway needs",
)
def start_payment(
    request: Request,
    factory: SessionFactoryDep,
    customer_id: CustomerIdDep,
    gateway: GatewayDep,
    order_id: IdPath,
    body: Annotated[PaymentStart | None, Body()] = None,
) -> PaymentIntentRead:
    kind = body.kind if body is not None else None
    intent = carts.start_payment(factory, gateway, customer_id, order_id, kind)
    return PaymentIntentRead.of(intent, str(request.url_for("payment_callback")))


@router.post(
    CALLBACK_PATH,
    tags=["payments"],
    name="payment_callback",
    response_model=PaymentResultRead,
    summary="The payment gateway's signed callback (no token: the signature is checked)",
    openapi_extra={
        "parameters": [
            {
                "name": SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "lowercase hex HMAC-SHA256 of the raw body",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": [
                            "transaction_id",
                            "order_id",
                            "kind",
                            "amount",
                            "currency",
                            "status",
                        ],
                        "properties": {
                            "transaction_id": {"type": "string"},
                            "intent_id": {"type": "string"},
                            "order_id": {"type": "integer"},
                            "kind": {"type": "string", "enum": ["full", "deposit", "balance"]},
                            "amount": {"type": "integer"},
                            "currency": {"type": "string"},
                            "status": {"type": "string", "enum": ["succeeded", "failed"]},
                        },
                    }
                }
            },
        },
    },
)
async def payment_callback(request: Request, now: NowDep) -> Any:
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        return error_response(413, f"a callback body is at most {MAX_CALLBACK_BYTES} bytes")
    signature = request.headers.get(SIGNATURE_HEADER)
    result = await run_in_threadpool(
        payments.handle_callback, request.app.state.session_factory, body, signature, at=now
    )
    return PaymentResultRead.of(result)


# My orders


@router.get("/me/orders", tags=["my orders"], summary="My orders, newest id last")
def list_my_orders(
    session: SessionDep,
    customer_id: CustomerIdDep,
    filters: Annotated[MyOrderFilter, Query()],
) -> Page[OrderRead]:
    query = carts.customer_order_query(
        customer_id, OrderFilter.model_validate(filters.model_dump(exclude_unset=True))
    )
    return paginate(session, query, filters, OrderRead.model_validate)


@router.get("/me/orders/{order_id}", tags=["my orders"], summary="One of my orders")
def get_my_order(session: SessionDep, customer_id: CustomerIdDep, order_id: IdPath) -> MyOrder:
    return MyOrder.of(carts.customer_order(session, customer_id, order_id))


@router.post(
    "/me/orders/{order_id}/cancel",
    tags=["my orders"],
    summary="Cancel my order: unpaid, or paid and not yet shipped (refunded)",
)
def cancel_my_order(
    factory: SessionFactoryDep, customer_id: CustomerIdDep, order_id: IdPath, now: NowDep
) -> CancelledRead:
    with factory() as session:
        carts.customer_order(session, customer_id, order_id)  # NotFound unless mine
    result = fulfilment.cancel_order(factory, order_id, at=now, reason="cancelled by the customer")
    with factory() as session:
        view = carts.customer_order(session, customer_id, order_id)
    return CancelledRead(
        order=MyOrder.of(view),
        refunded=result.refund.amount if result.refund is not None else 0,
        points_returned=result.points_returned,
    )

"""The storefront's use cases: carts, merging them at sign-in, checking out, paying, my orders.

**Carts.** A cart belongs to a signed-in customer (their one open cart: a partial unique index)
or to an anonymous visitor, who holds its cart token (``ct_`` + 32 random bytes; only the SHA-256
is stored). A cart holds SKUs and quantities, never prices: ``price_cart`` prices it live with
the engine (``pricing.service.preview``), so it cannot show a stale price.

**Writes** are write transactions (``locks.write_session``: SQLite's write lock first). The cart
row is locked (``SELECT … FOR UPDATE`` on PostgreSQL) before its lines are touched, by edits,
merges and checkout alike, so a line added while the cart is being checked out either makes it
into the order or makes the checkout refuse — it is never left behind in an ordered cart.

**Merge at sign-in** (``merge_anonymous_cart``, inside the sign-in transaction): the anonymous
cart is claimed by a guarded ``UPDATE … SET status = 'merged' WHERE status = 'open'``; of two
racing sign-ins with the same cart token exactly one updates the row (PostgreSQL re-checks the
WHERE after waiting on the row lock; SQLite serialises them), and only that one adds its lines
(quantities add) to the customer's open cart.

**Checkout** (``place_order``) is ``orders.checkout.checkout`` — idempotency key, pricing,
reservations, redemption, outbox — with the storefront's inputs. Keys are scoped to the customer
(``c<id>:<key>``), so two shoppers who happen to pick the same key never collide. Checking out
from the cart marks the cart ``ordered`` *in checkout's own transaction*: checkout's
``on_placed`` callback, run after the order is written and before it commits, locks the cart and
checks it still holds what was priced. If it changed meanwhile (or another key already ordered
it) the callback raises and the whole order rolls back.

Nothing here reaches into another domain's tables to change them; the catalogue is read to check
SKUs (as checkout does) and stock is read through ``inventory.reservations``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload, sessionmaker

from storeloop.catalog.models import Product, Sku
from storeloop.errors import Conflict, FieldError, InvalidInput, NotFound, StoreError
from storeloop.inventory.locks import write_session
from storeloop.inventory.reservation_models import StockReservation
from storeloop.inventory.reservations import OutOfStock, open_reservations
from storeloop.orders import payments
from storeloop.orders.cart_models import Cart, CartLine
from storeloop.orders.checkout import CheckoutLine, CheckoutResult, checkout
from storeloop.orders.checkout_models import IdempotencyKey
from storeloop.orders.gateway import PaymentGateway, PaymentIntent, PaymentKind
from storeloop.orders.models import Order
from storeloop.orders.schemas import OrderFilter
from storeloop.orders.service import OrderHistory, get_order_history, order_query
from storeloop.pricing.result import PricedCart
from storeloop.pricing.service import preview
from storeloop.pricing.store_schemas import PreviewCart

CART_TOKEN_PREFIX = "ct_"
MAX_LINES = 100  # distinct SKUs in one cart (a merge may bring it to twice that)
MAX_QUANTITY = 999  # units of one SKU in one cart
MAX_COUPONS = 10
# Engine reasons meaning "this code or offer has been used up", not "does not fit this cart".
USED_UP = frozenset({"code_used_up", "usage_cap", "customer_limit", "budget_spent", "sold_out"})


@dataclass(frozen=True, slots=True)
class CartOwner:
    """Whose cart: a signed-in customer's, else the anonymous visitor's holding ``token``."""

    customer_id: int | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class CartEdit:
    cart_id: int | None  # None: there is no cart (removing from a cart that does not exist)
    token: str | None  # anonymous: the cart's token, new when this edit created the cart


@dataclass(frozen=True, slots=True)
class SkuLabel:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CartPricing:
    """A cart and the engine's answer for it; ``priced`` is None for an empty cart."""

    cart: Cart | None
    skus: dict[int, SkuLabel]
    priced: PricedCart | None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    lines: Sequence[CheckoutLine] = ()  # ignored when from_cart
    from_cart: bool = False
    coupon_codes: Sequence[str] | None = None  # None: the cart's (from_cart) or none
    expected_total: int | None = None
    ship_province: str = ""
    points: int = 0


@dataclass(frozen=True, slots=True)
class CustomerOrder:
    """One of the customer's orders with what the storefront shows beside it."""

    history: OrderHistory
    reservations: list[StockReservation] = field(default_factory=list)  # open ones
    next_payment: tuple[PaymentKind, int] | None = None  # what paying now would charge


class CartChanged(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "the cart changed (or was ordered) while it was being checked out; nothing was "
            "ordered: review the cart and check out again",
            field="from_cart",
        )


def hash_cart_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Reading a cart


def find_cart(session: Session, owner: CartOwner, *, lock: bool = False) -> Cart | None:
    """The owner's open cart, or None. ``lock`` takes its row lock (PostgreSQL) for an edit."""
    stmt = select(Cart).where(Cart.status == "open")
    if owner.customer_id is not None:
        stmt = stmt.where(Cart.customer_id == owner.customer_id)
    elif owner.token:
        stmt = stmt.where(
            Cart.token_hash == hash_cart_token(owner.token), Cart.customer_id.is_(None)
        )
    else:
        return None
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt.execution_options(populate_existing=True))


def price_cart(
    session: Session, cart: Cart | None, customer_id: int | None, *, at: datetime
) -> CartPricing:
    """The cart priced now by the engine, exactly as checkout would price it."""
    lines = list(cart.lines) if cart is not None else []
    skus = _labels(session, [line.sku_id for line in lines])
    if cart is None or not lines:
        return CartPricing(cart, skus, None)
    request = PreviewCart.model_validate(
        {
            "channel": cart.channel,
            "lines": [{"sku_id": line.sku_id, "quantity": line.quantity} for line in lines],
            "coupon_codes": list(cart.coupon_codes),
        }
    )
    return CartPricing(cart, skus, preview(session, request, at=at, customer_id=customer_id).priced)


def _labels(session: Session, sku_ids: Sequence[int]) -> dict[int, SkuLabel]:
    if not sku_ids:
        return {}
    rows = session.execute(select(Sku.id, Sku.code, Sku.name).where(Sku.id.in_(sku_ids)))
    return {id_: SkuLabel(code, name) for id_, code, name in rows}


# Editing a cart


def set_line(
    session_factory: sessionmaker[Session],
    owner: CartOwner,
    sku_id: int,
    quantity: int,
    *,
    at: datetime,
) -> CartEdit:
    """Put ``quantity`` units of ``sku_id`` in the cart (0 removes the line), creating the cart
    if there is none. An unknown or unsold SKU is an ``InvalidInput`` naming ``sku_id``."""
    if not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidInput([FieldError("quantity", f"must be 0 to {MAX_QUANTITY}")])
    with write_session(session_factory) as session:
        if quantity:
            _check_skus(session, [sku_id], lambda _: "sku_id")
        cart, token = _owned_cart(session, owner, at, create=quantity > 0)
        if cart is None:
            return CartEdit(None, None)
        if quantity == 0:
            session.execute(
                delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku_id == sku_id)
            )
        else:
            others = session.scalar(
                select(func.count())
                .select_from(CartLine)
                .where(CartLine.cart_id == cart.id, CartLine.sku_id != sku_id)
            )
            if (others or 0) >= MAX_LINES:
                raise InvalidInput(
                    [FieldError("sku_id", f"a cart holds at most {MAX_LINES} different SKUs")]
                )
            _upsert_line(session, cart.id, sku_id, quantity, at, add=False)
        cart.updated_at = at
        session.flush()
        return CartEdit(cart.id, token)


def set_coupons(
    session_factory: sessionmaker[Session],
    owner: CartOwner,
    codes: Sequence[str],
    *,
    at: datetime,
) -> CartEdit:
    """Replace the cart's coupon codes (the engine says in the priced cart which apply)."""
    wanted = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if len(wanted) > MAX_COUPONS:
        raise InvalidInput([FieldError("codes", f"at most {MAX_COUPONS} codes")])
    with write_session(session_factory) as session:
        cart, token = _owned_cart(session, owner, at, create=bool(wanted))
        if cart is None:
            return CartEdit(None, None)
        cart.coupon_codes = wanted
        cart.updated_at = at
        session.flush()
        return CartEdit(cart.id, token)


def _owned_cart(
    session: Session, owner: CartOwner, at: datetime, *, create: bool
) -> tuple[Cart | None, str | None]:
    """The owner's open cart, locked, created when missing and ``create``; with an anonymous
    owner's token (a new one when the cart was created)."""
    cart = find_cart(session, owner, lock=True)
    if cart is not None or not create:
        return cart, owner.token if cart is not None and owner.customer_id is None else None
    if owner.customer_id is not None:
        return _customer_cart(session, owner.customer_id, at), None
    token = CART_TOKEN_PREFIX + secrets.token_urlsafe(32)
    cart = Cart(
        token_hash=hash_cart_token(token),
        status="open",
        coupon_codes=[],
        created_at=at,
        updated_at=at,
    )
    session.add(cart)
    session.flush()
    return cart, token


def _customer_cart(session: Session, customer_id: int, at: datetime) -> Cart:
    """The customer's open cart, locked; created if there is none. A racing creation is absorbed
    by ``ON CONFLICT DO NOTHING`` on the one-open-cart index, then the winner's row is read."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(Cart)
        .values(
            customer_id=customer_id,
            status="open",
            channel="web",
            coupon_codes=[],
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing(
            index_elements=["customer_id"],
            index_where=text("status = 'open' AND customer_id IS NOT NULL"),
        )
    )
    cart = find_cart(session, CartOwner(customer_id=customer_id), lock=True)
    assert cart is not None  # inserted above, or by the racing transaction that won
    return cart


def _upsert_line(
    session: Session, cart_id: int, sku_id: int, quantity: int, at: datetime, *, add: bool
) -> None:
    """Set (or, with ``add``, add to) a line's quantity in one statement, capped at the most a
    line may hold; the (cart, SKU) unique key makes a racing insert an update instead."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(CartLine).values(
        cart_id=cart_id, sku_id=sku_id, quantity=quantity, added_at=at
    )
    new = insert.excluded.quantity
    if add:
        total = CartLine.quantity + new
        new = case((total > MAX_QUANTITY, MAX_QUANTITY), else_=total)
    session.execute(
        insert.on_conflict_do_update(index_elements=["cart_id", "sku_id"], set_={"quantity": new})
    )


def _check_skus(session: Session, sku_ids: Sequence[int], field_of: Any) -> None:
    """Every SKU exists and is on sale (it and its product active); errors name
    ``field_of(i)`` for the i-th id."""
    rows = session.execute(
        select(Sku.id, Sku.is_active, Product.is_active)
        .join(Product, Sku.product_id == Product.id)
        .where(Sku.id.in_(set(sku_ids)))
    )
    on_sale = {id_: sku_active and product_active for id_, sku_active, product_active in rows}
    errors = [
        FieldError(field_of(i), f"no SKU has id {sku_id}")
        if sku_id not in on_sale
        else FieldError(field_of(i), f"SKU {sku_id} is not on sale")
        for i, sku_id in enumerate(sku_ids)
        if not on_sale.get(sku_id)
    ]
    if errors:
        raise InvalidInput(errors)


# Merging at sign-in


def merge_anonymous_cart(
    session: Session, customer_id: int, cart_token: str, *, now: datetime
) -> int | None:
    """Inside the caller's write transaction (sign-in): move the anonymous cart's lines into
    the customer's open cart, quantities adding up, and mark it ``merged``. Returns the
    customer's cart id, or None when there was nothing to merge (unknown token, a cart already
    merged or ordered — by a racing sign-in, say)."""
    token_hash = hash_cart_token(cart_token)
    anonymous = session.scalar(
        select(Cart.id).where(
            Cart.token_hash == token_hash, Cart.customer_id.is_(None), Cart.status == "open"
        )
    )
    if anonymous is None:
        return None
    claimed = session.execute(
        update(Cart)
        .where(Cart.id == anonymous, Cart.status == "open")
        .values(status="merged", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None  # a concurrent sign-in merged it first
    target = _customer_cart(session, customer_id, now)
    anon = session.get_one(Cart, anonymous, populate_existing=True)
    anon.merged_into_id = target.id
    for line in anon.lines:
        _upsert_line(session, target.id, line.sku_id, line.quantity, now, add=True)
    target.coupon_codes = list(dict.fromkeys([*target.coupon_codes, *anon.coupon_codes]))[
        :MAX_COUPONS
    ]
    target.updated_at = now
    session.flush()
    return target.id


# Checkout


def place_order(
    session_factory: sessionmaker[Session],
    customer_id: int,
    request: OrderRequest,
    *,
    idempotency_key: str,
    at: datetime,
) -> CheckoutResult:
    """Place the order through ``orders.checkout.checkout``; from the cart, the cart is marked
    ``ordered`` in the same transaction. Refusals name the request's fields: an unknown SKU
    ``lines[i].sku_id`` (422), too little stock ``lines[i].quantity`` (409), a used-up coupon
    ``coupon_codes[i]`` (409), a changed price ``expected_total`` (409)."""
    if request.from_cart == bool(request.lines):
        raise InvalidInput([FieldError("lines", "give either lines or from_cart: true")])
    key = f"c{customer_id}:{idempotency_key}"
    on_placed = None
    if request.from_cart:
        with session_factory() as session:
            cart = _cart_to_check_out(session, customer_id, key)
            lines = [CheckoutLine(line.sku_id, line.quantity) for line in cart.lines]
            cart_codes = list(cart.coupon_codes)
            _check_skus(session, [line.sku_id for line in lines], lambda _: "from_cart")
        codes = cart_codes if request.coupon_codes is None else list(request.coupon_codes)
        snapshot = _snapshot(lines, cart_codes)
        on_placed = _ordering_cart(cart.id, snapshot)
    else:
        lines = list(request.lines)
        codes = list(request.coupon_codes or ())
        with session_factory() as session:
            _check_skus(session, [line.sku_id for line in lines], lambda i: f"lines[{i}].sku_id")
    try:
        return checkout(
            session_factory,
            customer_id,
            lines,
            idempotency_key=key,
            coupon_codes=codes,
            at=at,
            expected_total=request.expected_total,
            ship_province=request.ship_province,
            points=request.points,
            on_placed=on_placed,
        )
    except OutOfStock as exc:
        where = "from_cart" if request.from_cart else f"lines[{_first(lines, exc.sku_id)}].quantity"
        raise Conflict(exc.message, field=where) from exc
    except InvalidInput as exc:
        raise _coupon_refusal(session_factory, exc, customer_id, lines, codes, at, request) from exc


def _first(lines: Sequence[CheckoutLine], sku_id: int) -> int:
    return next((i for i, line in enumerate(lines) if line.sku_id == sku_id), 0)


def _cart_to_check_out(session: Session, customer_id: int, key: str) -> Cart:
    """The cart this key already ordered (a replay), else the customer's open cart."""
    done = session.scalar(
        select(Cart)
        .join(IdempotencyKey, IdempotencyKey.order_id == Cart.order_id)
        .where(IdempotencyKey.key == key, Cart.customer_id == customer_id)
        .options(selectinload(Cart.lines))
    )
    cart = done or find_cart(session, CartOwner(customer_id=customer_id))
    if cart is None or not cart.lines:
        raise InvalidInput([FieldError("from_cart", "the cart is empty")])
    return cart


def _snapshot(lines: Sequence[CheckoutLine], codes: Sequence[str]) -> tuple[Any, ...]:
    return tuple(sorted((line.sku_id, line.quantity) for line in lines)), tuple(codes)


def _ordering_cart(cart_id: int, snapshot: tuple[Any, ...]) -> Callable[[Session, Order], None]:
    """Marks ``cart_id`` ordered by the order just placed, inside checkout's transaction and
    after its writes (carts come last in the lock order); refuses, rolling the order back, when
    the cart changed since it was priced or another key ordered it meanwhile."""

    def mark_ordered(session: Session, order: Order) -> None:
        cart = session.scalar(
            select(Cart)
            .where(Cart.id == cart_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if cart is None:
            raise CartChanged()
        now_holds = _snapshot(
            [CheckoutLine(line.sku_id, line.quantity) for line in cart.lines], cart.coupon_codes
        )
        if cart.status != "open" or now_holds != snapshot:
            raise CartChanged()
        cart.status = "ordered"
        cart.order_id = order.id
        session.flush()

    return mark_ordered


def _coupon_refusal(
    session_factory: sessionmaker[Session],
    exc: InvalidInput,
    customer_id: int,
    lines: Sequence[CheckoutLine],
    codes: Sequence[str],
    at: datetime,
    request: OrderRequest,
) -> StoreError:
    """Checkout refuses a code the engine does not apply, naming it by its index in the sorted,
    de-duplicated codes. Name it as the client sent it, and say ``Conflict`` when the code (or
    its offer) has been used up — the store's state, not the request, is what changed."""
    unique = sorted(set(codes))
    prefix = "coupon_codes["
    if not all(e.field.startswith(prefix) for e in exc.errors):
        return exc

    def client_field(code: str) -> str:
        if request.from_cart and request.coupon_codes is None:
            return "from_cart"
        return f"coupon_codes[{list(codes).index(code)}]"

    refused = [(unique[int(e.field[len(prefix) : -1])], e.message) for e in exc.errors]
    with session_factory() as session:
        reasons = {
            r.code: r.reason
            for r in price_cart_lines(session, customer_id, lines, codes, at=at).rejected
            if r.code is not None
        }
    for code, message in refused:
        if reasons.get(code) in USED_UP:
            return Conflict(message, field=client_field(code))
    return InvalidInput([FieldError(client_field(code), message) for code, message in refused])


def price_cart_lines(
    session: Session,
    customer_id: int,
    lines: Sequence[CheckoutLine],
    codes: Sequence[str],
    *,
    at: datetime,
) -> PricedCart:
    request = PreviewCart.model_validate(
        {
            "lines": [{"sku_id": line.sku_id, "quantity": line.quantity} for line in lines],
            "coupon_codes": sorted(set(codes)),
        }
    )
    return preview(session, request, at=at, customer_id=customer_id).priced


# My orders


def customer_order_query(customer_id: int, filters: OrderFilter) -> Select[tuple[Order]]:
    """The customer's own orders, whatever ``filters.customer_id`` says."""
    return order_query(filters.model_copy(update={"customer_id": customer_id}))


def customer_order(session: Session, customer_id: int, order_id: int) -> CustomerOrder:
    """One of the customer's orders; another customer's is ``NotFound`` exactly like a missing
    one, so ids reveal nothing about other people's orders."""
    owner = session.scalar(select(Order.customer_id).where(Order.id == order_id))
    if owner != customer_id:
        raise NotFound(f"order {order_id} not found")
    history = get_order_history(session, order_id)
    return CustomerOrder(
        history,
        open_reservations(session, order_id),
        _next_payment(session, history.order),
    )


def _next_payment(session: Session, order: Order) -> tuple[PaymentKind, int] | None:
    kind = _payment_kind(order)
    if kind is None:
        return None
    return kind, payments.amount_due(session, order, kind)


def _payment_kind(order: Order) -> PaymentKind | None:
    """What an order owes next: in full, or a presale's deposit then its balance."""
    if order.status == "pending_payment":
        return "deposit" if order.is_presale else "full"
    if order.status == "deposit_paid":
        return "balance"
    return None


def start_payment(
    session_factory: sessionmaker[Session],
    gateway: PaymentGateway,
    customer_id: int,
    order_id: int,
    kind: PaymentKind | None = None,
) -> PaymentIntent:
    """Ask the gateway to collect what the customer's order owes now (``kind`` defaults to what
    is due next); ``Conflict`` naming ``kind`` when nothing of that kind is owed."""
    with session_factory() as session:
        order = customer_order(session, customer_id, order_id).history.order
        kind = kind or _payment_kind(order)
        if kind is None:
            raise Conflict(f"order {order_id} is {order.status}: nothing to pay", field="kind")
    return payments.create_payment_intent(session_factory, gateway, order_id, kind)


__all__ = [
    "CART_TOKEN_PREFIX",
    "MAX_COUPONS",
    "MAX_LINES",
    "MAX_QUANTITY",
    "CartChanged",
    "CartEdit",
    "CartOwner",
    "CartPricing",
    "CustomerOrder",
    "OrderRequest",
    "customer_order",
    "customer_order_query",
    "find_cart",
    "hash_cart_token",
    "merge_anonymous_cart",
    "place_order",
    "price_cart",
    "price_cart_lines",
    "set_coupons",
    "set_line",
    "start_payment",
]

"""Stored offers: create, read, list, update and deactivate them, issue coupon codes, and preview
a cart priced from the store database against stored and draft offers.

Every offer is validated by the engine's own models (``parse_offer``) before it is written or
priced, so the admin API, storage and the CLI refuse the same offers with the same messages; the
store adds only what the engine cannot know: that the SKUs, categories and customers it names exist.
Nothing here commits; the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Select, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from storeloop.catalog.models import Category, Product, Sku
from storeloop.customers.models import Customer as StoreCustomer
from storeloop.db import utcnow
from storeloop.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    StoreError,
    existing_ids,
    flush_or_conflict,
    get_referenced,
)
from storeloop.filtering import apply_filters
from storeloop.orders.models import Order
from storeloop.orders.service import PAID_STATUSES
from storeloop.pricing.engine import price_cart
from storeloop.pricing.errors import PricingInputError, from_validation_error
from storeloop.pricing.kinds.coupon import issue_codes
from storeloop.pricing.models import (
    StoredCouponCode,
    StoredCustomerUsage,
    StoredOffer,
    StoredOfferUsage,
)
from storeloop.pricing.offer_schemas import (
    AnyOffer,
    Bundle,
    Coupon,
    CouponCode,
    CouponCodeText,
    Exclusive,
)
from storeloop.pricing.references import check_skus_known, named_skus
from storeloop.pricing.result import PricedCart
from storeloop.pricing.schemas import (
    Cart,
    Customer,
    OffersDocument,
    Policy,
    Shipping,
    SkuInfo,
    parse_offer,
)
from storeloop.pricing.store_schemas import CouponBatch, CouponCodeFilter, OfferFilter, PreviewCart
from storeloop.pricing.store_settings import pricing_settings
from storeloop.schemas import MAX_ID
from storeloop.settings import get_settings

# A stored coupon's codes live in coupon_codes, so its definition has none; the engine wants at
# least one, and this well-formed stand-in lets the rest of the definition be validated alone.
_STAND_IN_CODE = "STAND-IN"

# Definition field → (table, counter, column holding the copy of the cap on that table's rows).
# Caps are copied beside their counters because a CHECK cannot read another table.
_CAPS: tuple[tuple[str, type[Any], str | None, str], ...] = (
    ("max_uses", StoredOfferUsage, "uses", "max_uses"),
    ("total_quantity", StoredOfferUsage, "units", "max_units"),
    ("budget", StoredOfferUsage, "spent", "budget"),
    ("max_uses_per_customer", StoredOfferUsage, None, "max_uses_per_customer"),
    ("per_customer_limit", StoredOfferUsage, None, "max_units_per_customer"),
    ("max_uses_per_customer", StoredCustomerUsage, "uses", "max_uses"),
    ("per_customer_limit", StoredCustomerUsage, "units", "max_units"),
    ("uses_per_code", StoredCouponCode, "uses", "max_uses"),
)

_CODE = TypeAdapter(CouponCodeText)


@dataclass(frozen=True, slots=True)
class ValidOffer:
    """An offer the engine and the store accept, with the codes the request itself gave."""

    offer: AnyOffer
    codes: tuple[CouponCode, ...]


# Validation


def validate_offer(session: Session, raw: Mapping[str, Any], *, where: str = "") -> ValidOffer:
    """Validate ``raw`` with the engine's models, then check what it names against the store.

    ``where`` prefixes the field in errors (``draft_offers[2]``); messages name the offer.
    """
    stand_in = raw.get("kind") == "coupon" and not raw.get("codes")
    try:
        offer = parse_offer(_with_stand_in(raw) if stand_in else dict(raw), "offer")
        _check_skus(session, offer)
    except PricingInputError as exc:
        raise invalid_input(exc, where) from None
    codes = offer.codes if isinstance(offer, Coupon) and not stand_in else ()
    problems = _unknown_categories(session, offer) + _unknown_customers(session, codes)
    if problems:
        raise InvalidInput(
            [FieldError(_join(where, field), f"offer {offer.id!r}: {m}") for field, m in problems]
        )
    return ValidOffer(offer, codes)


def invalid_input(exc: PricingInputError, where: str = "") -> InvalidInput:
    """The engine's one-line refusal as the store's field error, still naming offer or line."""
    owner = ""
    if exc.offer is not None:
        owner = f"offer {exc.offer!r}: "
    elif exc.line is not None:
        owner = f"line {exc.line!r}: "
    return InvalidInput([FieldError(_join(where, exc.field) or "offer", owner + exc.message)])


def _join(where: str, field: str) -> str:
    return ".".join(part for part in (where, field) if part)


def _with_stand_in(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {**raw, "codes": [{"code": _STAND_IN_CODE}]}


def _check_skus(session: Session, offer: AnyOffer) -> None:
    named = {sku for _, sku in named_skus(offer)}
    known = set(session.scalars(select(Sku.code).where(Sku.code.in_(named))))
    check_skus_known(OffersDocument(offers=(offer,)), known, "offer")


def _unknown_categories(session: Session, offer: AnyOffer) -> list[tuple[str, str]]:
    """The engine matches a category by its slug; a misspelt one would silently match nothing."""
    slugs = () if isinstance(offer, Bundle) else offer.products.categories
    known = set(session.scalars(select(Category.slug).where(Category.slug.in_(slugs))))
    return [
        (f"products.categories[{i}]", f"unknown category {slug!r} (no category has this slug)")
        for i, slug in enumerate(slugs)
        if slug not in known
    ]


def _unknown_customers(session: Session, codes: Sequence[CouponCode]) -> list[tuple[str, str]]:
    """Codes are bound to store customers by id, which the engine knows as a string."""
    ids = {
        int(c.customer)
        for c in codes
        if c.customer is not None and c.customer.isdigit() and int(c.customer) <= MAX_ID
    }
    found = {str(i) for i in existing_ids(session, StoreCustomer, ids)}
    return [
        (f"codes[{i}].customer", f"no customer has id {entry.customer!r}")
        for i, entry in enumerate(codes)
        if entry.customer is not None and entry.customer not in found
    ]


# Offers


def offer_query(filters: OfferFilter) -> Select[tuple[StoredOffer]]:
    plain = filters.model_copy(update={"active_at": None})  # not a column: see running_at
    stmt = apply_filters(
        select(StoredOffer), StoredOffer, plain, search=(StoredOffer.name, StoredOffer.code)
    )
    return stmt if filters.active_at is None else stmt.where(*running_at(filters.active_at))


def running_at(at: datetime) -> tuple[Any, ...]:
    """Active and inside the ``[starts_at, ends_at)`` window: the offers a cart is priced with."""
    return (
        StoredOffer.is_active,
        or_(StoredOffer.starts_at.is_(None), StoredOffer.starts_at <= at),
        or_(StoredOffer.ends_at.is_(None), StoredOffer.ends_at > at),
    )


def get_offer(session: Session, offer_id: int, *, for_update: bool = False) -> StoredOffer:
    """``for_update`` locks the row (PostgreSQL) so two concurrent edits cannot merge into the
    same old definition and lose one another's change."""
    offer = session.get(StoredOffer, offer_id, with_for_update=for_update)
    if offer is None:
        raise NotFound(f"offer {offer_id} not found")
    return offer


def create_offer(session: Session, raw: Mapping[str, Any]) -> StoredOffer:
    """Store a validated offer with its counters (and a coupon's codes), or nothing at all."""
    valid = validate_offer(session, raw)
    row = StoredOffer(code=valid.offer.id, **_columns(valid.offer))
    row.usage = StoredOfferUsage(**_usage_caps(valid.offer))
    session.add(row)
    _flush(session, "id", f"an offer with id {valid.offer.id!r} already exists")
    if valid.codes:
        session.add_all(
            _code_rows(row, [(entry.code, _customer_id(entry)) for entry in valid.codes])
        )
        _flush(session, "codes", "a code is already taken by another coupon")
    return row


def update_offer(session: Session, offer_id: int, patch: Mapping[str, Any]) -> StoredOffer:
    """Merge ``patch`` into the definition (top-level fields replace; ``null`` clears an optional
    one), validate the result as a whole and copy the new caps to the counters.

    The id and kind stay: orders and usage counters name the offer, and a kind change would
    reinterpret them. A cap may not fall below what was already used.
    """
    row = get_offer(session, offer_id, for_update=True)
    if not row.is_active:
        raise Conflict(f"offer {row.code!r} is deactivated; create a new offer instead")
    fixed = {"id": row.code, "kind": row.kind}
    errors = [
        FieldError(name, f"cannot change ({value!r} stays)")
        for name, value in fixed.items()
        if name in patch and patch[name] != value
    ]
    if "codes" in patch:
        errors.append(FieldError("codes", "issue codes with POST /offers/{id}/coupons"))
    if errors:
        raise InvalidInput(errors)
    offer = validate_offer(session, {**row.definition, **patch}).offer
    _sync_caps(session, row, offer)
    for name, value in _columns(offer).items():
        setattr(row, name, value)
    session.flush()
    return row


def deactivate_offer(session: Session, offer_id: int) -> StoredOffer:
    """Final: an offer that ran stays as it was, for the orders that name it; repeating it
    changes nothing."""
    row = get_offer(session, offer_id, for_update=True)
    if row.is_active:
        row.is_active = False
        row.deactivated_at = utcnow()
        session.flush()
    return row


def _columns(offer: AnyOffer) -> dict[str, Any]:
    """The row's copies of the definition, taken from the validated model, never from input."""
    return {
        "kind": offer.kind,
        "level": offer.level.value,
        "name": offer.name,
        "exclusive": isinstance(offer, Exclusive) and offer.exclusive,
        "definition": offer.model_dump(mode="json", exclude={"codes"}),
        "starts_at": _utc(offer.starts_at),
        "ends_at": _utc(offer.ends_at),
    }


def _utc(moment: datetime | None) -> datetime | None:
    """Columns read back in UTC, as every time the API returns; the definition keeps the offset
    the operator wrote."""
    return None if moment is None else moment.astimezone(UTC)


def _cap_values(offer: AnyOffer) -> dict[str, int | None]:
    return {field: getattr(offer, field, None) for field, *_ in _CAPS}


def _usage_caps(offer: AnyOffer) -> dict[str, int | None]:
    values = _cap_values(offer)
    return {cap: values[field] for field, table, _, cap in _CAPS if table is StoredOfferUsage}


def _sync_caps(session: Session, row: StoredOffer, offer: AnyOffer) -> None:
    """Copy new caps beside their counters, refusing (naming the field) a cap below usage.

    A checkout racing between the check and the UPDATE is still stopped by the CHECK constraint.
    """
    values = _cap_values(offer)
    errors = []
    for field, table, counter, _ in _CAPS:
        limit = values[field]
        if counter is None or limit is None:
            continue
        used = session.scalar(
            select(getattr(table, counter))
            .where(table.offer_id == row.id, getattr(table, counter) > limit)
            .limit(1)
        )
        if used is not None:
            errors.append(FieldError(field, f"{limit} is below the {used} {counter} so far"))
    if errors:
        raise InvalidInput(errors)
    for table in (StoredOfferUsage, StoredCustomerUsage, StoredCouponCode):
        session.execute(
            update(table)
            .where(table.offer_id == row.id)
            .values({cap: values[field] for field, t, _, cap in _CAPS if t is table})
        )


def _flush(session: Session, field: str, message: str) -> None:
    """A taken unique value is reported on the request's field: offers and codes both keep
    theirs in a column called ``code``, which the request calls ``id``, ``codes`` or nothing."""
    try:
        flush_or_conflict(session)
    except Conflict as exc:
        raise Conflict(message, field=field) from exc


# Coupon codes


def issue_coupon_codes(
    session: Session, offer_id: int, batch: CouponBatch
) -> list[StoredCouponCode]:
    """A batch of unique, unguessable codes, all written or none.

    The unique constraint is the judge of uniqueness across batches: at ~59 bits a code, a clash
    is too rare to pre-check for, and a pre-check would still race.
    """
    row = get_offer(session, offer_id)
    if row.kind != "coupon" or not row.is_active:
        state = "deactivated" if not row.is_active else f"a {row.kind} offer, not a coupon"
        raise Conflict(f"offer {row.code!r} is {state}; no codes can be issued for it")
    owners: list[int | None] = list(batch.customer_ids or [None] * (batch.count or 0))
    if batch.customer_ids:
        missing = sorted(
            set(batch.customer_ids) - existing_ids(session, StoreCustomer, batch.customer_ids)
        )
        if missing:
            raise InvalidInput([FieldError("customer_ids", f"no customers with ids {missing}")])
    codes = issue_codes(len(owners), prefix=batch.prefix)
    try:
        _CODE.validate_python(codes[0])
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        raise InvalidInput([FieldError("prefix", f"codes like {codes[0]!r}: {message}")]) from None
    rows = _code_rows(row, list(zip(codes, owners, strict=True)))
    session.add_all(rows)
    _flush(session, "prefix", "a new code clashed with an issued one; nothing was issued, retry")
    return rows


def coupon_code_query(
    session: Session, offer_id: int, filters: CouponCodeFilter
) -> Select[tuple[StoredCouponCode]]:
    get_offer(session, offer_id)
    stmt = select(StoredCouponCode).where(StoredCouponCode.offer_id == offer_id)
    return apply_filters(stmt, StoredCouponCode, filters)


def _code_rows(
    offer: StoredOffer, codes: Sequence[tuple[str, int | None]]
) -> list[StoredCouponCode]:
    """Each code is held to the coupon's ``uses_per_code``, copied beside its counter."""
    return [
        StoredCouponCode(
            code=code,
            offer_id=offer.id,
            customer_id=owner,
            max_uses=offer.definition["uses_per_code"],
        )
        for code, owner in codes
    ]


def _customer_id(entry: CouponCode) -> int | None:
    return None if entry.customer is None else int(entry.customer)


# Preview


@dataclass(frozen=True, slots=True)
class Preview:
    """The priced cart with the engine inputs built from the store, to reproduce or explain it."""

    cart: Cart
    offers: OffersDocument
    customer: Customer | None
    at: datetime
    priced: PricedCart


def preview(
    session: Session,
    cart: PreviewCart,
    *,
    draft_offers: Sequence[Mapping[str, Any]] = (),
    include_stored: bool = True,
    at: datetime,
    customer_id: int | None = None,
    tier: str | None = None,
    policy: Policy | None = None,
    shipping: Shipping | None = None,
) -> Preview:
    """Price ``cart`` as checkout would: catalogue, usage and customer read from the store.

    Stored offers running at ``at`` take part when ``include_stored``; draft offers are validated
    exactly as storage validates them and replace a stored offer with the same id (keeping its
    usage so far), so an edit can be previewed before it is saved. Offers the cart itself names
    — coupons whose codes it presents, presales its deposits were paid under — take part whenever
    they are active, so the engine can say why one does not apply. ``policy`` and ``shipping``
    default to the store's stored settings, and an offer on a category covers its subcategories.
    """
    drafts = [
        validate_offer(session, raw, where=f"draft_offers[{i}]")
        for i, raw in enumerate(draft_offers)
    ]
    codes = _presented_codes(session, cart.coupon_codes)
    stored = _stored_offers(session, cart, codes, at) if include_stored else []
    entries = _with_subcategories(session, _offer_entries(stored, drafts, codes))
    if policy is None or shipping is None:
        stored_policy, stored_shipping = pricing_settings(session)
        policy = stored_policy if policy is None else policy
        shipping = stored_shipping if shipping is None else shipping
    priced_ids = {entry["id"] for entry in entries}
    stored = [row for row in stored if row.code in priced_ids]
    currency = get_settings().currency  # stored amounts are in the store's currency
    raw_document = {
        "currency": currency,
        "policy": policy,
        "shipping": shipping,
        "offers": entries,
        "usage": _offer_usage(stored, codes),
    }
    try:
        document = OffersDocument.model_validate(raw_document)
    except ValidationError as exc:
        raise _refusal(from_validation_error(exc, raw_document, "offers"), drafts) from None
    engine_cart = _engine_cart(session, cart, currency, document)
    customer = _customer(session, customer_id, tier, stored)
    try:
        priced = price_cart(engine_cart, document, at=at, customer=customer)
    except PricingInputError as exc:
        raise _refusal(exc, drafts) from None
    return Preview(engine_cart, document, customer, at, priced)


def _refusal(exc: PricingInputError, drafts: Sequence[ValidOffer]) -> StoreError:
    """Blame the request where it is at fault: the cart, or the draft the engine names (the last
    of that id: a repeated id is the later one's fault). A stored offer the engine refuses only at
    pricing time — a presale deposit above a SKU's since-lowered price — is the store's state."""
    if exc.source == "cart":
        return invalid_input(exc, "cart")
    named = [i for i, draft in enumerate(drafts) if draft.offer.id == exc.offer]
    if named:
        return invalid_input(exc, f"draft_offers[{named[-1]}]")
    return Conflict(f"a stored offer cannot price this cart: {exc}")


@dataclass(frozen=True, slots=True)
class _Presented:
    code: str
    offer_id: int
    customer_id: int | None
    uses: int


def _presented_codes(session: Session, codes: Sequence[str]) -> list[_Presented]:
    if not codes:  # most carts present none: no query
        return []
    rows = session.execute(
        select(
            StoredCouponCode.code,
            StoredCouponCode.offer_id,
            StoredCouponCode.customer_id,
            StoredCouponCode.uses,
        ).where(StoredCouponCode.code.in_(codes))
    )
    return [_Presented(*row) for row in rows]


def _stored_offers(
    session: Session, cart: PreviewCart, codes: Sequence[_Presented], at: datetime
) -> list[StoredOffer]:
    deposits = {line.deposit.offer for line in cart.lines if line.deposit is not None}
    named = or_(StoredOffer.id.in_({c.offer_id for c in codes}), StoredOffer.code.in_(deposits))
    running = select(StoredOffer.id).where(*running_at(at), StoredOffer.kind != "coupon")
    return list(
        session.scalars(
            select(StoredOffer)
            .where(or_(StoredOffer.id.in_(running), and_(StoredOffer.is_active, named)))
            .order_by(StoredOffer.code)
        )
    )


def _offer_entries(
    stored: Sequence[StoredOffer], drafts: Sequence[ValidOffer], codes: Sequence[_Presented]
) -> list[dict[str, Any]]:
    """The engine JSON of every offer to price with; a draft replaces the stored offer with its id.

    A coupon carries only the codes presented (and a draft's own): the engine looks coupons up by
    code, so the rest of a 100,000-code batch cannot change the price. A coupon left without
    codes cannot apply and is left out.
    """
    replaced = {draft.offer.id for draft in drafts}
    entries = [dict(row.definition) for row in stored if row.code not in replaced]
    entries += [draft.offer.model_dump(mode="json", exclude={"codes"}) for draft in drafts]
    offer_codes: dict[str, list[dict[str, Any]]] = {}
    for draft in drafts:
        offer_codes[draft.offer.id] = [entry.model_dump(mode="json") for entry in draft.codes]
    code_of = {row.id: row.code for row in stored}
    for presented in codes:
        if presented.offer_id in code_of:
            bound = None if presented.customer_id is None else str(presented.customer_id)
            offer_codes.setdefault(code_of[presented.offer_id], []).append(
                {"code": presented.code, "customer": bound}
            )
    for entry in entries:
        if entry["kind"] == "coupon":
            entry["codes"] = offer_codes.get(entry["id"], [])
    return [entry for entry in entries if entry["kind"] != "coupon" or entry["codes"]]


def _with_subcategories(session: Session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Widen each offer's categories to their subcategories, as a merchant means "20% off
    apparel" to cover T-shirts. The engine matches a category by its exact slug, so the store
    hands it the whole subtree; a stored definition keeps what the operator wrote."""
    if not any(entry.get("products", {}).get("categories") for entry in entries):
        return entries
    rows = session.execute(select(Category.id, Category.parent_id, Category.slug)).all()
    slug_of = {row.id: row.slug for row in rows}
    children: dict[str, list[str]] = {}
    for row in rows:
        if row.parent_id is not None and row.parent_id in slug_of:
            children.setdefault(slug_of[row.parent_id], []).append(row.slug)

    def subtree(slug: str) -> set[str]:
        found, todo = {slug}, [slug]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    widened = []
    for entry in entries:
        products = entry.get("products") or {}
        if products.get("categories"):
            covered = set().union(*(subtree(slug) for slug in products["categories"]))
            entry = {**entry, "products": {**products, "categories": sorted(covered)}}
        widened.append(entry)
    return widened


def _offer_usage(
    stored: Sequence[StoredOffer], codes: Sequence[_Presented]
) -> dict[str, dict[str, Any]]:
    code_uses: dict[int, dict[str, int]] = {}
    for presented in codes:
        code_uses.setdefault(presented.offer_id, {})[presented.code] = presented.uses
    return {
        row.code: {
            "uses": row.usage.uses,
            "units": row.usage.units,
            "spent": row.usage.spent,
            "code_uses": code_uses.get(row.id, {}),
        }
        for row in stored
    }


def _engine_cart(
    session: Session, cart: PreviewCart, currency: str, document: OffersDocument
) -> Cart:
    """The cart with its catalogue section: every line's SKU, and every SKU an offer names (a
    gift's reward, a bundle's items), which the engine prices without them being in the cart."""
    named = {sku for offer in document.offers for _, sku in named_skus(offer)}
    ids = {line.sku_id for line in cart.lines if line.sku_id is not None}
    wanted = named | {line.sku for line in cart.lines if line.sku is not None}
    rows = session.execute(
        select(
            Sku.id,
            Sku.code,
            Sku.currency,
            Sku.name,
            Sku.list_price,
            Sku.cost,
            Category.slug,
            Product.tags,
        )
        .join(Product, Sku.product_id == Product.id)
        .join(Category, Product.category_id == Category.id)
        .where(or_(Sku.id.in_(ids), Sku.code.in_(wanted)))
    ).all()
    code_of = {row.id: row.code for row in rows}
    currency_of = {row.code: row.currency for row in rows}
    errors, lines = [], []
    for i, line in enumerate(cart.lines):
        code = line.sku if line.sku_id is None else code_of.get(line.sku_id)
        if code is None or code not in currency_of:
            field = "sku" if line.sku_id is None else "sku_id"
            errors.append(FieldError(f"cart.lines[{i}].{field}", "no SKU has this id or code"))
        elif currency_of[code] != currency:
            message = f"SKU {code!r} is priced in {currency_of[code]}, the cart in {currency}"
            errors.append(FieldError(f"cart.lines[{i}]", message))
        else:
            lines.append({"sku": code, **line.model_dump(exclude={"sku_id", "sku"})})
    if errors:
        raise InvalidInput(errors)
    raw = {
        "currency": currency,
        "channel": cart.channel,
        "catalogue": {
            row.code: SkuInfo(
                name=row.name,
                list_price=row.list_price,
                cost=row.cost,
                category=row.slug,
                tags=tuple(row.tags),
            )
            for row in rows
        },
        "lines": lines,
        "coupon_codes": cart.coupon_codes,
    }
    try:
        return Cart.model_validate(raw)
    except ValidationError as exc:
        raise invalid_input(from_validation_error(exc, raw, "cart"), "cart") from None


def _customer(
    session: Session, customer_id: int | None, tier: str | None, stored: Sequence[StoredOffer]
) -> Customer | None:
    """The shopper as the engine sees them. ``tier`` overrides the customer's own member tier
    (``loyalty``'s ``points_accounts.tier``), e.g. to preview prices "as a gold member"; with no
    customer it prices as that tier without choosing a real one."""
    from storeloop.loyalty.service import tier_of  # loyalty's service, not its tables

    if customer_id is None:
        return None if tier is None else Customer(id="anonymous", tier=tier)
    person = get_referenced(session, "customer_id", StoreCustomer, customer_id)
    tier = tier_of(session, customer_id) if tier is None else tier
    code_of = {row.id: row.code for row in stored}
    usage = session.execute(
        select(
            StoredCustomerUsage.offer_id, StoredCustomerUsage.uses, StoredCustomerUsage.units
        ).where(
            StoredCustomerUsage.customer_id == customer_id,
            StoredCustomerUsage.offer_id.in_(code_of),
        )
    )
    has_ordered = session.scalar(
        select(exists().where(Order.customer_id == customer_id, Order.status.in_(PAID_STATUSES)))
    )
    return Customer(
        id=str(customer_id),
        tier=tier,
        new_customer=not has_ordered,
        birth_date=person.birth_date,
        usage={code_of[offer]: {"uses": uses, "units": units} for offer, uses, units in usage},
    )

"""Customer use cases. Nothing here commits; the caller's unit of work does."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storeloop.customers.models import Customer
from storeloop.customers.schemas import CustomerCreate, CustomerFilter, CustomerUpdate
from storeloop.errors import (
    FieldError,
    InvalidInput,
    check_references,
    flush_or_conflict,
    get_or_raise,
)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer)) or 0


def customer_query(filters: CustomerFilter) -> Select[tuple[Customer]]:
    stmt = select(Customer)
    if filters.province is not None:
        stmt = stmt.where(Customer.province == filters.province)
    if filters.region is not None:
        stmt = stmt.where(Customer.region == filters.region)
    if filters.channel is not None:
        stmt = stmt.where(Customer.channel == filters.channel)
    if filters.email is not None:
        stmt = stmt.where(Customer.email == filters.email)
    if filters.signed_up_from is not None:
        stmt = stmt.where(Customer.signed_up_at >= filters.signed_up_from)
    if filters.signed_up_to is not None:
        stmt = stmt.where(Customer.signed_up_at < filters.signed_up_to)
    return stmt


def get_customer(session: Session, customer_id: int) -> Customer:
    return get_or_raise(session, Customer, customer_id)


def create_customer(session: Session, data: CustomerCreate) -> Customer:
    check_references(session, {"referred_by_id": (Customer, data.referred_by_id)})
    customer = Customer(**data.model_dump())
    session.add(customer)
    flush_or_conflict(session)
    return customer


def update_customer(session: Session, customer_id: int, patch: CustomerUpdate) -> Customer:
    customer = get_customer(session, customer_id)
    changes = patch.model_dump()
    referrer = changes.get("referred_by_id")
    if referrer == customer_id:
        raise InvalidInput([FieldError("referred_by_id", "a customer cannot refer themselves")])
    check_references(session, {"referred_by_id": (Customer, referrer)})
    for name, value in changes.items():
        setattr(customer, name, value)
    flush_or_conflict(session)
    return customer

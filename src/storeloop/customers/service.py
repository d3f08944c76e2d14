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
    save_changes,
)
from storeloop.filtering import apply_filters


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer)) or 0


def customer_query(filters: CustomerFilter) -> Select[tuple[Customer]]:
    return apply_filters(select(Customer), Customer, filters)


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
    return save_changes(session, customer, changes)

"""Customer endpoints; all need an admin token (customer data is personal data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storeloop.customers import service
from storeloop.customers.schemas import (
    CustomerCreate,
    CustomerFilter,
    CustomerRead,
    CustomerUpdate,
)
from storeloop.schemas import Page
from storeloop.web.deps import ADMIN, IdPath, SessionDep
from storeloop.web.pagination import paginate

router = APIRouter(tags=["customers"], dependencies=ADMIN)


@router.get("/customers", summary="List customers")
def list_customers(
    session: SessionDep, filters: Annotated[CustomerFilter, Query()]
) -> Page[CustomerRead]:
    return paginate(session, service.customer_query(filters), filters, CustomerRead.model_validate)


@router.get("/customers/{customer_id}", summary="Get a customer")
def get_customer(session: SessionDep, customer_id: IdPath) -> CustomerRead:
    return CustomerRead.model_validate(service.get_customer(session, customer_id))


@router.post("/customers", status_code=201, summary="Create a customer")
def create_customer(session: SessionDep, body: CustomerCreate) -> CustomerRead:
    return CustomerRead.model_validate(service.create_customer(session, body))


@router.patch("/customers/{customer_id}", summary="Update a customer")
def update_customer(session: SessionDep, customer_id: IdPath, body: CustomerUpdate) -> CustomerRead:
    return CustomerRead.model_validate(service.update_customer(session, customer_id, body))

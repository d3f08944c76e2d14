"""Customer sign-up, sign-in and sign-out, the signed-in customer's profile, and the admin's
password reset for a customer (seeded customers have no password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from storeloop.customers import auth_service
from storeloop.customers.auth_schemas import CustomerSession, PasswordSet, Registration, SignIn
from storeloop.customers.schemas import CustomerRead
from storeloop.customers.service import get_customer
from storeloop.web.deps import (
    ADMIN,
    CustomerIdDep,
    IdPath,
    SessionDep,
    SessionFactoryDep,
    ShopperDep,
)

router = APIRouter(tags=["customer sign-in"])
_admin = APIRouter(tags=["customers"], dependencies=ADMIN)

CartToken = Annotated[
    str | None,
    Header(
        alias="X-Cart-Token",
        max_length=128,
        description="an anonymous cart to merge into the customer's cart",
    ),
]


def _session(signed_in: auth_service.SignedIn) -> CustomerSession:
    return CustomerSession(
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        customer=CustomerRead.model_validate(signed_in.customer),
        merged_cart_id=signed_in.merged_cart_id,
    )


@router.post(
    "/auth/register",
    status_code=201,
    summary="Sign up: create the customer and sign in (merging an anonymous cart)",
)
def register(
    factory: SessionFactoryDep, body: Registration, cart_token: CartToken = None
) -> CustomerSession:
    return _session(auth_service.register(factory, body, cart_token=cart_token))


@router.post("/auth/sign-in", summary="Sign in: a customer token (merging an anonymous cart)")
def sign_in(
    factory: SessionFactoryDep, body: SignIn, cart_token: CartToken = None
) -> CustomerSession:
    signed_in = auth_service.sign_in(factory, body.email, body.password, cart_token=cart_token)
    return _session(signed_in)


@router.post("/auth/sign-out", status_code=204, summary="Sign out: revoke this customer token")
def sign_out(session: SessionDep, _: CustomerIdDep, shopper: ShopperDep) -> None:
    assert shopper.token is not None  # CustomerIdDep: a customer signed in with a token
    auth_service.revoke_customer_token(session, shopper.token)


@router.get("/me", summary="The signed-in customer")
def me(session: SessionDep, customer_id: CustomerIdDep) -> CustomerRead:
    return CustomerRead.model_validate(get_customer(session, customer_id))


@_admin.put(
    "/customers/{customer_id}/password",
    summary="Set a customer's password (revokes their customer tokens)",
)
def set_password(session: SessionDep, customer_id: IdPath, body: PasswordSet) -> CustomerRead:
    return CustomerRead.model_validate(
        auth_service.set_password(session, customer_id, body.password)
    )


router.include_router(_admin)

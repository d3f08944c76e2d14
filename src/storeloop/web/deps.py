"""Request-scoped dependencies: the database session and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from storeloop.auth.models import ApiToken
from storeloop.auth.service import TOKEN_PREFIX as ADMIN_TOKEN_PREFIX
from storeloop.auth.service import authenticate
from storeloop.customers.auth_service import TOKEN_PREFIX as CUSTOMER_TOKEN_PREFIX
from storeloop.customers.auth_service import authenticate_customer
from storeloop.db import session_scope
from storeloop.errors import Unauthorized
from storeloop.schemas import MAX_ID


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed if the endpoint succeeds, else rolled back."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


def get_session_factory(request: Request) -> sessionmaker[Session]:
    """For endpoints whose service owns its transactions (``write_session``)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]

# scope="function" commits before the response is sent, so a failed commit becomes an error
# response through the exception handlers instead of a 200 for data that was never written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(
    auto_error=False,
    description="Admin API token: `storeloop token create --name NAME` prints one.",
)


@dataclass(frozen=True, slots=True)
class Caller:
    token: ApiToken | None

    @property
    def is_admin(self) -> bool:
        return self.token is not None


def get_caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Anonymous without an Authorization header; a header that does not check out is a 401.

    Falling back to anonymous on a bad token would hide a misconfigured client behind data that
    silently lacks its admin fields. A signed-in shopper's token is no admin token: for the
    public catalogue that shopper is anonymous, and admin endpoints refuse them.
    """
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
        return Caller(token=None)
    if credentials.credentials.startswith(CUSTOMER_TOKEN_PREFIX):
        return Caller(token=None)
    token = authenticate(session, credentials.credentials)
    if token is None:
        raise Unauthorized("unknown or revoked API token")
    return Caller(token=token)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_admin(caller: CallerDep) -> ApiToken:
    if caller.token is None:
        raise Unauthorized(
            "this endpoint needs an admin API token: 'Authorization: Bearer <token>'"
        )
    return caller.token


ADMIN = [Depends(require_admin)]
"""Route/router ``dependencies=`` for admin-only endpoints."""

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


# Storefront callers: customers (bearer customer tokens, "sc_…") and anonymous visitors.

_customer_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CustomerToken",
    description="Customer token (sc_…): POST /api/v1/auth/sign-in returns one.",
)


@dataclass(frozen=True, slots=True)
class Shopper:
    customer_id: int | None  # None: an anonymous visitor
    token: str | None = field(default=None, repr=False)  # the customer token, to sign out

    @property
    def is_signed_in(self) -> bool:
        return self.customer_id is not None


def get_shopper(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_customer_bearer)],
) -> Shopper:
    """Anonymous without an Authorization header; a customer with a live customer token; any
    other header is a 401 — an admin token is not a customer, and a bad token is not silently
    anonymous.

    The token is checked in a session of its own, closed at once: storefront writes run their
    own transactions, and a request must not hold a second pooled connection while they do.
    """
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized("Authorization header must be 'Bearer <customer token>'")
        return Shopper(customer_id=None)
    token = credentials.credentials
    if token.startswith(ADMIN_TOKEN_PREFIX):
        raise Unauthorized("an admin API token cannot act as a customer; sign in as one")
    with get_session_factory(request)() as session:
        customer_id = authenticate_customer(session, token)
    if customer_id is None:
        raise Unauthorized("unknown, expired or revoked customer token; sign in again")
    return Shopper(customer_id=customer_id, token=token)


ShopperDep = Annotated[Shopper, Depends(get_shopper)]


def require_customer(shopper: ShopperDep) -> int:
    if shopper.customer_id is None:
        raise Unauthorized(
            "this endpoint needs a customer token: sign in (POST /api/v1/auth/sign-in) and send "
            "'Authorization: Bearer <token>'"
        )
    return shopper.customer_id


CustomerIdDep = Annotated[int, Depends(require_customer)]
"""The signed-in customer's id; 401 for anonymous callers and admin tokens."""

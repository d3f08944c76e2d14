"""Request-scoped dependencies: the database session and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from storeloop.auth.models import ApiToken
from storeloop.auth.service import authenticate
from storeloop.db import session_scope
from storeloop.errors import Unauthorized
from storeloop.schemas import MAX_ID


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed if the endpoint succeeds, else rolled back."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


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
    silently lacks its admin fields.
    """
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
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

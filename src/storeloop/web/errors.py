"""The one error body, and the single place every failure is mapped to it.

Clients handle one shape whatever went wrong — FastAPI's own validation, an unknown route, a
service's domain error or a constraint the database enforced:
``{"error": {"code": ..., "message": ..., "details": [{"field": ..., "message": ...}]}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from storeloop.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    StoreError,
    Unauthorized,
)

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    field: str
    message: str
    index: int | None = None


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorBody(BaseModel):
    error: ErrorInfo


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Declared on every /api/v1 route; documenting 422 here also replaces FastAPI's default
# HTTPValidationError schema, which this API never sends.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _doc("missing, unknown or revoked bearer token"),
    404: _doc("no such resource"),
    409: _doc("conflicts with the store's state (taken code, not enough stock)"),
    422: _doc("invalid input; every bad field is named in details"),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    500: "internal_error",
    503: "unavailable",
}

_STORE_ERRORS: dict[type[StoreError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Unauthorized: 401,
}


def error_response(
    status: int,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    info = ErrorInfo(code=_HTTP_CODES.get(status, "error"), message=message, details=details or [])
    return JSONResponse(
        {"error": info.model_dump(exclude_none=True)}, status_code=status, headers=headers
    )


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = []
    for err in exc.errors():
        if err["type"] == "json_invalid":  # loc ends in a character offset, not a field
            details.append(ErrorDetail(field="body", message=f"invalid JSON: {err['msg']}"))
        else:
            details.append(ErrorDetail(field=_location(err["loc"]), message=err["msg"]))
    return error_response(422, "invalid request", details)


def _field_detail(error: FieldError) -> ErrorDetail:
    """Service errors name body fields; batch items are named by index plus their own field."""
    if error.index is not None:
        return ErrorDetail(field=error.field, message=error.message, index=error.index)
    return ErrorDetail(field=f"body.{error.field}", message=error.message)


def _store_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoreError)
    # The nearest mapped ancestor: a service's own Conflict subclass (IllegalTransition,
    # PriceChanged, OutOfStock) is still a 409.
    status = next((_STORE_ERRORS[cls] for cls in type(exc).__mro__ if cls in _STORE_ERRORS), 400)
    details: list[ErrorDetail] = []
    headers = None
    if isinstance(exc, InvalidInput):
        details = [_field_detail(e) for e in exc.errors]
    elif isinstance(exc, Conflict) and exc.field:
        details = [ErrorDetail(field=f"body.{exc.field}", message=exc.message)]
    elif isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    return error_response(status, exc.message, details, headers)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return error_response(exc.status_code, message, headers=exc.headers)


def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    """A constraint no service anticipated (a race it lost) is a conflict, not a 500.

    Services name the field themselves (``flush_or_conflict``); this is only the safety net.
    """
    return error_response(409, "the change conflicts with the store's current state")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)

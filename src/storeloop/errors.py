"""Errors the services raise, and the guards that raise them, independent of any transport.

Services speak in domain terms — this id does not exist, this code is taken, this input is wrong
at this field — and the HTTP layer (``storeloop.web.errors``) maps each kind to a status code and
the one error body; the CLI can print the same messages. They live outside ``web/`` so services
never import FastAPI (dependency direction: web → service → models).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from storeloop.db import Base

M = TypeVar("M", bound=Base)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad input value: ``field`` as the client spelled it; ``index`` for a batch item."""

    field: str
    message: str
    index: int | None = None


class StoreError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StoreError):
    pass


class Conflict(StoreError):
    """The request is well formed but clashes with the store's state (a taken code, no stock)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInput(StoreError):
    _SHOWN = 3  # the message is a summary; ``errors`` has them all

    def __init__(self, errors: Sequence[FieldError]) -> None:
        parts = [
            f"{'' if e.index is None else f'event {e.index}: '}{e.field}: {e.message}"
            for e in errors[: self._SHOWN]
        ]
        if len(errors) > self._SHOWN:
            parts.append(f"and {len(errors) - self._SHOWN} more")
        super().__init__("; ".join(parts))
        self.errors = list(errors)


class Unauthorized(StoreError):
    pass


def get_or_raise(
    session: Session, model: type[M], id_: int, options: Sequence[ORMOption] = ()
) -> M:
    row = session.get(model, id_, options=options)
    if row is None:
        raise NotFound(f"{model.__name__} {id_} not found")
    return row


def check_references(session: Session, refs: Mapping[str, tuple[type[Base], int | None]]) -> None:
    """Reject foreign keys that point nowhere, naming every bad field at once.

    The database would refuse them too, but SQLite's message does not say which column, and the
    client must be told which field to fix. Only the referenced primary key is probed — what the
    foreign key itself checks — so using it across domains reads no other domain's data.
    """
    errors = [
        _missing(field, model, id_)
        for field, (model, id_) in refs.items()
        if id_ is not None and session.get(model, id_) is None
    ]
    if errors:
        raise InvalidInput(errors)


def get_referenced(session: Session, field: str, model: type[M], id_: int) -> M:
    """The row ``field`` refers to, or ``InvalidInput`` naming it as ``check_references`` does.

    For a reference the caller also reads: the session's identity map holds rows weakly, so
    checking first and reading later costs a second query.
    """
    row = session.get(model, id_)
    if row is None:
        raise InvalidInput([_missing(field, model, id_)])
    return row


def _missing(field: str, model: type[Base], id_: int) -> FieldError:
    return FieldError(field, f"{model.__name__} {id_} does not exist")


def existing_ids(session: Session, model: type[Base], ids: Collection[int]) -> set[int]:
    """Which of ``ids`` exist in ``model``'s table, in one query however many are asked."""
    if not ids:
        return set()
    (pk,) = inspect(model).primary_key
    return set(session.scalars(select(pk).where(pk.in_(ids))))


_PG_UNIQUE = "23505"
_PG_KEY = re.compile(r"Key \(([^)]*)\)=")
_SQLITE_UNIQUE = "UNIQUE constraint failed: "


def _unique_violation_columns(exc: IntegrityError) -> list[str] | None:
    """The columns of the unique constraint ``exc`` broke, or None if it broke something else."""
    orig: Any = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_UNIQUE:
        match = _PG_KEY.search(getattr(orig.diag, "message_detail", None) or "")
        return [c.strip() for c in match.group(1).split(",")] if match else []
    message = str(orig)
    if message.startswith(_SQLITE_UNIQUE):
        return [c.strip().rsplit(".", 1)[-1] for c in message[len(_SQLITE_UNIQUE) :].split(",")]
    return None


def save_changes(session: Session, row: M, changes: Mapping[str, Any]) -> M:
    """Apply a PATCH's validated fields to a row and flush, unique clashes becoming Conflict."""
    for name, value in changes.items():
        setattr(row, name, value)
    flush_or_conflict(session)
    return row


def flush_or_conflict(session: Session) -> None:
    """Flush pending writes so a taken unique value surfaces as Conflict naming its column.

    Checking first and inserting second would race; the unique constraint is the only reliable
    judge, so the services let it decide and translate its verdict. The session must then be
    rolled back, which every caller's unit of work does on the way out.
    """
    try:
        session.flush()
    except IntegrityError as exc:
        columns = _unique_violation_columns(exc)
        if columns is None:
            raise
        field = ", ".join(columns) or None
        raise Conflict(f"{field or 'a unique value'} is already taken", field=field) from exc

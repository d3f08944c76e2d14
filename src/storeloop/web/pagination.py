"""The one way every list endpoint pages: a filtered query in, ``Page`` out.

Services build the filtered ``Select`` (what to list is a business decision); this helper adds
the order, the window and the total, so every list behaves the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session

from storeloop.schemas import Page, PageParams

R = TypeVar("R")
S = TypeVar("S")


def paginate(
    session: Session, stmt: Select[tuple[R]], params: PageParams, view: Callable[[R], S]
) -> Page[S]:
    """Run ``stmt`` for one page, ordered by the listed entity's primary key.

    Ordering by id is what makes limit/offset stable: without it the database may return rows in
    any order, and a client walking the pages would see some rows twice and others never.
    """
    entity: Any = stmt.column_descriptions[0]["entity"]
    ordered = stmt.order_by(None).order_by(*inspect(entity).primary_key)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(ordered.limit(params.limit).offset(params.offset)).all()
    return Page(
        items=[view(row) for row in rows], total=total, limit=params.limit, offset=params.offset
    )

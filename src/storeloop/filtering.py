"""Turn a list endpoint's filter model into WHERE clauses, by one naming rule.

Every list filter follows the same convention, so it is applied in one place instead of an
``if … is not None`` chain per field in every service: a field named like a column filters by
equality; ``<stem>_from`` / ``<stem>_to`` bound the column ``<stem>_at`` (from inclusive, to
exclusive, so consecutive windows never count a row twice); ``q`` is a case-insensitive
"contains" over the columns the caller names. Paging fields are not filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, or_
from sqlalchemy.orm import InstrumentedAttribute

from storeloop.schemas import PageParams

M = TypeVar("M")

_PAGING = frozenset(PageParams.model_fields)


def apply_filters(
    stmt: Select[tuple[M]],
    model: type[M],
    filters: PageParams,
    *,
    search: Sequence[InstrumentedAttribute[str]] = (),
) -> Select[tuple[M]]:
    for name, value in filters.model_dump(exclude_none=True).items():
        if name in _PAGING:
            continue
        stmt = stmt.where(_condition(model, name, value, search))
    return stmt


def _condition(
    model: type[Any], name: str, value: Any, search: Sequence[InstrumentedAttribute[str]]
) -> Any:
    if name == "q":
        if not search:
            raise TypeError(f"{model.__name__} filter has q but no search columns were named")
        return or_(*(column.icontains(value, autoescape=True) for column in search))
    if name.endswith("_from"):
        return getattr(model, f"{name.removesuffix('_from')}_at") >= value
    if name.endswith("_to"):
        return getattr(model, f"{name.removesuffix('_to')}_at") < value
    return getattr(model, name) == value

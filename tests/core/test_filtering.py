"""The one naming rule that turns filter models into WHERE clauses."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storeloop.catalog.models import Category
from storeloop.catalog.schemas import CategoryFilter
from storeloop.filtering import apply_filters
from storeloop.orders.models import Order
from storeloop.orders.schemas import OrderFilter


def _where(stmt: object) -> str:
    return str(stmt.whereclause)  # type: ignore[attr-defined]


def test_equality_and_half_open_time_window_and_no_paging() -> None:
    filters = OrderFilter(
        status="paid",
        placed_from=datetime(2026, 11, 1, tzinfo=UTC),
        placed_to=datetime(2026, 11, 12, tzinfo=UTC),
        limit=10,
        offset=20,
    )
    where = _where(apply_filters(select(Order), Order, filters))
    assert where == (
        "orders.status = :status_1 AND orders.placed_at >= :placed_at_1 "
        "AND orders.placed_at < :placed_at_2"
    )


def test_unset_filters_add_nothing() -> None:
    assert apply_filters(select(Order), Order, OrderFilter()).whereclause is None


def test_q_searches_the_named_columns() -> None:
    stmt = apply_filters(
        select(Category),
        Category,
        CategoryFilter(q="户外"),
        search=(Category.name, Category.name_en),
    )
    where = _where(stmt)
    assert "categories.name" in where and "categories.name_en" in where and " OR " in where

"""Catalog use cases: categories, products and SKUs.

Writes check their foreign keys (so the client learns which field is wrong) and let the unique
constraints judge codes and slugs (so two racing writers cannot both win). Nothing here commits;
the caller's unit of work does.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from storeloop.catalog.models import Category, Product, Sku
from storeloop.catalog.schemas import (
    CategoryCreate,
    CategoryFilter,
    CategoryUpdate,
    ProductCreate,
    ProductFilter,
    ProductUpdate,
    SkuCreate,
    SkuFilter,
    SkuUpdate,
)
from storeloop.errors import (
    FieldError,
    InvalidInput,
    check_references,
    flush_or_conflict,
    get_or_raise,
    save_changes,
)
from storeloop.filtering import apply_filters


def counts(session: Session) -> dict[str, int]:
    return {
        "categories": session.scalar(select(func.count()).select_from(Category)) or 0,
        "products": session.scalar(select(func.count()).select_from(Product)) or 0,
        "skus": session.scalar(select(func.count()).select_from(Sku)) or 0,
    }


# Categories


def category_query(filters: CategoryFilter) -> Select[tuple[Category]]:
    return apply_filters(
        select(Category), Category, filters, search=(Category.name, Category.name_en)
    )


def get_category(session: Session, category_id: int) -> Category:
    return get_or_raise(session, Category, category_id)


def create_category(session: Session, data: CategoryCreate) -> Category:
    check_references(session, {"parent_id": (Category, data.parent_id)})
    category = Category(**data.model_dump())
    session.add(category)
    flush_or_conflict(session)
    return category


def update_category(session: Session, category_id: int, patch: CategoryUpdate) -> Category:
    category = get_category(session, category_id)
    changes = patch.model_dump()
    if changes.get("parent_id") is not None:
        _check_parent(session, category, changes["parent_id"])
    return save_changes(session, category, changes)


def _check_parent(session: Session, category: Category, parent_id: int) -> None:
    """A new parent must exist and must not sit below the category: the tree stays a tree."""
    check_references(session, {"parent_id": (Category, parent_id)})
    ancestor: int | None = parent_id
    while ancestor is not None:
        if ancestor == category.id:
            raise InvalidInput(
                [FieldError("parent_id", "a category cannot be placed under itself")]
            )
        ancestor = session.scalar(select(Category.parent_id).where(Category.id == ancestor))


# Products


def product_query(filters: ProductFilter) -> Select[tuple[Product]]:
    return apply_filters(select(Product), Product, filters, search=(Product.name, Product.name_en))


def get_product(session: Session, product_id: int) -> Product:
    """The product with its SKUs and certificates, loaded up front as its detail read shows them."""
    return get_or_raise(
        session,
        Product,
        product_id,
        options=[selectinload(Product.skus), selectinload(Product.certificates)],
    )


def create_product(session: Session, data: ProductCreate) -> Product:
    check_references(session, {"category_id": (Category, data.category_id)})
    product = Product(**data.model_dump())
    session.add(product)
    flush_or_conflict(session)
    return product


def update_product(session: Session, product_id: int, patch: ProductUpdate) -> Product:
    product = get_product(session, product_id)
    changes = patch.model_dump()
    if "category_id" in changes:
        check_references(session, {"category_id": (Category, changes["category_id"])})
    return save_changes(session, product, changes)


# SKUs


def sku_query(filters: SkuFilter) -> Select[tuple[Sku]]:
    return apply_filters(select(Sku), Sku, filters)


def get_sku(session: Session, sku_id: int) -> Sku:
    return get_or_raise(session, Sku, sku_id)


def create_sku(session: Session, data: SkuCreate) -> Sku:
    check_references(session, {"product_id": (Product, data.product_id)})
    sku = Sku(**data.model_dump())
    session.add(sku)
    flush_or_conflict(session)
    return sku


def update_sku(session: Session, sku_id: int, patch: SkuUpdate) -> Sku:
    sku = get_sku(session, sku_id)
    return save_changes(session, sku, patch.model_dump())

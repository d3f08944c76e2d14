"""Catalog endpoints. Reads are public (a storefront needs them), writes need an admin token.

Every route still resolves the caller, so a bad token is refused even on a public read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from storeloop.catalog import service
from storeloop.catalog.models import Product
from storeloop.catalog.schemas import (
    CategoryCreate,
    CategoryFilter,
    CategoryRead,
    CategoryUpdate,
    ProductCreate,
    ProductDetail,
    ProductFilter,
    ProductRead,
    ProductUpdate,
    SkuCreate,
    SkuFilter,
    SkuRead,
    SkuUpdate,
)
from storeloop.schemas import Page
from storeloop.web.deps import ADMIN, CallerDep, IdPath, SessionDep, get_caller
from storeloop.web.pagination import paginate

router = APIRouter(tags=["catalog"], dependencies=[Depends(get_caller)])


@router.get("/categories", summary="List categories (public)")
def list_categories(
    session: SessionDep, filters: Annotated[CategoryFilter, Query()]
) -> Page[CategoryRead]:
    return paginate(session, service.category_query(filters), filters, CategoryRead.model_validate)


@router.get("/categories/{category_id}", summary="Get a category (public)")
def get_category(session: SessionDep, category_id: IdPath) -> CategoryRead:
    return CategoryRead.model_validate(service.get_category(session, category_id))


@router.post("/categories", status_code=201, dependencies=ADMIN, summary="Create a category")
def create_category(session: SessionDep, body: CategoryCreate) -> CategoryRead:
    return CategoryRead.model_validate(service.create_category(session, body))


@router.patch("/categories/{category_id}", dependencies=ADMIN, summary="Update a category")
def update_category(session: SessionDep, category_id: IdPath, body: CategoryUpdate) -> CategoryRead:
    return CategoryRead.model_validate(service.update_category(session, category_id, body))


@router.get("/products", summary="List products (public)")
def list_products(
    session: SessionDep, filters: Annotated[ProductFilter, Query()]
) -> Page[ProductRead]:
    return paginate(session, service.product_query(filters), filters, ProductRead.model_validate)


def _detail(product: Product, is_admin: bool) -> ProductDetail:
    detail = ProductDetail.model_validate(product)
    return detail.model_copy(update={"skus": [s.for_caller(is_admin) for s in detail.skus]})


@router.get("/products/{product_id}", summary="Get a product with its SKUs and certificates")
def get_product(session: SessionDep, caller: CallerDep, product_id: IdPath) -> ProductDetail:
    return _detail(service.get_product(session, product_id), caller.is_admin)


@router.post("/products", status_code=201, dependencies=ADMIN, summary="Create a product")
def create_product(session: SessionDep, body: ProductCreate) -> ProductDetail:
    return _detail(service.create_product(session, body), is_admin=True)


@router.patch("/products/{product_id}", dependencies=ADMIN, summary="Update a product")
def update_product(session: SessionDep, product_id: IdPath, body: ProductUpdate) -> ProductDetail:
    return _detail(service.update_product(session, product_id, body), is_admin=True)


@router.get("/skus", summary="List SKUs (public; cost only for admins)")
def list_skus(
    session: SessionDep, caller: CallerDep, filters: Annotated[SkuFilter, Query()]
) -> Page[SkuRead]:
    return paginate(
        session,
        service.sku_query(filters),
        filters,
        lambda sku: SkuRead.model_validate(sku).for_caller(caller.is_admin),
    )


@router.get("/skus/{sku_id}", summary="Get a SKU (public; cost only for admins)")
def get_sku(session: SessionDep, caller: CallerDep, sku_id: IdPath) -> SkuRead:
    return SkuRead.model_validate(service.get_sku(session, sku_id)).for_caller(caller.is_admin)


@router.post("/skus", status_code=201, dependencies=ADMIN, summary="Create a SKU")
def create_sku(session: SessionDep, body: SkuCreate) -> SkuRead:
    return SkuRead.model_validate(service.create_sku(session, body))


@router.patch("/skus/{sku_id}", dependencies=ADMIN, summary="Update a SKU")
def update_sku(session: SessionDep, sku_id: IdPath, body: SkuUpdate) -> SkuRead:
    return SkuRead.model_validate(service.update_sku(session, sku_id, body))

"""Catalog request and response bodies, and the list filters.

Update bodies use the ``MISSING`` sentinel: an omitted field is left alone, while an explicit
``null`` is only accepted where the column is nullable (and is refused, naming the field,
elsewhere).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import MISSING, Field, JsonValue, StringConstraints

from storeloop.schemas import (
    MAX_INT32,
    Amount,
    Currency,
    Id,
    PageParams,
    ReadModel,
    WriteModel,
    text,
)

Slug = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]
SkuCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
CategoryName = Annotated[str, text(128, min_length=1)]
ProductName = Annotated[str, text(255, min_length=1)]
Weight = Annotated[int, Field(strict=True, ge=0, le=MAX_INT32, description="grams")]
Attributes = dict[Annotated[str, text(64, min_length=1)], JsonValue]
Tags = Annotated[
    list[Annotated[str, text(64, min_length=1)]],
    Field(max_length=50, description="matched by offers' products.tags", examples=[["new"]]),
]


class CategoryCreate(WriteModel):
    slug: Slug
    name: CategoryName
    name_en: Annotated[str, text(128)] = ""
    parent_id: Id | None = None


class CategoryUpdate(WriteModel):
    slug: Slug | MISSING = MISSING
    name: CategoryName | MISSING = MISSING
    name_en: Annotated[str, text(128)] | MISSING = MISSING
    parent_id: Id | MISSING | None = MISSING


class CategoryRead(ReadModel):
    id: int
    parent_id: int | None
    slug: str
    name: str
    name_en: str
    created_at: datetime


class CategoryFilter(PageParams):
    parent_id: Id | None = None
    q: Annotated[str, text(128, min_length=1)] | None = Field(
        None, description="name (Chinese or English) contains, case-insensitive"
    )


class ProductCreate(WriteModel):
    category_id: Id
    name: ProductName
    name_en: Annotated[str, text(255)] = ""
    brand: Annotated[str, text(128)] = ""
    description: Annotated[str, text(20_000)] = ""
    tags: Tags = Field(default_factory=list)
    is_active: bool = True


class ProductUpdate(WriteModel):
    category_id: Id | MISSING = MISSING
    name: ProductName | MISSING = MISSING
    name_en: Annotated[str, text(255)] | MISSING = MISSING
    brand: Annotated[str, text(128)] | MISSING = MISSING
    description: Annotated[str, text(20_000)] | MISSING = MISSING
    tags: Tags | MISSING = MISSING
    is_active: bool | MISSING = MISSING


class ProductRead(ReadModel):
    id: int
    category_id: int
    name: str
    name_en: str
    brand: str
    description: str
    tags: list[str]
    is_active: bool
    created_at: datetime


class ProductFilter(PageParams):
    category_id: Id | None = None
    q: Annotated[str, text(255, min_length=1)] | None = Field(
        None, description="name (Chinese or English) contains, case-insensitive"
    )
    brand: Annotated[str, text(128, min_length=1)] | None = None
    is_active: bool | None = None


class SkuCreate(WriteModel):
    product_id: Id
    code: SkuCode
    name: ProductName
    list_price: Amount
    cost: Amount
    currency: Currency = "CNY"
    weight_g: Weight = 0
    attributes: Attributes = Field(default_factory=dict, examples=[{"size": "M", "colour": "红"}])
    is_presale: bool = False
    is_dropship: bool = False
    is_active: bool = True


class SkuUpdate(WriteModel):
    """A SKU stays with its product; moving it would rewrite the history of orders that name it."""

    code: SkuCode | MISSING = MISSING
    name: ProductName | MISSING = MISSING
    list_price: Amount | MISSING = MISSING
    cost: Amount | MISSING = MISSING
    currency: Currency | MISSING = MISSING
    weight_g: Weight | MISSING = MISSING
    attributes: Attributes | MISSING = MISSING
    is_presale: bool | MISSING = MISSING
    is_dropship: bool | MISSING = MISSING
    is_active: bool | MISSING = MISSING


class SkuRead(ReadModel):
    id: int
    product_id: int
    code: str
    name: str
    list_price: int = Field(description="minor units")
    cost: int | None = Field(description="minor units; null unless the caller is an admin")
    currency: str
    weight_g: int
    attributes: dict[str, JsonValue]
    is_presale: bool
    is_dropship: bool
    is_active: bool
    created_at: datetime

    def for_caller(self, is_admin: bool) -> SkuRead:
        """Cost reveals margins, so anonymous catalogue readers get everything but it."""
        return self if is_admin else self.model_copy(update={"cost": None})


class SkuFilter(PageParams):
    product_id: Id | None = None
    code: SkuCode | None = None
    is_presale: bool | None = None
    is_dropship: bool | None = None
    is_active: bool | None = None


class CertificateRead(ReadModel):
    id: int
    product_id: int
    kind: str
    number: str
    issuer: str
    valid_until: date | None


class ProductDetail(ProductRead):
    skus: list[SkuRead]
    certificates: list[CertificateRead]

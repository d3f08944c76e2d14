"""Builds the catalog tables and the per-SKU facts the order generator samples from.

The catalog is a few hundred rows, so it is built row by row from catalog_data; what matters
for speed is that it hands the generator flat numpy arrays (price, category, popularity,
season, launch time) indexed by SKU position, SKU id = position + 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from storeloop.demo import columns
from storeloop.demo.catalog_data import (
    APPAREL_COLOURS,
    APPAREL_SIZES,
    BRAND,
    CATEGORIES,
    CERTIFICATE_ISSUERS,
    CERTIFICATE_KINDS,
    PARENTS,
    PHONE_MODELS,
    SEASONS,
    CategorySpec,
)
from storeloop.demo.partners import SUPPLIERS
from storeloop.demo.randomness import stream
from storeloop.demo.seasonality import DAY_US, HOUR_US, Calendar

_PHONE_MODEL_SHARE = np.array([0.32, 0.22, 0.2, 0.14, 0.12])
_NEW_PRODUCTS = 6  # launched during the history, sold by presale at first
_POPULARITY_EXPONENT = 1.1  # Zipf exponent over products within a category


@dataclass(frozen=True)
class Catalog:
    tables: dict[str, pa.Table]
    # Per SKU, indexed by position (id - 1).
    category: np.ndarray
    product: np.ndarray
    price: np.ndarray
    cost: np.ndarray
    season: np.ndarray
    launch_us: np.ndarray
    from_start: np.ndarray  # on sale before the history begins
    presale: np.ndarray
    dropship: np.ndarray
    popularity: np.ndarray  # base share of lines: category share × Zipf rank × variant share
    phone_model: np.ndarray  # index into PHONE_MODELS, -1 if not a phone accessory
    supplier: np.ndarray  # index into SUPPLIERS
    fallback: np.ndarray  # best-selling SKU of the same category on sale from the start
    # Per leaf category (CATEGORIES order).
    category_share: np.ndarray
    age_affinity: np.ndarray
    female_affinity: np.ndarray
    pet_only: np.ndarray
    consumable: np.ndarray
    apparel: np.ndarray
    return_rate: np.ndarray

    @property
    def size(self) -> int:
        return len(self.price)


def _charm_price(yuan: float) -> int:
    """Shop prices end in 9 or .9 (¥49.9, ¥199); returns fen."""
    if yuan < 100:
        return int(yuan) * 100 + 90
    return (int(yuan / 10) * 10 + 9) * 100


def _variants(spec: CategorySpec, rng: np.random.Generator) -> list[tuple[str, dict, float, float]]:
    """(label, attributes, price factor, popularity share) of one product's SKUs."""
    if spec.kind == "apparel":
        colours = rng.choice(len(APPAREL_COLOURS), size=2, replace=False)
        return [
            (
                f"{APPAREL_COLOURS[c][0]} {size}",
                {"color": APPAREL_COLOURS[c][0], "size": size},
                1.0,
                s * cs,
            )
            for c, cs in zip(colours, (0.6, 0.4), strict=True)
            for size, s in APPAREL_SIZES
        ]
    if spec.kind == "phone":
        return [
            (model, {"model": model}, 1.0, float(share))
            for model, share in zip(PHONE_MODELS, _PHONE_MODEL_SHARE, strict=True)
        ]
    count = int(rng.integers(1, len(spec.variants) + 1))
    shares = 0.55 ** np.arange(count)
    return [
        (zh, {"spec": zh}, factor, float(share / shares.sum()))
        for (zh, _en, factor), share in zip(spec.variants[:count], shares, strict=True)
    ]


def _certificate_number(kind: str, issued: date, rng: np.random.Generator) -> str:
    serial = int(rng.integers(0, 10**10))
    if kind == "CCC":
        return f"{issued.year}01{serial:010d}"
    if kind == "CE":
        return f"CE-{issued.year}-{serial % 10**6:06d}"
    return f"QC{issued:%Y%m%d}{serial % 10**5:05d}"


def build_catalog(seed: int, calendar: Calendar) -> Catalog:
    rng = stream(seed, "catalog")
    # Dates depend on the history's length; drawing them from their own stream keeps the
    # assortment (ids, names, prices) the same for every store size with the same seed.
    dated = stream(seed, "catalog", 1)
    start = calendar.start

    parent_ids = {p.slug: i + 1 for i, p in enumerate(PARENTS)}
    categories = {
        "id": list(range(1, len(PARENTS) + len(CATEGORIES) + 1)),
        "parent_id": [None] * len(PARENTS) + [parent_ids[c.parent] for c in CATEGORIES],
        "slug": [p.slug for p in PARENTS] + [c.slug for c in CATEGORIES],
        "name": [p.name for p in PARENTS] + [c.name for c in CATEGORIES],
        "name_en": [p.name_en for p in PARENTS] + [c.name_en for c in CATEGORIES],
    }

    products: dict[str, list] = {k: [] for k in ("id", "category_id", "name", "name_en", "launch")}
    skus: dict[str, list] = {
        k: []
        for k in (
            *("product_id", "code", "name", "price", "cost", "weight", "attributes"),
            *("category", "season", "share", "phone_model", "supplier"),
        )
    }
    certificates: dict[str, list] = {
        k: [] for k in ("product_id", "kind", "number", "issuer", "valid_until")
    }
    product_rank: list[int] = []
    for c, spec in enumerate(CATEGORIES):
        ranks = rng.permutation(len(spec.products))
        makers = [i for i, s in enumerate(SUPPLIERS) if spec.slug in s.categories]
        for p, product in enumerate(spec.products):
            product_id = len(products["id"]) + 1
            products["id"].append(product_id)
            products["category_id"].append(len(PARENTS) + c + 1)
            products["name"].append(product.name)
            products["name_en"].append(product.name_en)
            products["launch"].append(-int(rng.integers(30, 700)))
            product_rank.append(int(ranks[p]))
            base_yuan = float(np.exp(rng.uniform(*np.log(spec.price_yuan))))
            base_weight = float(np.exp(rng.uniform(*np.log(spec.weight_g))))
            popularity = (ranks[p] + 1.0) ** -_POPULARITY_EXPONENT
            cost_ratio = rng.uniform(0.30, 0.60)
            for v, (label, attributes, factor, share) in enumerate(_variants(spec, rng)):
                price = _charm_price(base_yuan * factor)
                skus["product_id"].append(product_id)
                skus["code"].append(f"QM{product_id:04d}-{v + 1:02d}")
                skus["name"].append(f"{product.name} {label}")
                skus["price"].append(price)
                skus["cost"].append(round(price * cost_ratio))
                skus["weight"].append(round(base_weight * factor))
                skus["attributes"].append(json.dumps(attributes))
                skus["category"].append(c)
                skus["season"].append(SEASONS.index(product.season))
                skus["share"].append(popularity * share)
                skus["phone_model"].append(
                    PHONE_MODELS.index(attributes["model"]) if "model" in attributes else -1
                )
                skus["supplier"].append(makers[p % len(makers)])
            for kind in product.certificates:
                issued = start + timedelta(days=int(dated.integers(-400, calendar.days - 60)))
                lifetime = {"CCC": 5 * 365, "CE": None, "QC": 365}[kind]
                certificates["product_id"].append(product_id)
                certificates["kind"].append(CERTIFICATE_KINDS[kind])
                certificates["number"].append(_certificate_number(kind, issued, dated))
                issuers = CERTIFICATE_ISSUERS[kind]
                certificates["issuer"].append(issuers[int(dated.integers(len(issuers)))])
                certificates["valid_until"].append(
                    None if lifetime is None else issued + timedelta(days=lifetime)
                )

    n_products = len(products["id"])
    rank = np.array(product_rank)
    product_category = np.array(products["category_id"]) - len(PARENTS) - 1
    # New products are launched during the history from mid-ranked candidates and sold by
    # presale first ("order first, produce later", S1.3a); the top seller of each category is
    # always on sale from the start so the generator has a fallback.
    candidates = np.flatnonzero(rank >= 1)
    new = rng.choice(candidates, size=_NEW_PRODUCTS, replace=False)
    launch_day = np.array(products["launch"])
    launch_day[new] = dated.integers(
        calendar.days // 10, max(calendar.days * 4 // 5, 2), size=len(new)
    )
    hero = np.array(
        [
            np.flatnonzero((product_category == category_index(slug)) & (rank == 0))[0]
            for slug in ("outerwear", "skincare")
        ]
    )
    presale_products = np.concatenate([new, hero])
    # Long tail: the least popular product of each category, plus the modular storage cabinet
    # of the case study, ship straight from the supplier (一件代发).
    last_rank = np.array([rank[product_category == c].max() for c in product_category])
    dropship_products = (rank == last_rank) | (np.arange(n_products) == _first_product("storage"))

    sku_product = np.array(skus["product_id"]) - 1
    sku_category = np.array(skus["category"])
    share = np.array(skus["share"])
    category_share = np.array([c.share for c in CATEGORIES])
    share = share / np.bincount(sku_category, weights=share)[sku_category]
    popularity = share * category_share[sku_category]
    product_launch_us = calendar.day0_us + launch_day * DAY_US + 9 * HOUR_US
    launch_us = product_launch_us[sku_product]
    n_skus = len(sku_product)
    fallback = np.empty(n_skus, dtype=np.int64)
    for c in range(len(CATEGORIES)):
        in_category = np.flatnonzero(sku_category == c)
        on_sale = in_category[launch_day[sku_product[in_category]] < 0]
        fallback[in_category] = on_sale[np.argmax(popularity[on_sale])]

    category_created = np.full(len(categories["id"]), calendar.day0_us - 800 * DAY_US)
    description = [
        f"{BRAND}｜{name}｜{CATEGORIES[c].name}"
        for name, c in zip(products["name"], product_category, strict=True)
    ]
    presale_sku = np.isin(sku_product, presale_products)
    dropship_sku = dropship_products[sku_product]
    tables = {
        "categories": pa.table({**categories, "created_at": columns.timestamps(category_created)}),
        "products": pa.table(
            {
                "id": pa.array(products["id"], pa.int64()),
                "category_id": pa.array(products["category_id"], pa.int64()),
                "name": products["name"],
                "name_en": products["name_en"],
                "brand": [BRAND] * n_products,
                "description": description,
                "is_active": [True] * n_products,
                "created_at": columns.timestamps(product_launch_us),
                "tags": ["[]"] * n_products,
            }
        ),
        "skus": pa.table(
            {
                "id": pa.array(np.arange(1, n_skus + 1)),
                "product_id": pa.array(sku_product + 1),
                "code": skus["code"],
                "name": skus["name"],
                "list_price": pa.array(skus["price"], pa.int64()),
                "cost": pa.array(skus["cost"], pa.int64()),
                "currency": ["CNY"] * n_skus,
                "weight_g": pa.array(skus["weight"], pa.int64()),
                "attributes": skus["attributes"],
                "is_presale": pa.array(presale_sku),
                "is_dropship": pa.array(dropship_sku),
                "is_active": [True] * n_skus,
                "created_at": columns.timestamps(launch_us),
            }
        ),
        "certificates": pa.table(
            {
                "id": pa.array(np.arange(1, len(certificates["kind"]) + 1)),
                "product_id": pa.array(certificates["product_id"], pa.int64()),
                "kind": certificates["kind"],
                "number": certificates["number"],
                "issuer": certificates["issuer"],
                "valid_until": pa.array(certificates["valid_until"], pa.date32()),
            }
        ),
    }
    return Catalog(
        tables=tables,
        category=sku_category,
        product=sku_product,
        price=np.array(skus["price"], dtype=np.int64),
        cost=np.array(skus["cost"], dtype=np.int64),
        season=np.array(skus["season"]),
        launch_us=launch_us,
        from_start=launch_day[sku_product] < 0,
        presale=presale_sku,
        dropship=dropship_sku,
        popularity=popularity,
        phone_model=np.array(skus["phone_model"]),
        supplier=np.array(skus["supplier"]),
        fallback=fallback,
        category_share=category_share,
        age_affinity=np.array([c.age_affinity for c in CATEGORIES]),
        female_affinity=np.array([c.female_affinity for c in CATEGORIES]),
        pet_only=np.array([c.pet for c in CATEGORIES]),
        consumable=np.array([c.consumable for c in CATEGORIES]),
        apparel=np.array([c.kind == "apparel" for c in CATEGORIES]),
        return_rate=np.array([c.return_rate for c in CATEGORIES]),
    )


def _first_product(slug: str) -> int:
    """Position of the first product of a category (products are laid out category by category)."""
    position = 0
    for spec in CATEGORIES:
        if spec.slug == slug:
            return position
        position += len(spec.products)
    raise KeyError(slug)


def category_index(slug: str) -> int:
    return next(i for i, c in enumerate(CATEGORIES) if c.slug == slug)

"""The store's own tables as the analyses read them, from a Parquet snapshot or the live database.

The store keeps ids, integer fen and UTC instants, spread over a dozen normalised tables. The
store-level analyses (KPIs, funnels, cohorts, segments, ABC × XYZ) want paid orders with their
customer's region, order lines with their SKU code and category, and times on the shop's own
clock — a purchase at 23:30 in Shanghai belongs to that Shanghai day, not to the UTC one. That
translation happens once, here; every analysis then reads the canonical columns below, with the
names of :mod:`storeloop.analytics.canonical` where the two overlap.

Time zones are converted in Arrow before the engine sees the data: DuckDB and Spark would each
convert an instant to a wall-clock time in their *session* time zone, which differs by machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storeloop.analytics.canonical import DECIMAL_TYPE
from storeloop.analytics.engines import hold_arrow
from storeloop.analytics.errors import InputError
from storeloop.analytics.exprs import left_join_using

SHOP_TIMEZONE = "Asia/Shanghai"
_ID = pa.int64()
_TEXT = pa.string()
_INSTANT = pa.timestamp("us", tz="UTC")

RAW_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "orders": {
        "id": _ID,
        "customer_id": _ID,
        "channel": _TEXT,
        "device": _TEXT,
        "total_amount": _ID,
        "placed_at": _INSTANT,
        "paid_at": _INSTANT,
    },
    "order_lines": {
        "id": _ID,
        "order_id": _ID,
        "sku_id": _ID,
        "quantity": _ID,
        "unit_price": _ID,
        "discount_amount": _ID,
    },
    "customers": {
        "id": _ID,
        "region": _TEXT,
        "province": _TEXT,
        "birth_date": pa.date32(),
        "channel": _TEXT,
        "signed_up_at": _INSTANT,
    },
    "skus": {"id": _ID, "product_id": _ID, "code": _TEXT},
    "products": {"id": _ID, "category_id": _ID},
    "categories": {"id": _ID, "slug": _TEXT},
    "events": {
        "type": _TEXT,
        "occurred_at": _INSTANT,
        "visitor_id": _TEXT,
        "customer_id": _ID,
        "channel": _TEXT,
        "device": _TEXT,
        "sku_id": _ID,
        "order_id": _ID,
    },
    "returns": {
        "order_line_id": _ID,
        "quantity": _ID,
        "refund_amount": _ID,
        "created_at": _INSTANT,
    },
}
"""The store columns the analyses read, by table, with the Arrow type each is read as."""
OPTIONAL_TABLES = frozenset({"events", "returns"})
"""A store without behavioural events or returns still has orders to analyse."""


class Fact(StrEnum):
    """What an analysis may need beyond paid orders (customer, time, amount)."""

    EVENTS = "events"
    """The event stream: UV, conversion, funnels."""
    RETURNS = "returns"
    """Returned units."""
    REFUNDS = "refunds"
    """Refunded amounts."""
    QUANTITIES = "quantities"
    """Units per order line."""
    LINE_AMOUNTS = "line_amounts"
    """Revenue per SKU (ABC × XYZ)."""
    BASKETS = "baskets"
    """Which SKUs were bought in one order (association rules)."""
    CATEGORIES = "categories"
    DEVICES = "devices"
    CHANNELS = "channels"
    REGIONS = "regions"
    PROFILES = "profiles"
    """Customers' birth dates and home regions (personas)."""


@dataclass(frozen=True)
class StoreTables:
    """Canonical store tables, all held by one Ibis backend.

    - ``orders`` — **fully paid** orders only (an unpaid or deposit-only order is not a sale):
      order_id, customer_id, ordered_at (placed, shop time), amount (decimal yuan: goods −
      discounts + shipping), channel, device, region (the customer's macro region).
    - ``order_lines`` — lines of those orders, with the order's columns copied onto each line:
      order_id, customer_id, ordered_at, channel, device, region, sku (code), category (slug of
      the product's category), quantity, amount (unit price × quantity − the line's discount).
    - ``customers`` — customer_id, region, province, birth_date, channel (acquisition),
      signed_up_at.
    - ``events`` — visitor_id, customer_id, occurred_at, event (visit, product_view, search,
      add_to_cart, checkout_start, payment), channel, device, sku, category, order_id; or None.
    - ``returns`` — returns of those lines: order_id, sku, category, quantity, amount (refund),
      returned_at; or None.

    Tables built from a merchant's export (:mod:`storeloop.analytics.export_store`) hold less:
    ``missing`` names each :class:`Fact` they lack and why, and the columns for it are absent
    or null.
    """

    orders: ir.Table
    order_lines: ir.Table
    customers: ir.Table
    events: ir.Table | None = None
    returns: ir.Table | None = None
    missing: Mapping[Fact, str] = field(default_factory=dict)

    def lacks(self) -> dict[Fact, str]:
        """Every fact these tables do not hold → why, so an analysis that needs one is skipped
        with that reason rather than run on blanks."""
        lacking = dict(self.missing)
        if self.events is None:
            lacking.setdefault(Fact.EVENTS, "there is no event stream")
        if self.returns is None:
            lacking.setdefault(Fact.RETURNS, "there is no returns table")
        return lacking


def read_store_parquet(
    directory: Path, con: ibis.BaseBackend, *, timezone: str = SHOP_TIMEZONE
) -> StoreTables:
    """Load a snapshot written by ``storeloop seed`` (one ``<table>.parquet`` file or directory
    of parts per store table)."""
    raw: dict[str, pa.Table] = {}
    for name, columns in RAW_COLUMNS.items():
        path = next(
            (p for p in (directory / f"{name}.parquet", directory / name) if p.exists()), None
        )
        if path is None:
            if name in OPTIONAL_TABLES:
                continue
            raise InputError(f"{directory}: no {name}.parquet (a store snapshot needs {name})")
        table = pq.read_table(path, columns=list(columns))
        raw[name] = pa.table({c: table[c].cast(t) for c, t in columns.items()})
    return store_tables(raw, con, timezone=timezone)


def read_store_database(
    url: str,
    con: ibis.BaseBackend,
    *,
    timezone: str = SHOP_TIMEZONE,
    chunk_rows: int = 100_000,
) -> StoreTables:
    """Load the store database (SQLite or PostgreSQL) as Arrow batches of ``chunk_rows`` rows.

    See :mod:`storeloop.analytics.store_db` for why the Arrow database drivers read it.
    """
    from storeloop.analytics.store_db import read_database_tables
    from storeloop.models import Base

    raw = read_database_tables(url, RAW_COLUMNS, Base.metadata.tables, chunk_rows=chunk_rows)
    return store_tables(raw, con, timezone=timezone)


def store_tables(
    raw: Mapping[str, pa.Table], con: ibis.BaseBackend, *, timezone: str = SHOP_TIMEZONE
) -> StoreTables:
    """Register raw store tables (the columns of :data:`RAW_COLUMNS`) in ``con``, canonicalised."""
    held = {
        name: hold_arrow(con, name, _on_shop_clock(table, timezone)) for name, table in raw.items()
    }
    customers = held["customers"].select(
        customer_id=held["customers"].id.cast("string"),
        region=held["customers"].region,
        province=held["customers"].province,
        birth_date=held["customers"].birth_date,
        channel=held["customers"].channel,
        signed_up_at=held["customers"].signed_up_at,
    )
    orders = _paid_orders(held["orders"], customers)
    skus = _sku_categories(held["skus"], held["products"], held["categories"])
    lines = _lines(held["order_lines"], orders, skus)
    return StoreTables(
        orders=orders,
        order_lines=lines.drop("line_id"),
        customers=customers,
        events=_events(held["events"], skus) if "events" in held else None,
        returns=_returns(held["returns"], lines) if "returns" in held else None,
    )


def _on_shop_clock(table: pa.Table, timezone: str) -> pa.Table:
    """UTC instants as naive wall-clock times of the shop; naive inputs are taken to be UTC."""
    for index, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type):
            utc = table.column(index).cast(pa.timestamp("us")).cast(_INSTANT)
            local = pc.local_timestamp(utc.cast(pa.timestamp("us", tz=timezone)))
            table = table.set_column(index, column.name, local)
    return table


def _money(minor_units: ir.IntegerValue) -> ir.DecimalValue:
    """Fen to yuan, exactly (a decimal product, not a float division)."""
    return (minor_units.cast(DECIMAL_TYPE) * ibis.literal(Decimal("0.01"), DECIMAL_TYPE)).cast(
        DECIMAL_TYPE
    )


def _paid_orders(orders: ir.Table, customers: ir.Table) -> ir.Table:
    paid = orders.filter(orders.paid_at.notnull())
    paid = paid.select(
        order_id=paid.id.cast("string"),
        customer_id=paid.customer_id.cast("string"),
        ordered_at=paid.placed_at,
        amount=_money(paid.total_amount),
        channel=paid.channel,
        device=paid.device,
    )
    return left_join_using(paid, customers.select("customer_id", "region"), "customer_id")


def _sku_categories(skus: ir.Table, products: ir.Table, categories: ir.Table) -> ir.Table:
    """SKU id → code and the slug of its product's category."""
    named = skus.select(sku_id="id", sku="code", product_id="product_id").join(
        products.select(product_id="id", category_id="category_id"), "product_id"
    )
    named = named.join(categories.select(category_id="id", category="slug"), "category_id")
    return named.select("sku_id", "sku", "category")


def _lines(lines: ir.Table, orders: ir.Table, skus: ir.Table) -> ir.Table:
    """Lines of paid orders, the order's columns copied on, keyed by ``line_id`` for returns."""
    lines = lines.select(
        line_id="id",
        order_id=lines.order_id.cast("string"),
        sku_id="sku_id",
        quantity="quantity",
        amount=_money(lines.unit_price * lines.quantity - lines.discount_amount),
    )
    order_columns = orders.drop("amount")
    joined = lines.join(order_columns, "order_id").join(skus, "sku_id")
    return joined.select(
        "line_id",
        "order_id",
        "customer_id",
        "ordered_at",
        "channel",
        "device",
        "region",
        "sku",
        "category",
        "quantity",
        "amount",
    )


def _events(events: ir.Table, skus: ir.Table) -> ir.Table:
    with_sku = left_join_using(events, skus, "sku_id")
    return with_sku.select(
        visitor_id=with_sku.visitor_id,
        customer_id=with_sku.customer_id.cast("string"),
        occurred_at=with_sku.occurred_at,
        event=with_sku.type,
        channel=with_sku.channel,
        device=with_sku.device,
        sku=with_sku.sku,
        category=with_sku.category,
        order_id=with_sku.order_id.cast("string"),
    )


def _returns(returns: ir.Table, lines: ir.Table) -> ir.Table:
    """Returns of paid orders' lines; the line gives the order, SKU and category."""
    joined = returns.rename(line_id="order_line_id").join(
        lines.select("line_id", "order_id", "sku", "category"), "line_id"
    )
    return joined.select(
        "order_id",
        "sku",
        "category",
        quantity=joined.quantity,
        amount=_money(joined.refund_amount),
        returned_at=joined.created_at,
    )

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

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

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
    """The store of a snapshot written by ``storeloop seed`` (one ``<table>.parquet`` file or
    directory of parts per store table).

    On DuckDB nothing is read here: each store table becomes a view over its files, and an
    analysis reads only the columns (and row groups) its query needs, when it runs. So CLV
    reads four columns of the orders, and the event stream, which can be far larger than
    memory, is scanned by the engine rather than held in Python. On Spark the columns of
    :data:`RAW_COLUMNS` are read into Arrow and handed over.
    """
    files: dict[str, list[Path]] = {}
    for name in RAW_COLUMNS:
        found = _parquet_files(directory, name)
        if found is None:
            if name in OPTIONAL_TABLES:
                continue
            raise InputError(f"{directory}: no {name}.parquet (a store snapshot needs {name})")
        files[name] = found
    if con.name == "duckdb":
        views = {
            name: _duckdb_view(con, name, paths, RAW_COLUMNS[name], timezone)
            for name, paths in files.items()
        }
        return canonical_tables(views)
    raw: dict[str, pa.Table] = {}
    for name, paths in files.items():
        columns = RAW_COLUMNS[name]
        table = pa.concat_tables(pq.read_table(path, columns=list(columns)) for path in paths)
        raw[name] = pa.table({c: table[c].cast(t) for c, t in columns.items()})
    return store_tables(raw, con, timezone=timezone)


def _parquet_files(directory: Path, name: str) -> list[Path] | None:
    """``<name>.parquet``, or the Parquet parts in ``<name>/`` (hidden and ``_`` files skipped,
    as pyarrow's dataset discovery does); None when the table is absent."""
    single = directory / f"{name}.parquet"
    if single.is_file():
        return [single]
    parts = directory / name
    if not parts.is_dir():
        return None
    found = sorted(
        path
        for path in parts.rglob("*")
        if path.is_file()
        and not any(part.startswith(("_", ".")) for part in path.relative_to(parts).parts)
    )
    return found or None


_DUCKDB_TYPES = {_ID: "BIGINT", _TEXT: "VARCHAR", pa.date32(): "DATE"}


def _duckdb_view(
    con: ibis.BaseBackend,
    name: str,
    paths: list[Path],
    columns: Mapping[str, pa.DataType],
    timezone: str,
) -> ir.Table:
    """A DuckDB view of ``columns`` of the Parquet files, typed as the Arrow loader types them
    and with instants on the shop clock; the files are read when a query runs."""
    schema = pq.read_schema(paths[0])
    absent = [column for column in columns if column not in schema.names]
    if absent:
        raise InputError(f"{paths[0]}: {name} has no column {', '.join(map(repr, absent))}")
    selected = []
    for column, arrow_type in columns.items():
        quoted = _quote_identifier(column)
        if pa.types.is_timestamp(arrow_type):
            value = _shop_clock_sql(quoted, _timestamp_range(paths, column), timezone)
        else:
            value = f"CAST({quoted} AS {_DUCKDB_TYPES[arrow_type]})"
        selected.append(f"{value} AS {quoted}")
    sources = ", ".join(_quote_literal(str(path)) for path in paths)
    unique = f"storeloop_{name}_{uuid.uuid4().hex}"
    # Through raw SQL: Ibis 12's ``con.sql`` calls a cursor method DuckDB 2 no longer has. (The
    # DuckDB backend's raw_sql returns the connection itself, which must stay open.)
    con.raw_sql(
        f"CREATE TEMP VIEW {unique} AS SELECT {', '.join(selected)} FROM read_parquet([{sources}])"
    )
    return con.table(unique)


def _shop_clock_sql(column: str, span: tuple[int, int] | None, timezone: str) -> str:
    """SQL for the shop's wall-clock time of an instant column (naive values are UTC).

    The UTC offsets in force between the column's first and last instant (from the Parquet
    statistics) are added to the epoch microseconds: a constant for most shops, a few cases
    for a zone with daylight saving. That costs a quarter of DuckDB's time-zone conversion,
    which every query over the view would pay. Without statistics, that conversion is used.
    """
    offsets = None if span is None else utc_offsets(span[0], span[1], timezone)
    if offsets is None:
        utc = f"timezone('UTC', CAST({column} AS TIMESTAMP))"
        return f"timezone({_quote_literal(timezone)}, {utc})"
    epoch = f"epoch_us({column})"
    if len(offsets) == 1:
        return f"make_timestamp({epoch} + {offsets[0][1]})"
    cases = " ".join(f"WHEN {epoch} < {start} THEN {offset}" for start, offset in _shifted(offsets))
    return f"make_timestamp({epoch} + CASE {cases} ELSE {offsets[-1][1]} END)"


def _shifted(offsets: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start of the next offset, this offset) for every offset but the last."""
    return [(offsets[i + 1][0], offsets[i][1]) for i in range(len(offsets) - 1)]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MAX_SPAN_DAYS = 200 * 366


def utc_offsets(first_us: int, last_us: int, timezone: str) -> list[tuple[int, int]] | None:
    """The UTC offsets (µs) of ``timezone`` in force from ``first_us`` to ``last_us`` (epoch
    µs): [(from, offset), …], the first from ``first_us``; None beyond 200 years."""
    if last_us < first_us or (last_us - first_us) // 86_400_000_000 > _MAX_SPAN_DAYS:
        return None
    zone = ZoneInfo(timezone)

    def offset(us: int) -> int:
        return (_EPOCH + us * _MICROSECOND).astimezone(zone).utcoffset() // _MICROSECOND

    day = 86_400_000_000
    offsets = [(first_us, offset(first_us))]
    at = first_us
    while at < last_us:
        step = min(at + day, last_us)
        if offset(step) != offsets[-1][1]:
            low, high = at, step  # offset(low) is the current one, offset(high) is not
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == offsets[-1][1] else (low, middle)
            offsets.append((high, offset(high)))
        at = step
    return offsets


def _timestamp_range(paths: list[Path], column: str) -> tuple[int, int] | None:
    """The first and last instant of ``column`` in epoch µs, from the Parquet statistics; None
    when a row group has none (or the column has no values at all)."""
    lows, highs = [], []
    for path in paths:
        metadata = pq.ParquetFile(path).metadata
        index = metadata.schema.to_arrow_schema().get_field_index(column)
        unit = metadata.schema.to_arrow_schema().field(index).type.unit
        scale = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}[unit]
        for group in range(metadata.num_row_groups):
            chunk = metadata.row_group(group).column(index)
            statistics = chunk.statistics
            if chunk.num_values == 0 or (
                statistics is not None and statistics.null_count == chunk.num_values
            ):
                continue
            if statistics is None or not statistics.has_min_max:
                return None
            low, high = statistics.min, statistics.max
            lows.append(_epoch_us(low, scale))
            highs.append(_epoch_us(high, scale))
    if not lows:
        return None
    return min(lows), max(highs)


def _epoch_us(value: object, scale: int | None) -> int:
    """A statistics value (a datetime, or the raw integer) in epoch microseconds."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return (aware - _EPOCH) // _MICROSECOND
    raw = int(value)
    return raw // 1_000 if scale is None else raw * scale


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    return canonical_tables(
        {
            name: hold_arrow(con, name, _on_shop_clock(table, timezone))
            for name, table in raw.items()
        }
    )


def canonical_tables(held: Mapping[str, ir.Table]) -> StoreTables:
    """The canonical tables from the raw ones (:data:`RAW_COLUMNS`, instants on the shop clock)
    held by one backend."""
    customers = held["customers"].select(
        customer_id=held["customers"].id,
        region=held["customers"].region,
        province=held["customers"].province,
        birth_date=held["customers"].birth_date,
        channel=held["customers"].channel,
        signed_up_at=held["customers"].signed_up_at,
    )
    paid = _paid_orders(held["orders"], held["customers"])
    skus = _sku_categories(held["skus"], held["products"], held["categories"])
    lines = _lines(held["order_lines"], paid, skus)
    return StoreTables(
        orders=_canonical_orders(paid),
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
    """Paid orders with their customer's region, keyed by the store's integer ids."""
    paid = orders.filter(orders.paid_at.notnull())
    paid = paid.select(
        order_id=paid.id,
        customer_id=paid.customer_id,
        ordered_at=paid.placed_at,
        total_amount=paid.total_amount,
        channel=paid.channel,
        device=paid.device,
    )
    # One row per id (the store's key) said in a way the engine can see: DuckDB then drops the
    # join from the queries that do not read ``region`` (CLV, RFM, cohorts …).
    regions = customers.group_by(customer_id=customers.id).aggregate(
        region=customers.region.arbitrary()
    )
    return left_join_using(paid, regions, "customer_id")


def _canonical_orders(paid: ir.Table) -> ir.Table:
    return paid.select(
        order_id=paid.order_id,
        customer_id=paid.customer_id,
        ordered_at=paid.ordered_at,
        amount=_money(paid.total_amount),
        channel=paid.channel,
        device=paid.device,
        region=paid.region,
    )


def _sku_categories(skus: ir.Table, products: ir.Table, categories: ir.Table) -> ir.Table:
    """SKU id → code and the slug of its product's category."""
    named = skus.select(sku_id="id", sku="code", product_id="product_id").join(
        products.select(product_id="id", category_id="category_id"), "product_id"
    )
    named = named.join(categories.select(category_id="id", category="slug"), "category_id")
    return named.select("sku_id", "sku", "category")


def _lines(lines: ir.Table, paid: ir.Table, skus: ir.Table) -> ir.Table:
    """Lines of paid orders, the order's columns copied on, keyed by ``line_id`` for returns."""
    lines = lines.select(
        line_id="id",
        order_id="order_id",
        sku_id="sku_id",
        quantity="quantity",
        amount=_money(lines.unit_price * lines.quantity - lines.discount_amount),
    )
    joined = lines.join(paid.drop("total_amount"), "order_id").join(skus, "sku_id")
    return joined.select(
        "line_id",
        order_id=joined.order_id,
        customer_id=joined.customer_id,
        ordered_at=joined.ordered_at,
        channel=joined.channel,
        device=joined.device,
        region=joined.region,
        sku=joined.sku,
        category=joined.category,
        quantity=joined.quantity,
        amount=joined.amount,
    )


def _events(events: ir.Table, skus: ir.Table) -> ir.Table:
    with_sku = left_join_using(events, skus, "sku_id")
    return with_sku.select(
        visitor_id=with_sku.visitor_id,
        customer_id=with_sku.customer_id,
        occurred_at=with_sku.occurred_at,
        event=with_sku.type,
        channel=with_sku.channel,
        device=with_sku.device,
        sku=with_sku.sku,
        category=with_sku.category,
        order_id=with_sku.order_id,
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

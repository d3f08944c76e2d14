"""A merchant's order export as the tables the store analyses read.

The store analyses (KPIs, cohorts, segments, anomalies, ABC × XYZ, baskets) read
:class:`~storeloop.analytics.store.StoreTables`: paid orders, order lines, customers. An export
from another platform has rows of order lines in the canonical columns, and less: no event
stream, no product categories, no customer profiles, and often no channel, SKU or quantity.
This module builds what the export does hold, and records every fact it lacks in
``StoreTables.missing`` with the reason, so the analyses that need one are skipped with that
reason instead of being computed on blanks.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from storeloop.analytics.canonical import DECIMAL_TYPE, SOURCE_FILE, SOURCE_ROW, Transactions
from storeloop.analytics.store import Fact, StoreTables

REQUIRED = ("customer_id", "ordered_at", "amount")
ALWAYS_MISSING: dict[Fact, str] = {
    Fact.EVENTS: "an order export has no event stream (visits, product views, carts)",
    Fact.CATEGORIES: "an order export has no product categories",
    Fact.PROFILES: "an order export has no customer profiles (birth dates)",
    Fact.DEVICES: "an order export has no device per order",
    Fact.REFUNDS: "an order export has returned quantities at most, not refunded amounts",
}
ORDER_COLUMNS = ("channel", "region")
"""Order-level columns (one value per order in canonical.py) carried onto orders and lines."""


def export_store(transactions: Transactions) -> StoreTables:
    """The store tables of an export; every row is a paid sale.

    Rows are grouped into orders by ``order_id``; a row without one (or an export without the
    column) is an order by itself. An order's amount is the sum of its rows'. A line's amount is
    unit_price × quantity, and is only known when the export has both; returned_quantity gives
    the returns. Fails with the column and row when customer_id, ordered_at or amount is missing.
    """
    transactions.require(REQUIRED, "the report")
    rows = transactions.table
    has = set(rows.columns)
    missing = dict(ALWAYS_MISSING)
    for column, fact in (("channel", Fact.CHANNELS), ("region", Fact.REGIONS)):
        if column not in has:
            missing[fact] = f"the export has no '{column}' column"
    if "quantity" not in has:
        missing[Fact.QUANTITIES] = "the export has no 'quantity' column"
    if not {"sku", "quantity", "unit_price"} <= has:
        missing[Fact.LINE_AMOUNTS] = "revenue per SKU needs the columns sku, quantity, unit_price"
    if not {"order_id", "sku"} <= has:
        missing[Fact.BASKETS] = "baskets need the columns order_id and sku"
    if not {"returned_quantity", "quantity"} <= has:
        missing[Fact.RETURNS] = "returns need the columns returned_quantity and quantity"

    carried = [column for column in ORDER_COLUMNS if column in has]
    rows = rows.mutate(order_id=_order_key(rows))
    orders = rows.group_by("order_id").aggregate(
        customer_id=rows.customer_id.min(),
        ordered_at=rows.ordered_at.min(),
        amount=rows.amount.sum().cast(DECIMAL_TYPE),
        **{column: rows[column].min() for column in carried},
    )
    # Cached in the engine: every analysis of the review reads the orders and lines again, and
    # Spark would otherwise regroup the export's rows for each.
    orders = orders.cache()
    order_columns = orders.select("order_id", "customer_id", "ordered_at", *carried)
    lines = (
        rows.select(
            "order_id",
            sku=rows.sku if "sku" in has else ibis.null("string"),
            quantity=rows.quantity if "quantity" in has else ibis.null("int64"),
            amount=_line_amount(rows, rows.quantity if "quantity" in has else None),
            returned_quantity=(
                rows.returned_quantity if "returned_quantity" in has else ibis.null("int64")
            ),
        )
        .join(order_columns, "order_id")
        .cache()
    )
    returns = None
    if Fact.RETURNS not in missing:
        returned = lines.filter(lines.returned_quantity > 0)
        returns = returned.select(
            "order_id", "sku", quantity="returned_quantity", amount=ibis.null(DECIMAL_TYPE)
        )
    return StoreTables(
        orders=orders,
        order_lines=lines.drop("returned_quantity"),
        customers=orders.select("customer_id").distinct(),
        returns=returns,
        missing=missing,
    )


def _order_key(rows: ir.Table) -> ir.StringValue:
    """The order id, or the file row for a row that has none (its own order)."""
    row = "row " + rows[SOURCE_FILE].cast("string") + ":" + rows[SOURCE_ROW].cast("string")
    return rows.order_id.coalesce(row) if "order_id" in rows.columns else row


def _line_amount(rows: ir.Table, quantity: ir.IntegerValue | None) -> ir.DecimalValue:
    if quantity is None or "unit_price" not in rows.columns:
        return ibis.null(DECIMAL_TYPE)
    return (rows.unit_price * quantity).cast(DECIMAL_TYPE)

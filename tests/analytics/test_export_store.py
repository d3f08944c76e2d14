"""An order export as store tables: what it holds, and what it says it lacks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from storeloop.analytics.canonical import load_transactions
from storeloop.analytics.errors import InputError
from storeloop.analytics.export_store import ALWAYS_MISSING, export_store
from storeloop.analytics.kpis import kpis
from storeloop.analytics.store import Fact


def test_order_lines_become_orders_lines_and_returns(tmp_path: Path, con) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,amount,sku,quantity,unit_price,channel,returned_quantity\n"
        "#1,c1,2024-03-04 10:00,97.50,CASE-1,2,39.00,ads,1\n"
        "#1,,,,FILM-1,1,19.50,,\n"
        "#2,c2,2024-03-05 09:00,19.50,FILM-1,1,19.50,search,\n"
    )
    tables = export_store(load_transactions([path], {}, con))
    orders = tables.orders.order_by("order_id").to_pyarrow().to_pylist()
    assert [(o["order_id"], o["customer_id"], o["amount"], o["channel"]) for o in orders] == [
        ("#1", "c1", Decimal("97.5000"), "ads"),
        ("#2", "c2", Decimal("19.5000"), "search"),
    ]
    lines = tables.order_lines.order_by(["order_id", "sku"]).to_pyarrow().to_pylist()
    assert [(line["sku"], line["quantity"], line["amount"]) for line in lines] == [
        ("CASE-1", 2, Decimal("78.0000")),
        ("FILM-1", 1, Decimal("19.5000")),
        ("FILM-1", 1, Decimal("19.5000")),
    ]
    assert lines[1]["channel"] == "ads"  # the order's channel, written on its first line only
    (returned,) = tables.returns.to_pyarrow().to_pylist()
    assert (returned["order_id"], returned["sku"], returned["quantity"]) == ("#1", "CASE-1", 1)
    assert set(tables.lacks()) == set(ALWAYS_MISSING) | {Fact.REGIONS}
    (week,) = kpis(tables, grain="week").to_pyarrow().to_pylist()
    assert (week["orders"], week["gmv"], week["units"], week["returned_units"]) == (
        2, Decimal("117.0000"), 4, 1
    )  # fmt: skip


def test_a_bare_export_is_an_order_per_row_and_lacks_the_rest(tmp_path: Path, con) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,ordered_at,amount\nc1,2024-03-04,10\nc1,2024-03-04,5\nc2,2024-03-06,7\n"
    )
    tables = export_store(load_transactions([path], {}, con))
    assert tables.orders.count().to_pyarrow().as_py() == 3
    assert tables.customers.count().to_pyarrow().as_py() == 2
    assert tables.returns is None
    lacking = tables.lacks()
    assert {Fact.BASKETS, Fact.LINE_AMOUNTS, Fact.QUANTITIES, Fact.RETURNS, Fact.CHANNELS} <= set(
        lacking
    )
    assert "order_id and sku" in lacking[Fact.BASKETS]


def test_an_export_without_amounts_names_the_column(tmp_path: Path, con) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("order_id,customer_id,ordered_at,sku\n#1,c1,2024-03-04,A\n")
    with pytest.raises(InputError, match="the report needs column 'amount'"):
        export_store(load_transactions([path], {}, con))

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storeloop.analytics.canonical import (
    InputError,
    load_transactions,
    parse_map_options,
    resolve_columns,
)

SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Notes,Source,Shipping Province Name"
)


def shopify_row(**cells: str) -> str:
    columns = SHOPIFY_HEADER.split(",")
    unknown = set(cells) - {c.replace(" ", "_").lower() for c in columns}
    assert not unknown, unknown
    return ",".join(cells.get(c.replace(" ", "_").lower(), "") for c in columns)


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(transactions) -> list[dict]:
    return transactions.table.order_by(["source_file", "source_row"]).to_pyarrow().to_pylist()


def test_canonical_names_are_recognised_whatever_their_case(tmp_path: Path, con) -> None:
    path = write(tmp_path / "t.csv", "Customer_ID, Ordered_At ,AMOUNT", "c1,2024-01-02,10.50")
    loaded = load_transactions([path], {}, con)
    assert loaded.files[0].columns == {
        "customer_id": "Customer_ID",
        "ordered_at": " Ordered_At ",
        "amount": "AMOUNT",
    }
    assert rows(loaded) == [
        {
            "customer_id": "c1",
            "ordered_at": datetime(2024, 1, 2),
            "amount": Decimal("10.5000"),
            "source_file": 0,
            "source_row": 2,
        }
    ]


def test_a_shopify_export_is_read_order_by_order(tmp_path: Path, con) -> None:
    """Shopify writes Total, Source and the address on an order's first line only."""
    path = write(
        tmp_path / "orders_export.csv",
        SHOPIFY_HEADER,
        shopify_row(
            name="#1001",
            email="a@example.com",
            financial_status="paid",
            total="25.00",
            created_at="2024-01-15 23:30:00 +0800",
            lineitem_quantity="1",
            lineitem_name="Phone case",
            lineitem_price="20.00",
            lineitem_sku="CASE-1",
            notes='"gift wrap,\nplease"',
            source="web",
            shipping_province_name="浙江",
        ),
        shopify_row(
            name="#1001",
            email="a@example.com",
            created_at="2024-01-15 23:30:00 +0800",
            lineitem_quantity="1",
            lineitem_name="Screen film",
            lineitem_price="5.00",
            lineitem_sku="FILM-1",
        ),
        shopify_row(
            name="#1002",
            email="b@example.com",
            total="12.50",
            created_at="2024-01-16 09:00:00 -0500",
            lineitem_quantity="2",
            lineitem_name="Screen film",
            lineitem_price="6.25",
            lineitem_sku="FILM-1",
            source="pos",
        ),
    )
    loaded = load_transactions([path], {}, con)
    assert loaded.files[0].columns == {
        "customer_id": "Email",
        "ordered_at": "Created at",
        "amount": "Total",
        "order_id": "Name",
        "sku": "Lineitem sku",
        "quantity": "Lineitem quantity",
        "unit_price": "Lineitem price",
        "channel": "Source",
        "region": "Shipping Province Name",
    }
    got = rows(loaded)
    # The wall-clock time as written: the shop's own day, whatever its UTC offset.
    assert [r["ordered_at"] for r in got] == [
        datetime(2024, 1, 15, 23, 30),
        datetime(2024, 1, 15, 23, 30),
        datetime(2024, 1, 16, 9, 0),
    ]
    assert [r["amount"] for r in got] == [Decimal("25"), None, Decimal("12.5")]
    assert [(r["channel"], r["region"]) for r in got] == [
        ("web", "浙江"),
        ("web", "浙江"),
        ("pos", None),
    ]
    # The quoted cell with a line break is one spreadsheet row.
    assert [r["source_row"] for r in got] == [2, 3, 4]
    loaded.require(["customer_id", "ordered_at", "amount", "sku"], "clv")


def test_shopify_names_are_only_used_for_a_shopify_export() -> None:
    header = ["Name", "Email", "Total", "Created at"]
    assert resolve_columns(header, {}, "x.csv") == {}
    shopify = [*header, "Lineitem quantity"]
    assert resolve_columns(shopify, {}, "x.csv")["order_id"] == "Name"


def test_canonical_name_wins_over_a_shopify_one_and_a_map_over_both() -> None:
    header = ["Name", "Created at", "Lineitem quantity", "Email", "customer_id", "Buyer"]
    assert resolve_columns(header, {}, "x.csv")["customer_id"] == "customer_id"
    mapped = resolve_columns(header, {"customer_id": "Buyer"}, "x.csv")
    assert mapped["customer_id"] == "Buyer"


def test_map_options_are_parsed_and_checked() -> None:
    assert parse_map_options(["order_id=Order No.", " sku = 货号 "]) == {
        "order_id": "Order No.",
        "sku": "货号",
    }
    with pytest.raises(InputError, match=r"--map 'sku': expected CANONICAL=COLUMN"):
        parse_map_options(["sku"])
    with pytest.raises(InputError, match=r"'price' is not one of customer_id"):
        parse_map_options(["price=Price"])
    with pytest.raises(InputError, match=r"--map sku= is given twice"):
        parse_map_options(["sku=a", "sku=b"])


def test_a_map_to_a_column_the_file_lacks_names_both(tmp_path: Path, con) -> None:
    path = write(tmp_path / "t.csv", "buyer,day,paid", "c1,2024-01-02,1")
    with pytest.raises(InputError, match=r"--map amount=Paid: t.csv has no column 'Paid'"):
        load_transactions([path], {"amount": "Paid"}, con)


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("amount", "12,50", "a decimal number"),
        ("amount", "¥12.50", "a decimal number"),
        ("ordered_at", "2024/01/05", "a date YYYY-MM-DD"),
        ("ordered_at", "2024-02-30", "a date YYYY-MM-DD"),
        ("quantity", "2.5", "a whole number"),
    ],
)
def test_an_unparsable_cell_is_reported_with_its_column_and_row(
    tmp_path: Path, con, column: str, cell: str, expected: str
) -> None:
    good = {"customer_id": "c1", "ordered_at": "2024-01-02", "amount": "1.00", "quantity": "1"}
    bad = {**good, column: f'"{cell}"'}
    path = write(
        tmp_path / "t.csv",
        ",".join(good),
        ",".join(good.values()),
        ",".join(good.values()),
        ",".join(bad.values()),
    )
    message = f"column '{column}' (file column '{column}') at row 4 of t.csv: '{cell}' is not"
    with pytest.raises(InputError, match=re.escape(message)) as error:
        load_transactions([path], {}, con)
    assert expected in str(error.value)


def test_the_first_bad_row_of_a_later_file_names_that_file(tmp_path: Path, con) -> None:
    first = write(tmp_path / "jan.csv", "customer_id,ordered_at,amount", "c1,2024-01-02,3")
    second = write(
        tmp_path / "feb.csv",
        "customer_id,ordered_at,amount",
        "c1,2024-02-02,3",
        "c2,2024-02-03,x",
        "c3,yesterday,3",
    )
    with pytest.raises(InputError, match=r"'amount' .* at row 3 of feb.csv: 'x'"):
        load_transactions([first, second], {}, con)


def test_empty_required_values_are_reported_with_their_row(tmp_path: Path, con) -> None:
    path = write(
        tmp_path / "t.csv",
        "order_id,customer_id,ordered_at,amount,sku",
        "o1,c1,2024-01-02,5,A",
        "o1,,,,B",
        "o2,c2,2024-01-03,,A",
        "o3,,2024-01-04,1,A",
    )
    loaded = load_transactions([path], {}, con)
    loaded.require(["order_id", "ordered_at", "sku"], "baskets")
    # o2 has no amount on any of its rows; o1's second row takes the order's first.
    with pytest.raises(InputError, match=r"column 'amount' .* is empty at row 4 of t.csv"):
        loaded.require(["amount"], "clv")
    with pytest.raises(InputError, match=r"column 'customer_id' .* is empty at row 5 of t.csv"):
        loaded.require(["customer_id"], "clv")


def test_a_required_column_no_file_has_is_named(tmp_path: Path, con) -> None:
    path = write(tmp_path / "t.csv", "customer_id,ordered_at", "c1,2024-01-02")
    loaded = load_transactions([path], {}, con)
    with pytest.raises(InputError, match=r"clv needs column 'amount', and t.csv has none"):
        loaded.require(["customer_id", "amount"], "clv")


def test_parquet_files_keep_their_types_and_rows_count_from_one(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": pa.array([7, 8], pa.int64()),
                "ordered_at": pa.array([datetime(2024, 1, 2, 10), datetime(2024, 1, 3)]),
                "amount": pa.array([12.5, 3.25]),
                "quantity": pa.array([1, 2], pa.int32()),
            }
        ),
        path,
    )
    loaded = load_transactions([path], {}, ibis.duckdb.connect())
    got = rows(loaded)
    assert [(r["customer_id"], r["amount"], r["quantity"], r["source_row"]) for r in got] == [
        ("7", Decimal("12.5"), 1, 1),
        ("8", Decimal("3.25"), 2, 2),
    ]


def test_files_of_another_kind_are_refused(tmp_path: Path, con) -> None:
    path = write(tmp_path / "t.xlsx", "x")
    with pytest.raises(InputError, match=r"t.xlsx: expected a .csv or .parquet file"):
        load_transactions([path], {}, con)
    with pytest.raises(InputError, match=r"no such file"):
        load_transactions([tmp_path / "missing.csv"], {}, con)

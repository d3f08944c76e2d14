"""The canonical transaction columns, and reading a merchant's export into them.

An analyst's file comes from another platform with its own column names, date format and
amounts written as decimal yuan. Every analysis reads only the canonical names below, so the
translation happens once, here, and a file that cannot be read fails with the column and the row
that a person can find in a spreadsheet — never deep inside a model fit.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from storeloop.analytics.engines import hold_arrow
from storeloop.analytics.errors import InputError


class Kind(StrEnum):
    TEXT = "text"
    TIMESTAMP = "timestamp"
    DECIMAL = "decimal"
    INTEGER = "integer"


class WithinOrder(StrEnum):
    """How a column behaves across the rows of one order (an export has a row per order line)."""

    ROW = "row"
    """Every row carries its own value."""
    COPIED = "copied"
    """One value per order; rows that leave it blank take it from the order's other rows."""
    SUMMED = "summed"
    """An order's value is the sum of its rows: given per line, or once on the first line."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    within_order: WithinOrder = WithinOrder.ROW


COLUMNS: tuple[Column, ...] = (
    Column("customer_id", Kind.TEXT, WithinOrder.COPIED),
    Column("ordered_at", Kind.TIMESTAMP, WithinOrder.COPIED),
    Column("amount", Kind.DECIMAL, WithinOrder.SUMMED),
    Column("order_id", Kind.TEXT),
    Column("sku", Kind.TEXT),
    Column("quantity", Kind.INTEGER),
    Column("unit_price", Kind.DECIMAL),
    Column("channel", Kind.TEXT, WithinOrder.COPIED),
    Column("region", Kind.TEXT, WithinOrder.COPIED),
    Column("returned_quantity", Kind.INTEGER),
)
COLUMNS_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}

SHOPIFY_NAMES: dict[str, tuple[str, ...]] = {
    "order_id": ("Name",),
    "customer_id": ("Customer ID", "Email"),
    "ordered_at": ("Created at",),
    "amount": ("Total",),
    "sku": ("Lineitem sku", "Lineitem name"),
    "quantity": ("Lineitem quantity",),
    "unit_price": ("Lineitem price",),
    "channel": ("Source",),
    "region": (
        "Shipping Province Name",
        "Shipping Province",
        "Billing Province Name",
        "Billing Province",
    ),
}
"""Shopify orders-export headers, best first. Only used when the header looks like that export,
because a bare ``Name`` or ``Total`` column in another file means something else."""
SHOPIFY_SIGNATURE = ("Name", "Created at", "Lineitem quantity")

DECIMAL_TYPE = "decimal(18, 4)"
"""Exact to 1/10000 of a yuan, so sums of amounts carry no binary rounding."""
_DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_INTEGER_PATTERN = r"^[+-]?[0-9]+$"
_TIMESTAMP_PATTERN = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?)"
    r" ?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_EXPECTED = {
    Kind.TIMESTAMP: "a date YYYY-MM-DD or a date-time YYYY-MM-DD HH:MM[:SS]",
    Kind.DECIMAL: "a decimal number such as 1299.50",
    Kind.INTEGER: "a whole number",
}
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
RAW = "raw_"
"""Prefix of a file's cells as read, kept next to the parsed column until the parse check."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    columns: Mapping[str, str]
    """Canonical name → the file's own column name."""


@dataclass(frozen=True)
class Transactions:
    """Canonical rows plus where each came from, so later checks can still name a file row.

    ``table`` has the canonical columns found in any file, ``source_file`` (index into ``files``)
    and ``source_row`` (the row a spreadsheet shows: a CSV header is row 1, a Parquet file has
    no header row).
    """

    table: ir.Table
    files: tuple[SourceFile, ...]

    def require(self, names: Iterable[str], purpose: str) -> None:
        """Fail unless every file has each column and no row (or order) leaves it empty."""
        names = list(names)
        for name in names:
            for source in self.files:
                if name not in source.columns:
                    raise InputError(
                        f"{purpose} needs column '{name}', and {source.path.name} has none: "
                        f"name a column {name!r} or map one with --map {name}=COLUMN"
                    )
        for name in names:
            self._require_values(name)

    def _require_values(self, name: str) -> None:
        table = self.table
        value = table[name]
        if COLUMNS_BY_NAME[name].within_order is WithinOrder.SUMMED and "order_id" in table.columns:
            order_has_none = value.count().over(group_by=table.order_id) == 0
            missing = ibis.ifelse(table.order_id.isnull(), value.isnull(), order_has_none)
        else:
            missing = value.isnull()
        # The flag is a column before it is a filter: Spark cannot filter on a window directly.
        flagged = table.mutate(missing=missing)
        first = (
            flagged.filter(flagged.missing)
            .order_by([SOURCE_FILE, SOURCE_ROW])
            .select(SOURCE_FILE, SOURCE_ROW)
            .limit(1)
            .to_pyarrow()
            .to_pylist()
        )
        if first:
            source = self.files[first[0][SOURCE_FILE]]
            raise InputError(
                f"column '{name}' (file column '{source.columns[name]}') is empty at row "
                f"{first[0][SOURCE_ROW]} of {source.path.name}"
            )


def parse_map_options(options: Sequence[str]) -> dict[str, str]:
    """Turn repeated ``--map CANONICAL=COLUMN`` options into a mapping, rejecting typos early."""
    mapping: dict[str, str] = {}
    for option in options:
        canonical, sep, column = option.partition("=")
        canonical, column = canonical.strip(), column.strip()
        if not sep or not canonical or not column:
            raise InputError(f"--map {option!r}: expected CANONICAL=COLUMN, e.g. amount=Total")
        if canonical not in COLUMNS_BY_NAME:
            known = ", ".join(COLUMNS_BY_NAME)
            raise InputError(f"--map {option!r}: {canonical!r} is not one of {known}")
        if canonical in mapping:
            raise InputError(f"--map {canonical}= is given twice")
        mapping[canonical] = column
    return mapping


def resolve_columns(header: Sequence[str], mapping: Mapping[str, str], file: str) -> dict[str, str]:
    """Decide which of the file's columns feeds each canonical column.

    An explicit mapping wins; then a column named like the canonical one (case and surrounding
    spaces ignored); then, in a Shopify orders export, Shopify's own header.
    """
    by_folded = {name.strip().casefold(): name for name in reversed(header)}
    resolved: dict[str, str] = {}
    for canonical, column in mapping.items():
        if column not in header:
            raise InputError(f"--map {canonical}={column}: {file} has no column {column!r}")
        resolved[canonical] = column
    shopify = all(name.casefold() in by_folded for name in SHOPIFY_SIGNATURE)
    for column in COLUMNS:
        if column.name in resolved:
            continue
        candidates = (
            (column.name, *SHOPIFY_NAMES.get(column.name, ())) if shopify else (column.name,)
        )
        found = next(
            (by_folded[c.casefold()] for c in candidates if c.casefold() in by_folded), None
        )
        if found is not None:
            resolved[column.name] = found
    return resolved


def load_transactions(
    paths: Sequence[Path], mapping: Mapping[str, str], con: ibis.BaseBackend
) -> Transactions:
    """Read CSV/Parquet files into one canonical table held by ``con``; fail on the first bad cell.

    CSV cells are read as text and parsed in the engine, so a value the engine cannot parse is
    reported with its row instead of silently becoming null.
    """
    if not paths:
        raise InputError("no input file given")
    sources: list[SourceFile] = []
    parts: list[ir.Table] = []
    for index, path in enumerate(paths):
        source = SourceFile(path, resolve_columns(_read_header(path), mapping, path.name))
        raw = _read_raw(source)
        typed = _typed(hold_arrow(con, f"raw_{index}", raw), source.columns, index)
        _check_parsed(con, typed, raw, source)
        sources.append(source)
        parts.append(typed.drop(*(f"{RAW}{name}" for name in source.columns)))
    combined = _fill_within_orders(_union_all_columns(parts))
    # A view then the backend's own cache — a DuckDB temporary table, a persisted Spark
    # DataFrame — because Spark has no temporary tables and text is then parsed only once.
    view = con.create_view(f"storeloop_transactions_{uuid.uuid4().hex}", combined)
    return Transactions(view.cache(), tuple(sources))


def _read_header(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return list(pq.read_schema(path).names)
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            try:
                return next(csv.reader(handle), [])
            except UnicodeDecodeError as error:
                raise InputError(f"{path.name}: not UTF-8 text ({error.reason})") from error
    raise InputError(f"{path.name}: expected a .csv or .parquet file")


def _read_raw(source: SourceFile) -> pa.Table:
    """The mapped columns under ``raw_<canonical>`` names, plus ``source_row``."""
    wanted = list(dict.fromkeys(source.columns.values()))
    if source.path.suffix.lower() == ".parquet":
        table, first_row = pq.read_table(source.path, columns=wanted), 1
    else:
        table, first_row = _read_csv_as_text(source.path, wanted), 2
    arrays = {f"{RAW}{name}": table[column] for name, column in source.columns.items()}
    arrays[SOURCE_ROW] = pa.array(range(first_row, first_row + table.num_rows), pa.int64())
    return pa.table(arrays)


def _read_csv_as_text(path: Path, columns: list[str]) -> pa.Table:
    try:
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                include_columns=columns,
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as error:
        raise InputError(f"{path.name}: not a readable CSV file ({error})") from error


def _typed(raw: ir.Table, columns: Mapping[str, str], file_index: int) -> ir.Table:
    """Canonical typed columns next to the raw ones (kept for the parse check)."""
    parsed = {name: _parse(raw[f"{RAW}{name}"], COLUMNS_BY_NAME[name].kind) for name in columns}
    return raw.mutate(**parsed, **{SOURCE_FILE: ibis.literal(file_index, "int32")})


def _parse(value: ir.Column, kind: Kind) -> ir.Value:
    if value.type().is_string():
        text = value.strip().nullif("")
        if kind is Kind.TEXT:
            return text
        if kind is Kind.TIMESTAMP:
            return text.re_extract(_TIMESTAMP_PATTERN, 1).nullif("").try_cast("timestamp")
        pattern = _INTEGER_PATTERN if kind is Kind.INTEGER else _DECIMAL_PATTERN
        target = "int64" if kind is Kind.INTEGER else DECIMAL_TYPE
        return ibis.ifelse(text.re_search(pattern), text.try_cast(target), ibis.null(target))
    dtype = value.type()
    if kind is Kind.TEXT:
        return value.cast("string")
    if kind is Kind.TIMESTAMP and (dtype.is_timestamp() or dtype.is_date()):
        return value.cast("timestamp")
    if kind is Kind.DECIMAL and dtype.is_numeric():
        return value.cast(DECIMAL_TYPE)
    if kind is Kind.INTEGER and dtype.is_integer():
        return value.cast("int64")
    raise InputError(f"column {value.get_name()[len(RAW) :]!r} has type {dtype}, not {kind}")


def _check_parsed(
    con: ibis.BaseBackend, typed: ir.Table, raw: pa.Table, source: SourceFile
) -> None:
    """Find the first row whose text is not blank yet did not parse, across all parsed columns."""
    first_bad = {
        name: typed[SOURCE_ROW].min(
            where=typed[f"{RAW}{name}"].strip().nullif("").notnull() & typed[name].isnull()
        )
        for name in source.columns
        if COLUMNS_BY_NAME[name].kind is not Kind.TEXT and typed[f"{RAW}{name}"].type().is_string()
    }
    if not first_bad:
        return
    found = con.to_pyarrow(typed.aggregate(**first_bad)).to_pylist()[0]
    bad = sorted((row, name) for name, row in found.items() if row is not None)
    if not bad:
        return
    row, name = bad[0]
    value = raw[f"{RAW}{name}"][row - raw[SOURCE_ROW][0].as_py()].as_py()
    raise InputError(
        f"column '{name}' (file column '{source.columns[name]}') at row {row} of "
        f"{source.path.name}: {value!r} is not {_EXPECTED[COLUMNS_BY_NAME[name].kind]}"
    )


def _union_all_columns(parts: list[ir.Table]) -> ir.Table:
    """Stack the files; a column some file lacks is null on that file's rows."""
    present = [c.name for c in COLUMNS if any(c.name in part.columns for part in parts)]
    order = [*present, SOURCE_FILE, SOURCE_ROW]
    aligned = []
    for part in parts:
        missing = {
            name: ibis.null(_ibis_type(COLUMNS_BY_NAME[name].kind))
            for name in present
            if name not in part.columns
        }
        aligned.append(part.mutate(**missing).select(order))
    return ibis.union(*aligned) if len(aligned) > 1 else aligned[0]


def _ibis_type(kind: Kind) -> str:
    return {
        Kind.TEXT: "string",
        Kind.TIMESTAMP: "timestamp",
        Kind.DECIMAL: DECIMAL_TYPE,
        Kind.INTEGER: "int64",
    }[kind]


def _fill_within_orders(table: ir.Table) -> ir.Table:
    """Give every row of an order the order-level values written on only one of its rows."""
    if "order_id" not in table.columns:
        return table
    order = ibis.window(group_by=table.order_id)
    filled = {
        c.name: ibis.ifelse(
            table.order_id.isnull(),
            table[c.name],
            table[c.name].coalesce(table[c.name].min().over(order)),
        )
        for c in COLUMNS
        if c.within_order is WithinOrder.COPIED and c.name in table.columns
    }
    return table.mutate(**filled)

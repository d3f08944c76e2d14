"""Numpy arrays to Arrow columns of the exact types the store tables use."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")


def timestamps(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """UTC microseconds as timestamp[us, UTC]; entries where ``valid`` is False are null."""
    mask = None if valid is None else ~valid
    return pa.array(us.astype(np.int64), type=pa.int64(), mask=mask).cast(UTC_TIMESTAMP)


def dates(day_numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as date32."""
    mask = None if valid is None else ~valid
    return pa.array(day_numbers.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=mask)


def labels(
    vocabulary: Sequence[str], index: np.ndarray, valid: np.ndarray | None = None
) -> pa.Array:
    """Strings picked from a small vocabulary by index (null where not ``valid``)."""
    picked = pc.take(pa.array(list(vocabulary), type=pa.string()), pa.array(index, type=pa.int32()))
    if valid is None:
        return picked
    return pc.if_else(pa.array(valid), picked, pa.nulls(len(index), pa.string()))


def numbered(prefix: str, numbers: np.ndarray, width: int, suffix: str = "") -> pa.Array:
    """``prefix`` + zero-padded number + ``suffix``: order numbers, codes, e-mail addresses."""
    digits = pc.utf8_lpad(pa.array(numbers.astype(np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, suffix, "")


def concat(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")

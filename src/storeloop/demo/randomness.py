"""Seeded random streams and scrambled identifiers.

Each part of the store draws from its own stream, keyed by the seed and the part's name, so the
same seed gives the same rows no matter which parts are generated or in what order (the event
stream is only generated when it is stored somewhere).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_STREAMS = ("catalog", "customers", "orders", "lines", "fulfilment", "stock", "events")
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def stream(seed: int, name: str, *extra: int) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS.index(name), *extra])


def scramble(values: np.ndarray, salt: int) -> np.ndarray:
    """A bijection of uint64 (splitmix64's finaliser): distinct inputs, distinct random-looking
    outputs, so visitor and session ids need no uniqueness check."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) ^ np.uint64(salt & 0xFFFF_FFFF_FFFF_FFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hex_strings(values: np.ndarray) -> pa.StringArray:
    """16-character lowercase hex of uint64 values, built straight into an Arrow buffer."""
    n = len(values)
    big_endian = values.astype(">u8").view(np.uint8).reshape(n, 8)
    chars = np.empty((n, 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[big_endian >> 4]
    chars[:, 1::2] = _HEX[big_endian & 0x0F]
    offsets = np.arange(0, 16 * n + 1, 16, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def choose(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probability proportional to weights (inverse CDF, vectorised)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    draws = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(draws, len(cdf) - 1)


def choose_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of ``rows``, a column index drawn from that row of the weight matrix.

    The rows' CDFs are laid end to end (row k spans [k, k+1)), so one searchsorted answers every
    draw whatever its row.
    """
    n_rows, n_cols = weights.shape
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    positions = np.searchsorted(flat, rows + rng.random(len(rows)), side="right")
    return np.minimum(positions - rows * n_cols, n_cols - 1)

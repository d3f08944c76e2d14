"""The store's analytics tables, loaded once and reused across requests until they are stale.

Loading the store into the engine takes seconds on a demo-size store (2.4 million events), and
the analyses read all of it; doing that per request would make every dashboard click cost a
full load. So the loaded tables are kept per app for ``ttl`` seconds (5 minutes by default), and
so are the results computed from them, keyed by their parameters: a paginated list is computed
once and paged many times. Numbers may thus lag the store by up to ``ttl``; an operator reads
trends and lists, not the last minute's orders. One lock serialises the work, because an
embedded DuckDB connection is used by one thread at a time and two loads at once would only
double the cost.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from storeloop.analytics.store import StoreTables

CACHE_SECONDS = 300.0
MAX_RESULTS = 128
"""Results kept per load, least recently used first out: bounds memory, not correctness."""
T = TypeVar("T")


@dataclass
class _Loaded:
    tables: StoreTables
    at: float
    results: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)


class StoreCache:
    """The store at ``url``, loaded into a fresh DuckDB connection at most once per ``ttl``."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url, self.ttl, self.clock = url, ttl, clock
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def compute(self, key: Hashable, compute: Callable[[StoreTables], T]) -> T:
        """``compute(tables)``, or its result from an earlier call with ``key`` on this load."""
        with self._lock:
            loaded = self._current()
            if key in loaded.results:
                loaded.results.move_to_end(key)
            else:
                loaded.results[key] = compute(loaded.tables)
                if len(loaded.results) > MAX_RESULTS:
                    loaded.results.popitem(last=False)
            return loaded.results[key]

    def _current(self) -> _Loaded:
        now = self.clock()
        if self._loaded is None or now - self._loaded.at >= self.ttl:
            self._loaded = None  # let the previous connection go before the next load
            # The engine is imported on first use, not with the app (see analytics.api).
            import ibis

            self._loaded = _Loaded(read_store_database(self.url, ibis.duckdb.connect()), now)
        return self._loaded


def read_store_database(url: str, con: Any) -> StoreTables:
    """:func:`storeloop.analytics.store.read_store_database`, imported when first called."""
    from storeloop.analytics.store import read_store_database as read

    return read(url, con)

"""What a demo store is made of: its size, its history and its seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SeedConfig:
    customers: int = 20_000
    days: int = 365
    seed: int = 42
    end_date: date = date(2026, 11, 24)  # last day of history; fixed so a seed is reproducible
    events_in_database: bool | None = None  # None: only when the event stream is small

    def __post_init__(self) -> None:
        if self.customers < 1 or self.days < 1:
            raise ValueError("a demo store needs at least one customer and one day of history")


# The event stream goes into the database automatically only up to this many rows; beyond it
# a row-store table of clicks is more burden than use, and Parquet is where analytics reads it.
EVENTS_IN_DATABASE_LIMIT = 3_000_000

PRESETS: dict[str, SeedConfig] = {
    # Tests: seconds to build, 120 days ending after 11.11.
    "tiny": SeedConfig(customers=1_500, days=120),
    # The demo: a year with 12.12, the Spring Festival, 6.18 and 11.11.
    "small": SeedConfig(customers=20_000, days=365),
    # Benchmarks and analytics at scale: about a million orders over two years.
    "large": SeedConfig(customers=400_000, days=730),
}

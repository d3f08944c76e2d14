"""A tiny store written by hand, in the raw store schema, for the store-analysis tests.

Tests describe customers, orders, events and returns in a few lines each (amounts in yuan, times
on the shop clock, which is UTC here); ``tables`` turns them into the raw Arrow tables
``storeloop seed`` would write and loads them through the real loader. ``random_store`` fills
one with three weeks of seeded random trade, for tests that compare rather than hand-compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import ibis
import numpy as np
import pyarrow as pa

from storeloop.analytics.funnels import DEFAULT_STEPS
from storeloop.analytics.store import RAW_COLUMNS, StoreTables, store_tables


@dataclass
class HandStore:
    catalogue: dict[str, str] = field(default_factory=dict)
    """SKU code → category slug; SKUs are added on first use."""
    customers: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    returns: list[dict] = field(default_factory=list)

    def customer(
        self,
        customer_id: int,
        *,
        region: str = "south",
        birth_date: date | None = None,
        channel: str = "ads",
        province: str = "广东",
    ) -> None:
        self.customers.append(
            {
                "id": customer_id,
                "region": region,
                "province": province,
                "birth_date": birth_date,
                "channel": channel,
                "signed_up_at": _utc(datetime(2023, 1, 1)),
            }
        )

    def order(
        self,
        order_id: int,
        customer_id: int,
        at: datetime,
        lines: list[tuple[str, int, float]],
        *,
        shipping: float = 0,
        discount: float = 0,
        channel: str = "search",
        device: str = "ios",
        paid: bool = True,
    ) -> list[int]:
        """Lines are (SKU, quantity, unit price); a discount goes on the first line. Returns
        the line ids."""
        if customer_id not in {c["id"] for c in self.customers}:
            self.customer(customer_id)
        goods = sum(q * p for _, q, p in lines)
        self.orders.append(
            {
                "id": order_id,
                "customer_id": customer_id,
                "channel": channel,
                "device": device,
                "total_amount": _fen(goods - discount + shipping),
                "placed_at": _utc(at),
                "paid_at": _utc(at) if paid else None,
            }
        )
        ids = []
        for index, (sku, quantity, price) in enumerate(lines):
            self.catalogue.setdefault(sku, sku.split("-")[0].lower())
            ids.append(len(self.lines) + 1)
            self.lines.append(
                {
                    "id": ids[-1],
                    "order_id": order_id,
                    "sku_id": self._sku_id(sku),
                    "quantity": quantity,
                    "unit_price": _fen(price),
                    "discount_amount": _fen(discount) if index == 0 else 0,
                }
            )
        return ids

    def event(
        self,
        visitor: str,
        at: datetime,
        kind: str,
        *,
        channel: str = "search",
        device: str = "ios",
        sku: str | None = None,
        customer_id: int | None = None,
        order_id: int | None = None,
    ) -> None:
        if sku is not None:
            self.catalogue.setdefault(sku, sku.split("-")[0].lower())
        self.events.append(
            {
                "type": kind,
                "occurred_at": _utc(at),
                "visitor_id": visitor,
                "customer_id": customer_id,
                "channel": channel,
                "device": device,
                "sku_id": None if sku is None else self._sku_id(sku),
                "order_id": order_id,
            }
        )

    def give_back(self, line_id: int, quantity: int, refund: float, at: datetime) -> None:
        self.returns.append(
            {
                "order_line_id": line_id,
                "quantity": quantity,
                "refund_amount": _fen(refund),
                "created_at": _utc(at),
            }
        )

    def raw(self) -> dict[str, pa.Table]:
        skus = list(self.catalogue)
        categories = sorted(set(self.catalogue.values()))
        rows = {
            "customers": self.customers,
            "orders": self.orders,
            "order_lines": self.lines,
            "events": self.events,
            "returns": self.returns,
            "skus": [
                {"id": i + 1, "product_id": i + 1, "code": code} for i, code in enumerate(skus)
            ],
            "products": [
                {"id": i + 1, "category_id": categories.index(self.catalogue[code]) + 1}
                for i, code in enumerate(skus)
            ],
            "categories": [{"id": i + 1, "slug": slug} for i, slug in enumerate(categories)],
        }
        return {
            name: pa.Table.from_pylist(rows[name], schema=pa.schema(columns))
            for name, columns in RAW_COLUMNS.items()
        }

    def tables(self, con: ibis.BaseBackend) -> StoreTables:
        return store_tables(self.raw(), con, timezone="UTC")

    def _sku_id(self, sku: str) -> int:
        return list(self.catalogue).index(sku) + 1


def random_store(seed: int = 5) -> HandStore:
    """Three weeks of a small shop: repeat buyers, returns, anonymous browsing, and event
    streams with repeated, tied and out-of-order steps."""
    rng = np.random.default_rng(seed)
    store = HandStore()
    regions, channels, devices = ["south", "east", "north"], ["search", "ads"], ["ios", "pc"]
    for customer in range(1, 41):
        store.customer(customer, region=regions[customer % 3])
    skus = ["CASE-1", "CASE-2", "FILM-1", "DEHUM-1", "COAT-1"]
    start = datetime(2024, 6, 3)
    for number in range(1, 201):
        at = start + timedelta(minutes=int(rng.integers(0, 21 * 24 * 60)))
        picked = rng.choice(len(skus), int(rng.integers(1, 4)), replace=False)
        lines = [(skus[i], int(rng.integers(1, 3)), float(rng.integers(10, 300))) for i in picked]
        customer = min(int(rng.zipf(1.6)), 40)  # a few loyal buyers, many one-off ones
        channel, device = channels[number % 2], devices[number % 3 % 2]
        ids = store.order(
            number, customer, at, lines, shipping=float(rng.integers(0, 2) * 6),
            channel=channel, device=device, paid=rng.random() > 0.1,
        )  # fmt: skip
        if rng.random() < 0.2:
            store.give_back(ids[0], 1, lines[0][2] / 2, at + timedelta(days=3))
        visitor = f"v{number}"
        for step, kind in enumerate(DEFAULT_STEPS):
            late = timedelta(minutes=int(rng.integers(0, 3)))  # 0 leaves ties with the step before
            store.event(
                visitor, at - timedelta(minutes=10 - 2 * step) + late, kind, channel=channel,
                device=device, customer_id=customer if kind == "payment" else None,
                order_id=number if kind == "payment" else None,
            )  # fmt: skip
        if rng.random() < 0.3:
            store.event(visitor, at - timedelta(minutes=30), "add_to_cart", channel=channel)
            store.event(visitor, at - timedelta(minutes=29), "product_view", channel="ads")
    for browser in range(150):
        at = start + timedelta(minutes=int(rng.integers(0, 21 * 24 * 60)))
        for step in range(int(rng.integers(1, 4))):
            store.event(
                f"b{browser}", at + timedelta(minutes=step), DEFAULT_STEPS[step],
                channel=channels[browser % 2], device=devices[browser % 2],
            )  # fmt: skip
    return store


def _fen(yuan: float) -> int:
    return round(yuan * 100)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC)

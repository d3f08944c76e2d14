"""The whole demo store as Arrow tables, generated in memory from a SeedConfig.

Parts are generated in dependency order (catalog → customers → orders → fulfilment → stock),
each from its own random stream, and handed over as tables in foreign-key order, ready for any
writer. The event stream is planned here but generated lazily, chunk by chunk, because only
some runs store it and it is by far the largest part.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from storeloop.demo import columns
from storeloop.demo.catalog import Catalog, build_catalog
from storeloop.demo.config import SeedConfig
from storeloop.demo.customers import Customers, build_customers
from storeloop.demo.events import EventPlan, event_chunks, plan_events
from storeloop.demo.fulfilment import Fulfilment, build_fulfilment
from storeloop.demo.geography import PROVINCES, WAREHOUSES, region_of
from storeloop.demo.orders import Orders, build_orders
from storeloop.demo.partners import CARRIERS
from storeloop.demo.seasonality import Calendar, build_calendar
from storeloop.demo.stock import build_supply
from storeloop.events.models import CHANNELS, DEVICES
from storeloop.orders.models import ORDER_STATUSES

# Foreign-key order: every table comes after the tables it references.
TABLES: tuple[str, ...] = (
    "categories",
    "products",
    "skus",
    "certificates",
    "warehouses",
    "carriers",
    "suppliers",
    "customers",
    "orders",
    "order_lines",
    "payments",
    "shipments",
    "returns",
    "purchase_orders",
    "purchase_order_lines",
    "stock_movements",
    "stock_levels",
)
EVENTS = "events"


@dataclass(frozen=True)
class GeneratedStore:
    config: SeedConfig
    calendar: Calendar
    catalog: Catalog
    customers: Customers
    orders: Orders
    fulfilment: Fulfilment
    tables: dict[str, pa.Table]
    event_plan: EventPlan

    def events(self) -> Iterator[pa.Table]:
        return event_chunks(
            self.config.seed,
            self.calendar,
            self.catalog,
            self.customers,
            self.orders,
            self.fulfilment,
            self.event_plan,
        )


def _network_tables() -> dict[str, pa.Table]:
    return {
        "warehouses": pa.table(
            {
                "id": pa.array(range(1, len(WAREHOUSES) + 1), pa.int64()),
                "code": [w.code for w in WAREHOUSES],
                "name": [w.name for w in WAREHOUSES],
                "kind": [w.kind for w in WAREHOUSES],
                "province": [w.province for w in WAREHOUSES],
                "city": [w.city for w in WAREHOUSES],
                "region": [region_of(w.province) for w in WAREHOUSES],
                "is_active": [True] * len(WAREHOUSES),
            }
        ),
        "carriers": pa.table(
            {
                "id": pa.array(range(1, len(CARRIERS) + 1), pa.int64()),
                "code": [c.code for c in CARRIERS],
                "name": [c.name for c in CARRIERS],
                "tier": [c.tier for c in CARRIERS],
                "base_fee": pa.array([c.base_fee_fen for c in CARRIERS], pa.int64()),
                "currency": ["CNY"] * len(CARRIERS),
                "is_active": [True] * len(CARRIERS),
            }
        ),
    }


def _order_tables(
    calendar: Calendar, customers: Customers, orders: Orders, fulfilment: Fulfilment
) -> dict[str, pa.Table]:
    n = orders.count
    ids = np.arange(1, n + 1)
    day_labels = pa.array(calendar.date_labels())
    number = columns.concat(
        "SL", pc.take(day_labels, pa.array(orders.day)), columns.numbered("", ids, 8)
    )
    n_lines = len(orders.line_sku)
    return {
        "orders": pa.table(
            {
                "id": columns.ints(ids),
                "number": number,
                "customer_id": columns.ints(orders.customer + 1),
                "status": columns.labels(ORDER_STATUSES, fulfilment.status),
                "channel": columns.labels(CHANNELS, orders.channel),
                "device": columns.labels(DEVICES, orders.device),
                "currency": columns.labels(("CNY",), np.zeros(n, dtype=np.int64)),
                "goods_amount": columns.ints(orders.goods),
                "discount_amount": columns.ints(orders.discount),
                "shipping_amount": columns.ints(orders.shipping),
                "total_amount": columns.ints(orders.total),
                "is_presale": pa.array(orders.presale),
                "ship_province": columns.labels([p.name for p in PROVINCES], orders.province),
                "ship_city": pc.take(customers.table["city"], pa.array(orders.customer)),
                "placed_at": columns.timestamps(orders.placed_us),
                "paid_at": columns.timestamps(fulfilment.paid_us, fulfilment.fully_paid),
                # presale terms (migration 0004) are not simulated: no deposit, no window
                "deposit_amount": columns.ints(np.zeros(n, dtype=np.int64)),
                "balance_starts_at": columns.timestamps(
                    np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
                ),
                "balance_ends_at": columns.timestamps(
                    np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
                ),
                # points (migration 0005) are not simulated: none spent at checkout
                "points_spent": columns.ints(np.zeros(n, dtype=np.int64)),
                "points_amount": columns.ints(np.zeros(n, dtype=np.int64)),
            }
        ),
        "order_lines": pa.table(
            {
                "id": columns.ints(np.arange(1, n_lines + 1)),
                "order_id": columns.ints(orders.line_order + 1),
                "sku_id": columns.ints(orders.line_sku + 1),
                "quantity": columns.ints(orders.line_quantity),
                "unit_price": columns.ints(orders.line_price),
                "discount_amount": columns.ints(orders.line_discount),
                "points_amount": columns.ints(np.zeros(n_lines, dtype=np.int64)),
            }
        ),
    }


def generate_store(config: SeedConfig) -> GeneratedStore:
    start = config.end_date - timedelta(days=config.days - 1)
    calendar = build_calendar(start, config.days)
    catalog = build_catalog(config.seed, calendar)
    customers = build_customers(config.seed, calendar, config.customers)
    orders = build_orders(config.seed, calendar, catalog, customers)
    fulfilment = build_fulfilment(config.seed, calendar, catalog, orders)
    supply = build_supply(config.seed, calendar, catalog, orders, fulfilment)
    parts = {
        **catalog.tables,
        **_network_tables(),
        "customers": customers.table,
        **_order_tables(calendar, customers, orders, fulfilment),
        "payments": fulfilment.payments,
        "shipments": fulfilment.shipments,
        "returns": fulfilment.returns,
        **supply,
    }
    return GeneratedStore(
        config=config,
        calendar=calendar,
        catalog=catalog,
        customers=customers,
        orders=orders,
        fulfilment=fulfilment,
        tables={name: parts[name] for name in TABLES},
        event_plan=plan_events(config.seed, calendar, orders, fulfilment),
    )

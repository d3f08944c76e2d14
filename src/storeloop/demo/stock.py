"""Suppliers, purchase orders and the stock ledger that must balance to the last unit.

Replenishment is sized from the demand the shipments actually took (the generator knows the
future, a real planner forecasts it): per supplier cycle, each purchase order tops the
cumulative receipts of every (SKU, warehouse) up to the cumulative sales through the coming
cycle plus safety stock, rounded up to the case pack, and arrives before the cycle starts. So
the running balance never goes negative, and stock_levels equals the sum of stock_movements.
Late deliveries (vs the promised date) and inbound defects still vary by supplier (S1.3c).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from storeloop.demo import columns
from storeloop.demo.catalog import Catalog
from storeloop.demo.fulfilment import Fulfilment
from storeloop.demo.geography import WAREHOUSES
from storeloop.demo.orders import Orders
from storeloop.demo.partners import SUPPLIERS
from storeloop.demo.randomness import stream
from storeloop.demo.seasonality import DAY_US, HOUR_US, Calendar

SAFETY_SHARE = 0.3  # safety stock as a share of an average cycle's sales
SAFETY_MIN = 3
ARRIVE_BEFORE_CYCLE_DAYS = 5  # promised this many days before the cycle it covers
MAX_LATE_DAYS = ARRIVE_BEFORE_CYCLE_DAYS - 1  # so even a late delivery precedes the sales
MOVEMENT_REASONS = ("receipt", "return", "sale")  # same-instant tie order: stock in first


def _case_pack(price: np.ndarray) -> np.ndarray:
    return np.select([price < 10_000, price < 50_000], [10, 5], 2)


def _daily_sales(
    calendar: Calendar, catalog: Catalog, orders: Orders, fulfilment: Fulfilment
) -> tuple[np.ndarray, np.ndarray]:
    """Units shipped per [SKU, warehouse, day] from stock (drop-ship lines never touch it)."""
    line_order = orders.line_order
    from_stock = fulfilment.shipped[line_order] & ~catalog.dropship[orders.line_sku]
    lines = np.flatnonzero(from_stock)
    day = calendar.day_of(fulfilment.shipped_us[line_order[lines]])
    warehouse = fulfilment.warehouse[line_order[lines]]
    n_wh, days = len(WAREHOUSES), calendar.days
    cell = (orders.line_sku[lines] * n_wh + warehouse) * days + day
    sales = np.bincount(
        cell, weights=orders.line_quantity[lines], minlength=catalog.size * n_wh * days
    )
    return sales.astype(np.int64).reshape(catalog.size, n_wh, days), lines


def build_supply(
    seed: int, calendar: Calendar, catalog: Catalog, orders: Orders, fulfilment: Fulfilment
) -> dict[str, pa.Table]:
    """suppliers, purchase_orders, purchase_order_lines, stock_movements and stock_levels."""
    rng = stream(seed, "stock")
    sales, sale_lines = _daily_sales(calendar, catalog, orders, fulfilment)
    pack = _case_pack(catalog.price)
    po_parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("supplier", "warehouse", "start", "sku", "net", "open")
    }
    for s, supplier in enumerate(SUPPLIERS):
        skus = np.flatnonzero((catalog.supplier == s) & ~catalog.dropship)
        if not len(skus):
            continue
        starts = np.arange(0, calendar.days, supplier.cycle_days)
        per_cycle = np.add.reduceat(sales[skus], starts, axis=2)  # [sku, wh, cycle]
        sold = per_cycle.sum(axis=2)
        safety = np.where(
            sold > 0, np.ceil(SAFETY_SHARE * sold / len(starts)).astype(np.int64) + SAFETY_MIN, 0
        )
        target = np.cumsum(per_cycle, axis=2) + safety[:, :, None]
        step = pack[skus][:, None, None]
        target = -(-target // step) * step
        net = np.diff(target, axis=2, prepend=0)
        # The next cycle's order is already placed before the history ends: open, sized by the
        # last cycle's sales.
        forecast = -(-per_cycle[:, :, -1] // step[:, :, 0]) * step[:, :, 0]
        next_start = starts[-1] + supplier.cycle_days
        next_ordered = next_start - ARRIVE_BEFORE_CYCLE_DAYS - supplier.lead_time_days
        if next_ordered < calendar.days:
            net = np.concatenate([net, np.where(sold > 0, forecast, 0)[:, :, None]], axis=2)
            starts = np.append(starts, next_start)
        sku_i, wh_i, cycle_i = np.nonzero(net)
        po_parts["supplier"].append(np.full(len(sku_i), s))
        po_parts["warehouse"].append(wh_i)
        po_parts["start"].append(starts[cycle_i])
        po_parts["sku"].append(skus[sku_i])
        po_parts["net"].append(net[sku_i, wh_i, cycle_i])
        po_parts["open"].append(starts[cycle_i] >= calendar.days)
    lines = {k: np.concatenate(v) for k, v in po_parts.items()}
    return _tables(rng, calendar, catalog, orders, fulfilment, lines, sale_lines)


def _tables(
    rng: np.random.Generator,
    calendar: Calendar,
    catalog: Catalog,
    orders: Orders,
    fulfilment: Fulfilment,
    lines: dict[str, np.ndarray],
    sale_lines: np.ndarray,
) -> dict[str, pa.Table]:
    lead = np.array([s.lead_time_days for s in SUPPLIERS])
    promised_day = lines["start"] - ARRIVE_BEFORE_CYCLE_DAYS
    ordered_day = promised_day - lead[lines["supplier"]]
    order = np.lexsort((lines["sku"], lines["warehouse"], lines["supplier"], ordered_day))
    lines = {k: v[order] for k, v in lines.items()}
    promised_day, ordered_day = promised_day[order], ordered_day[order]
    po_key = (ordered_day * len(SUPPLIERS) + lines["supplier"]) * len(WAREHOUSES) + lines[
        "warehouse"
    ]
    new_po = np.diff(po_key, prepend=po_key[:1] - 1) != 0
    po_first = np.flatnonzero(new_po)
    po_of_line = np.cumsum(new_po) - 1
    n_po = len(po_first)
    supplier = lines["supplier"][po_first]
    is_open = lines["open"][po_first]
    on_time = np.array([s.on_time_rate for s in SUPPLIERS])[supplier]
    late = rng.random(n_po) >= on_time
    received_day = promised_day[po_first] + np.where(
        late, rng.integers(1, MAX_LATE_DAYS + 1, n_po), -rng.integers(0, 3, n_po)
    )

    net = lines["net"]
    line_open = lines["open"]
    defect_rate = np.array([s.defect_rate for s in SUPPLIERS])[lines["supplier"]]
    defective = np.where(line_open, 0, rng.binomial(net, defect_rate))
    received = np.where(line_open, 0, net + defective)
    pack = _case_pack(catalog.price[lines["sku"]])
    quantity = np.where(line_open, net, -(-received // pack) * pack)

    epoch_day = int(np.datetime64(calendar.start, "D").astype(np.int64))
    po_ids = np.arange(1, n_po + 1)
    ordered_labels = [
        (calendar.start + timedelta(days=int(d))).strftime("%y%m%d") for d in ordered_day[po_first]
    ]
    purchase_orders = pa.table(
        {
            "id": columns.ints(po_ids),
            "number": columns.concat(
                pa.array([f"PO{label}" for label in ordered_labels], pa.string()),
                columns.numbered("", po_ids, 5),
            ),
            "supplier_id": columns.ints(supplier + 1),
            "warehouse_id": columns.ints(lines["warehouse"][po_first] + 1),
            "status": columns.labels(("received", "open"), is_open.astype(np.int64)),
            "ordered_on": columns.dates(epoch_day + ordered_day[po_first]),
            "promised_on": columns.dates(epoch_day + promised_day[po_first]),
            "received_on": columns.dates(epoch_day + received_day, ~is_open),
            "created_at": columns.timestamps(
                calendar.day0_us + ordered_day[po_first] * DAY_US + 9 * HOUR_US
            ),
        }
    )
    purchase_order_lines = pa.table(
        {
            "id": columns.ints(np.arange(1, len(net) + 1)),
            "purchase_order_id": columns.ints(po_of_line + 1),
            "sku_id": columns.ints(lines["sku"] + 1),
            "quantity": columns.ints(quantity),
            "unit_cost": columns.ints(catalog.cost[lines["sku"]]),
            "currency": columns.labels(("CNY",), np.zeros(len(net), dtype=np.int64)),
            "received_quantity": columns.ints(received),
            "defective_quantity": columns.ints(defective),
        }
    )

    receipt_lines = np.flatnonzero(~line_open)
    receipt_us = (
        calendar.day0_us
        + received_day[po_of_line[receipt_lines]] * DAY_US
        + 10 * HOUR_US
        + rng.integers(0, 6 * HOUR_US, len(receipt_lines))
    )
    sale_orders = orders.line_order[sale_lines]
    restocked = np.flatnonzero(fulfilment.return_restocked)
    returned_lines = fulfilment.return_line[restocked]
    movement = {
        "time": [receipt_us, fulfilment.shipped_us[sale_orders], fulfilment.return_us[restocked]],
        "sku": [
            lines["sku"][receipt_lines],
            orders.line_sku[sale_lines],
            orders.line_sku[returned_lines],
        ],
        "warehouse": [
            lines["warehouse"][receipt_lines],
            fulfilment.warehouse[sale_orders],
            fulfilment.warehouse[orders.line_order[returned_lines]],
        ],
        "quantity": [
            net[receipt_lines],
            -orders.line_quantity[sale_lines],
            fulfilment.return_quantity[restocked],
        ],
        "reason": [
            np.full(len(receipt_lines), 0),
            np.full(len(sale_lines), 2),
            np.full(len(restocked), 1),
        ],
        "ref_id": [po_of_line[receipt_lines] + 1, sale_orders + 1, restocked + 1],
    }
    m = {k: np.concatenate(v) for k, v in movement.items()}
    order = np.lexsort((m["ref_id"], m["reason"], m["time"]))
    m = {k: v[order] for k, v in m.items()}
    n_moves = len(order)
    stock_movements = pa.table(
        {
            "id": columns.ints(np.arange(1, n_moves + 1)),
            "sku_id": columns.ints(m["sku"] + 1),
            "warehouse_id": columns.ints(m["warehouse"] + 1),
            "quantity": columns.ints(m["quantity"]),
            "reason": columns.labels(MOVEMENT_REASONS, m["reason"]),
            "ref_type": columns.labels(("po", "return", "order"), m["reason"]),
            "ref_id": columns.ints(m["ref_id"]),
            "note": columns.labels(("",), np.zeros(n_moves, dtype=np.int64)),
            "created_at": columns.timestamps(m["time"]),
        }
    )

    cell = m["sku"] * len(WAREHOUSES) + m["warehouse"]
    cells, inverse = np.unique(cell, return_inverse=True)
    on_hand = np.bincount(inverse, weights=m["quantity"]).astype(np.int64)
    updated = np.full(len(cells), np.iinfo(np.int64).min)
    np.maximum.at(updated, inverse, m["time"])
    stock_levels = pa.table(
        {
            "id": columns.ints(np.arange(1, len(cells) + 1)),
            "sku_id": columns.ints(cells // len(WAREHOUSES) + 1),
            "warehouse_id": columns.ints(cells % len(WAREHOUSES) + 1),
            "on_hand": columns.ints(on_hand),
            "reserved": columns.ints(np.zeros(len(cells), dtype=np.int64)),
            "updated_at": columns.timestamps(updated),
        }
    )
    suppliers = pa.table(
        {
            "id": columns.ints(np.arange(1, len(SUPPLIERS) + 1)),
            "code": [s.code for s in SUPPLIERS],
            "name": [s.name for s in SUPPLIERS],
            "province": [s.province for s in SUPPLIERS],
            "lead_time_days": columns.ints(np.array([s.lead_time_days for s in SUPPLIERS])),
            "is_active": pa.array([True] * len(SUPPLIERS)),
        }
    )
    return {
        "suppliers": suppliers,
        "purchase_orders": purchase_orders,
        "purchase_order_lines": purchase_order_lines,
        "stock_movements": stock_movements,
        "stock_levels": stock_levels,
    }

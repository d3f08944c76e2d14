"""What happened to each order after it was placed: payments, shipments, returns, status.

Status follows from the timeline cut at the end of the history: unpaid orders close after 30
minutes, presale balances are due on the festival day, parcels wait out the Spring Festival,
delivered orders complete after the 7-day confirmation window. So the newest orders are still
paid or shipped, exactly what an operations team sees on a live shop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from storeloop.demo import columns
from storeloop.demo.catalog import Catalog
from storeloop.demo.geography import PROVINCES, WAREHOUSES, distance_class, warehouse_for_province
from storeloop.demo.orders import Orders
from storeloop.demo.partners import (
    CARRIERS,
    ECONOMY,
    EXPRESS,
    EXPRESS_FROM_FEN,
    INSURE_FROM_FEN,
    POSTAL,
)
from storeloop.demo.randomness import choose_rows, stream
from storeloop.demo.seasonality import DAY_US, HOUR_US, Calendar, sample_times
from storeloop.orders.models import ORDER_STATUSES, PAYMENT_STATUSES, RETURN_REASONS

MINUTE_US = 60_000_000
UNPAID = 0.07  # checkouts never paid, closed after the 30-minute timeout
PAYMENT_TIMEOUT_US = 30 * MINUTE_US
BALANCE_FORFEITED = 0.08  # presale deposits whose balance is never paid
CANCELLED = 0.03  # paid, then cancelled before shipping and refunded
CONFIRM_US = 7 * DAY_US  # automatic receipt confirmation completes the order
RETURN_WINDOW_DAYS = 7  # 七天无理由退货
FESTIVAL_RETURN_BOOST = 1.3  # impulse buys come back more often
PAYMENT_METHODS: tuple[str, ...] = ("alipay", "wechat_pay", "huabei", "unionpay")
_METHODS_BY_DEVICE = np.array(
    [
        [0.55, 0.33, 0.08, 0.04],  # ios
        [0.50, 0.38, 0.08, 0.04],  # android
        [0.05, 0.93, 0.0, 0.02],  # mini_program lives inside WeChat
        [0.62, 0.20, 0.06, 0.12],  # pc
    ]
)
_RETURN_REASONS_APPAREL = np.array([0.62, 0.08, 0.12, 0.15, 0.02, 0.01])
_RETURN_REASONS_OTHER = np.array([0.0, 0.35, 0.2, 0.22, 0.18, 0.05])
_RESTOCKABLE = np.array([r in ("size", "changed_mind", "not_as_described") for r in RETURN_REASONS])


@dataclass(frozen=True)
class Fulfilment:
    status: np.ndarray  # index into ORDER_STATUSES
    paid_us: np.ndarray  # fully paid time; valid where ``fully_paid``
    fully_paid: np.ndarray
    first_payment_us: np.ndarray  # the checkout session's payment; valid where ``paid_in_session``
    paid_in_session: np.ndarray
    warehouse: np.ndarray  # index into WAREHOUSES per order
    shipped_us: np.ndarray  # valid where ``shipped``
    shipped: np.ndarray
    payments: pa.Table
    shipments: pa.Table
    returns: pa.Table
    return_line: np.ndarray  # line position of each return, in return id order
    return_quantity: np.ndarray
    return_us: np.ndarray
    return_restocked: np.ndarray


def _next_open_day(calendar: Calendar) -> np.ndarray:
    """For each day (and one past the end), the first day on or after it when parcels move."""
    open_day = np.arange(calendar.days + 1)
    stop = np.append(calendar.shipping_stop, False)
    for d in range(calendar.days - 1, -1, -1):
        if stop[d]:
            open_day[d] = open_day[d + 1]
    return open_day


def _ship_times(
    rng: np.random.Generator, calendar: Calendar, ready_us: np.ndarray, presale: np.ndarray
) -> np.ndarray:
    handling = rng.lognormal(np.log(18 * HOUR_US), 0.6, len(ready_us)).astype(np.int64)
    ready_day = np.clip(calendar.day_of(ready_us), 0, calendar.days - 1)
    near_festival = np.zeros(len(ready_us), dtype=bool)
    for lag in range(4):
        near_festival |= calendar.festival_day[np.clip(ready_day - lag, 0, calendar.days - 1)]
    backlog = np.where(near_festival | presale, rng.uniform(0, 48 * HOUR_US, len(ready_us)), 0)
    shipped = ready_us + handling + backlog.astype(np.int64)
    day = calendar.day_of(shipped)
    inside = (day >= 0) & (day < calendar.days)
    stopped = np.zeros(len(shipped), dtype=bool)
    stopped[inside] = calendar.shipping_stop[day[inside]]
    reopen = _next_open_day(calendar)[day[stopped]]
    shipped[stopped] = (
        calendar.day0_us
        + reopen * DAY_US
        + rng.integers(9 * HOUR_US, 18 * HOUR_US, int(stopped.sum()))
    )
    return shipped


def _carriers(rng: np.random.Generator, total: np.ndarray, province: np.ndarray) -> np.ndarray:
    """Express above a value threshold; EMS where the low-cost network is thin (S1.3b)."""
    remote = np.array([p.remote for p in PROVINCES])[province]
    draw = rng.random(len(total))
    carrier = np.where(
        remote,
        np.where(draw < 0.7, POSTAL, ECONOMY),
        np.where(draw < 0.8, ECONOMY, np.where(draw < 0.9, POSTAL, EXPRESS)),
    )
    return np.where(total >= EXPRESS_FROM_FEN, EXPRESS, carrier)


def _transit_us(
    rng: np.random.Generator, carrier: np.ndarray, warehouse: np.ndarray, province: np.ndarray
) -> np.ndarray:
    distance = np.array(
        [[distance_class(w.province, p.name) for p in PROVINCES] for w in WAREHOUSES]
    )
    median_days = np.array([c.transit_days for c in CARRIERS])
    days = median_days[carrier, distance[warehouse, province]]
    return (days * rng.lognormal(0.0, 0.25, len(carrier)) * DAY_US).astype(np.int64)


def _tracking_numbers(carrier: np.ndarray, shipment_ids: np.ndarray, seed: int) -> pa.Array:
    serial = (shipment_ids * 982_451_653 + seed * 7_919) % 10**12
    prefix = columns.labels([c.tracking_prefix for c in CARRIERS], carrier)
    return columns.concat(prefix, columns.numbered("", serial, 12))


def build_fulfilment(seed: int, calendar: Calendar, catalog: Catalog, orders: Orders) -> Fulfilment:
    rng = stream(seed, "fulfilment")
    n = orders.count
    end = calendar.end_us
    status = np.full(n, ORDER_STATUSES.index("closed"))
    pay_delay = rng.lognormal(np.log(90e6), 1.0, n).astype(np.int64)
    first_payment = orders.placed_us + pay_delay
    abandons = ~orders.presale & (rng.random(n) < UNPAID)
    in_session = ~abandons & (first_payment < end)
    waiting = ~in_session & (
        np.where(abandons, orders.placed_us + PAYMENT_TIMEOUT_US, first_payment) >= end
    )
    status[waiting] = ORDER_STATUSES.index("pending_payment")

    balance_day = calendar.balance_day[orders.day]
    balance_us = np.full(n, end)
    presale = orders.presale & in_session
    due = presale & (balance_day < calendar.days)
    balance_us[due] = sample_times(rng, calendar, balance_day[due])
    balance_us = np.maximum(balance_us, first_payment + MINUTE_US)
    forfeited = presale & (rng.random(n) < BALANCE_FORFEITED) & (balance_us < end)
    balance_paid = presale & ~forfeited & (balance_us < end)
    status[presale & ~forfeited & ~balance_paid] = ORDER_STATUSES.index("deposit_paid")

    fully_paid = (in_session & ~orders.presale) | balance_paid
    paid_us = np.where(orders.presale, balance_us, first_payment)
    cancelled = fully_paid & ~orders.presale & (rng.random(n) < CANCELLED)
    status[cancelled] = ORDER_STATUSES.index("cancelled")
    to_ship = fully_paid & ~cancelled

    warehouse = np.array(warehouse_for_province())[orders.province]
    shipped_us = _ship_times(rng, calendar, paid_us, orders.presale)
    total = orders.total
    carrier = _carriers(rng, total, orders.province)
    delivered_us = shipped_us + _transit_us(rng, carrier, warehouse, orders.province)
    shipped = to_ship & (shipped_us < end)
    delivered = to_ship & (delivered_us < end)
    status[to_ship] = ORDER_STATUSES.index("paid")
    status[shipped] = ORDER_STATUSES.index("shipped")
    status[delivered] = ORDER_STATUSES.index("delivered")
    status[to_ship & (delivered_us + CONFIRM_US < end)] = ORDER_STATUSES.index("completed")

    order_ids = np.arange(1, n + 1)
    method = choose_rows(rng, _METHODS_BY_DEVICE, orders.device)
    payments = _payments(
        orders,
        order_ids,
        method,
        first_payment,
        in_session,
        waiting,
        cancelled,
        balance_us,
        balance_paid,
        forfeited,
    )
    ship_rows = np.flatnonzero(to_ship)
    shipment_ids = np.arange(1, len(ship_rows) + 1)
    shipments = pa.table(
        {
            "id": columns.ints(shipment_ids),
            "order_id": columns.ints(order_ids[ship_rows]),
            "carrier_id": columns.ints(carrier[ship_rows] + 1),
            "warehouse_id": columns.ints(warehouse[ship_rows] + 1),
            "tracking_number": pc.if_else(
                pa.array(shipped[ship_rows]),
                _tracking_numbers(carrier[ship_rows], shipment_ids, seed),
                "",
            ),
            "status": columns.labels(
                ("pending", "shipped", "delivered"),
                shipped[ship_rows].astype(np.int64) + delivered[ship_rows],
            ),
            "insured": pa.array(total[ship_rows] >= INSURE_FROM_FEN),
            "shipped_at": columns.timestamps(shipped_us[ship_rows], shipped[ship_rows]),
            "delivered_at": columns.timestamps(delivered_us[ship_rows], delivered[ship_rows]),
        }
    )
    returns = _returns(rng, calendar, catalog, orders, delivered, delivered_us)
    return Fulfilment(
        status=status,
        paid_us=paid_us,
        fully_paid=fully_paid,
        first_payment_us=first_payment,
        paid_in_session=in_session,
        warehouse=warehouse,
        shipped_us=shipped_us,
        shipped=shipped,
        payments=payments,
        shipments=shipments,
        **returns,
    )


def _payments(
    orders: Orders,
    order_ids: np.ndarray,
    method: np.ndarray,
    first_payment: np.ndarray,
    in_session: np.ndarray,
    waiting: np.ndarray,
    cancelled: np.ndarray,
    balance_us: np.ndarray,
    balance_paid: np.ndarray,
    forfeited: np.ndarray,
) -> pa.Table:
    """Full payments, or deposit + balance for presale orders; attempts that failed stay."""
    total = orders.total
    full = ~orders.presale
    full_status = np.select(
        [cancelled, in_session, waiting], ["refunded", "succeeded", "pending"], "failed"
    )
    balance = balance_paid | forfeited
    parts = [
        # (rows, kind, status, amount, created, paid, paid valid)
        (full, "full", full_status, total, orders.placed_us, first_payment, in_session),
        (
            orders.presale,
            "deposit",
            np.where(in_session, "succeeded", "pending"),
            orders.deposit,
            orders.placed_us,
            first_payment,
            in_session,
        ),
        (
            balance,
            "balance",
            np.where(balance_paid, "succeeded", "failed"),
            total - orders.deposit,
            balance_us - MINUTE_US,
            balance_us,
            balance_paid,
        ),
    ]
    kind_order = {"full": 0, "deposit": 1, "balance": 2}
    stacked: dict[str, list[np.ndarray]] = {
        k: [] for k in ("order", "kind", "status", "amount", "created", "paid", "valid")
    }
    for rows, kind, status, amount, created, paid, valid in parts:
        idx = np.flatnonzero(rows)
        stacked["order"].append(idx)
        stacked["kind"].append(np.full(len(idx), kind_order[kind]))
        stacked["status"].append(np.asarray(status)[idx])
        stacked["amount"].append(amount[idx])
        stacked["created"].append(created[idx])
        stacked["paid"].append(paid[idx])
        stacked["valid"].append(valid[idx])
    cols = {k: np.concatenate(v) for k, v in stacked.items()}
    order = np.lexsort((cols["kind"], cols["order"], cols["created"]))
    cols = {k: v[order] for k, v in cols.items()}
    statuses = sorted(PAYMENT_STATUSES)
    status_index = np.searchsorted(np.array(statuses), cols["status"])
    return pa.table(
        {
            "id": columns.ints(np.arange(1, len(order) + 1)),
            "order_id": columns.ints(order_ids[cols["order"]]),
            "kind": columns.labels(tuple(kind_order), cols["kind"]),
            "status": columns.labels(statuses, status_index),
            "amount": columns.ints(cols["amount"]),
            "currency": columns.labels(("CNY",), np.zeros(len(order), dtype=np.int64)),
            "method": columns.labels(PAYMENT_METHODS, method[cols["order"]]),
            "created_at": columns.timestamps(cols["created"]),
            "paid_at": columns.timestamps(cols["paid"], cols["valid"]),
            "gateway_transaction_id": pa.nulls(len(order), pa.string()),
        }
    )


def _returns(
    rng: np.random.Generator,
    calendar: Calendar,
    catalog: Catalog,
    orders: Orders,
    delivered: np.ndarray,
    delivered_us: np.ndarray,
) -> dict[str, pa.Table | np.ndarray]:
    """Returns within the 7-day window; apparel comes back most, mostly for size (S3.1)."""
    category = catalog.category[orders.line_sku]
    festive = calendar.promotion[orders.day[orders.line_order]] > 0
    rate = catalog.return_rate[category] * np.where(festive, FESTIVAL_RETURN_BOOST, 1.0)
    candidates = delivered[orders.line_order] & (rng.random(len(category)) < rate)
    lines = np.flatnonzero(candidates)
    received_us = (
        delivered_us[orders.line_order[lines]]
        + rng.integers(DAY_US, RETURN_WINDOW_DAYS * DAY_US, len(lines))
        + rng.integers(DAY_US, 3 * DAY_US, len(lines))  # the parcel travels back
    )
    keep = received_us < calendar.end_us
    lines, received_us = lines[keep], received_us[keep]
    by_time = np.argsort(received_us, kind="stable")
    lines, received_us = lines[by_time], received_us[by_time]

    bought = orders.line_quantity[lines]
    partial = (bought > 1) & (rng.random(len(lines)) < 0.3)
    quantity = np.where(partial, rng.integers(1, np.maximum(bought, 2)), bought)
    reasons = np.stack([_RETURN_REASONS_APPAREL, _RETURN_REASONS_OTHER])
    apparel = catalog.apparel[category[lines]]
    reason = choose_rows(rng, reasons, np.where(apparel, 0, 1))
    refund = orders.line_net[lines] * quantity // bought
    restocked = _RESTOCKABLE[reason] & ~catalog.dropship[orders.line_sku[lines]]
    table = pa.table(
        {
            "id": columns.ints(np.arange(1, len(lines) + 1)),
            "order_id": columns.ints(orders.line_order[lines] + 1),
            "order_line_id": columns.ints(lines + 1),
            "quantity": columns.ints(quantity),
            "reason": columns.labels(RETURN_REASONS, reason),
            "refund_amount": columns.ints(refund),
            "currency": columns.labels(("CNY",), np.zeros(len(lines), dtype=np.int64)),
            "restocked": pa.array(restocked),
            "refund_points": columns.ints(np.zeros(len(lines), dtype=np.int64)),
            "created_at": columns.timestamps(received_us),
        }
    )
    return {
        "returns": table,
        "return_line": lines,
        "return_quantity": quantity,
        "return_us": received_us,
        "return_restocked": restocked,
    }

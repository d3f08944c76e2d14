"""A merchant's order export written as a platform would: a CSV of order lines.

Sixteen weeks of a small shop, so the review has whole weeks, cohorts and repeat buyers to show:
the order total only on an order's first line (as Shopify writes it), a returned quantity that
is blank where nothing came back, channels and regions, and SKUs often bought together.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

START = datetime(2024, 3, 4)  # a Monday
WEEKS = 16
SKUS = ("CASE-1", "FILM-1", "CHARGER-1", "CABLE-1", "DEHUM-1", "COAT-1")
PRICES = (39.0, 19.5, 89.0, 25.0, 899.0, 459.0)


def write_export(path: Path, *, customers: int = 160, seed: int = 3) -> Path:
    """Customers buy as BG/NBD assumes — each at their own rate, until they silently drop out
    after a purchase — so the CLV fit has a clear optimum on either engine."""
    rng = np.random.default_rng(seed)
    end = START + timedelta(weeks=WEEKS)
    purchases = []
    for number in range(customers):
        rate, dropout = rng.gamma(2.0, 0.5), rng.beta(2.0, 5.0)  # per week; per purchase
        favourite = int(rng.integers(0, len(SKUS)))  # so spend per purchase differs by customer
        at = START + timedelta(days=float(rng.uniform(0, 7 * WEEKS * 0.6)))
        while at < end:
            purchases.append((at, f"C{number:03d}", favourite))
            if rng.random() < dropout:
                break
            at += timedelta(weeks=float(rng.exponential(1 / rate)))
    rows = []
    for number, (at, customer, favourite) in enumerate(sorted(purchases)):
        picked = {favourite if rng.random() < 0.8 else int(rng.integers(0, len(SKUS)))}
        if 0 in picked and rng.random() < 0.6:  # a case, and often its screen film
            picked.add(1)
        if rng.random() < 0.3:
            picked.add(int(rng.integers(0, len(SKUS))))
        lines = [(SKUS[i], int(rng.integers(1, 3)), PRICES[i]) for i in sorted(picked)]
        total = sum(quantity * price for _, quantity, price in lines)
        for index, (sku, quantity, price) in enumerate(lines):
            rows.append(
                {
                    "order_id": f"#{1000 + number}",
                    "customer_id": customer,
                    "ordered_at": at.strftime("%Y-%m-%d %H:%M:%S"),
                    "amount": f"{total:.2f}" if index == 0 else "",
                    "sku": sku,
                    "quantity": quantity,
                    "unit_price": f"{price:.2f}",
                    "channel": ("search", "ads", "social")[number % 3] if index == 0 else "",
                    "region": ("south", "east", "north")[int(customer[1:]) % 3],
                    "returned_quantity": 1 if rng.random() < 0.08 else None,
                }
            )
    frame = pd.DataFrame(rows)
    frame["returned_quantity"] = frame["returned_quantity"].astype("Int64")
    frame.to_csv(path, index=False)
    return path

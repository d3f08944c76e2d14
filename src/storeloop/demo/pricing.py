"""The demo's promotions, shipping fees and exact discount allocation, over whole arrays.

The rules are the simple ones a Chinese shop actually runs: a stacking "每满300减50" on 6.18 and
11.11, "满200减20" on 12.12, everyday threshold coupons, the ¥5 no-threshold coupon for joining
the shop's WeCom (S2.1c) and presale deposit inflation (定金膨胀, S2.1b). Discounts are split
over lines by the same largest-remainder rule as storeloop.money.allocate, vectorised, so a
partial refund later finds exactly the amount each unit cost.
"""

from __future__ import annotations

import numpy as np

FESTIVAL_RULES: dict[int, tuple[int, int, bool]] = {
    # promotion code (seasonality.Calendar.promotion) → (threshold, off, stacks per threshold)
    1: (30_000, 5_000, True),  # 6.18
    2: (30_000, 5_000, True),  # 11.11
    3: (20_000, 2_000, False),  # 12.12
}
EVERYDAY_COUPONS: tuple[tuple[int, int], ...] = ((19_900, 2_000), (9_900, 1_000))
COUPON_USE = 0.25
WECOM_COUPON = 500
DEPOSIT_SHARE = 0.10
MAX_DISCOUNT_SHARE = 0.5
REMOTE_FREE_FROM, REMOTE_FEE = 19_900, 1_500
FREE_FROM, FEE = 3_900, 600


def order_discounts(
    rng: np.random.Generator,
    goods: np.ndarray,
    promotion: np.ndarray,
    wecom_first_order: np.ndarray,
    presale: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(discount, presale deposit) per order, in fen."""
    discount = np.zeros(len(goods), dtype=np.int64)
    for code, (threshold, off, stacks) in FESTIVAL_RULES.items():
        on = promotion == code
        times = goods[on] // threshold if stacks else (goods[on] >= threshold).astype(np.int64)
        discount[on] = times * off
    everyday = (promotion == 0) & (rng.random(len(goods)) < COUPON_USE)
    for threshold, off in EVERYDAY_COUPONS:
        use = everyday & (goods >= threshold) & (discount == 0)
        discount[use] = off
    discount += np.where(wecom_first_order, WECOM_COUPON, 0)
    deposit = np.where(presale, np.maximum(np.round(goods * DEPOSIT_SHARE, -2), 1_000), 0)
    deposit = np.minimum(deposit.astype(np.int64), goods // 4)
    discount += deposit  # the deposit counts double at final payment
    return np.minimum(discount, (goods * MAX_DISCOUNT_SHARE).astype(np.int64)), deposit


def shipping_fees(net_goods: np.ndarray, remote: np.ndarray) -> np.ndarray:
    """Free shipping above a threshold (包邮); remote provinces pay more and need more."""
    return np.where(
        remote,
        np.where(net_goods < REMOTE_FREE_FROM, REMOTE_FEE, 0),
        np.where(net_goods < FREE_FROM, FEE, 0),
    ).astype(np.int64)


def allocate_grouped(amounts: np.ndarray, weights: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Split ``amounts[g]`` over the items of group g in proportion to their weights.

    Items are laid out group by group, group g starting at ``starts[g]``. Largest remainder,
    ties to the earlier item: item for item the same answer as storeloop.money.allocate.
    """
    n = len(weights)
    counts = np.diff(np.append(starts, n))
    group = np.repeat(np.arange(len(starts)), counts)
    totals = np.add.reduceat(weights, starts)
    share = amounts[group] * weights
    parts = share // totals[group]
    remainder = share % totals[group]
    leftover = amounts - np.add.reduceat(parts, starts)
    by_remainder = np.lexsort((np.arange(n), -remainder, group))
    rank = np.arange(n) - starts[group[by_remainder]]
    parts[by_remainder[rank < leftover[group[by_remainder]]]] += 1
    return parts

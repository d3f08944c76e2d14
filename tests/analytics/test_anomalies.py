from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from storeloop.analytics.anomalies import (
    MAD_TO_SIGMA,
    MEAN_AD_TO_SIGMA,
    Method,
    find_anomalies,
    same_weekday_baseline,
    score_series,
    shop_festivals,
)
from tests.analytics.hand_store import HandStore

SMALL = Method(weeks=3, min_weeks=3, scale_days=14, min_scale_days=7)
WEEKLY = np.array([10, 10, 10, 10, 10, 20, 30], dtype=float)


def series() -> np.ndarray:
    """Four weeks of a weekly pattern, shifted 0, +1, −1 and then by [2, 0, −1, 1, 0, 0, 3],
    and a 29th day (a week-start) of 30."""
    weeks = [WEEKLY, WEEKLY + 1, WEEKLY - 1, WEEKLY + np.array([2, 0, -1, 1, 0, 0, 3])]
    return np.concatenate([*weeks, [30.0]])


def test_score_by_hand() -> None:
    values = series()
    baseline, scale, z = score_series(values, np.zeros(len(values), bool), SMALL)
    # Day 28: the same weekday three times before was 11, 9 and 12 → median 11.
    assert baseline[28] == 11
    # Deviations of days 21–27 (the first with three weeks behind them): 2, 0, −1, 1, 0, 0, 3;
    # their median is 0 and the median distance from it 1.
    assert scale[28] == MAD_TO_SIGMA
    assert z[28] == pytest.approx(19 / MAD_TO_SIGMA)
    # Day 27 has only six past deviations, fewer than min_scale_days: no score.
    assert np.isnan(z[27]) and np.isnan(baseline[20]) and baseline[21] == WEEKLY[0]


def test_festivals_stay_out_of_baselines() -> None:
    values = series()
    festive = np.zeros(len(values), bool)
    festive[21] = True
    method = Method(weeks=3, min_weeks=2)
    # Without day 21 (12), the Mondays before day 28 are 11 and 9.
    assert same_weekday_baseline(values, festive, method)[28] == 10
    assert same_weekday_baseline(values, np.zeros(len(values), bool), method)[28] == 11


def test_a_mostly_flat_past_is_scaled_by_its_mean_absolute_deviation() -> None:
    # Zero on most days, as returns are in a small shop: the deviations of days 21–27 are
    # 0, 0, 0, 0, 0, 0, 3, so the MAD is 0 and the mean absolute deviation 3/7.
    values = np.array([0.0] * 27 + [3.0, 2.0])
    _, scale, z = score_series(values, np.zeros(29, bool), SMALL)
    assert scale[28] == pytest.approx(MEAN_AD_TO_SIGMA * 3 / 7)
    assert z[28] == pytest.approx(2 / (MEAN_AD_TO_SIGMA * 3 / 7))


def test_a_flat_past_makes_any_change_infinitely_abnormal() -> None:
    values = np.array([5.0] * 28 + [5.0, 6.0])
    _, scale, z = score_series(values, np.zeros(30, bool), SMALL)
    assert scale[29] == 0 and z[28] == 0 and z[29] == math.inf


def test_shop_festivals() -> None:
    assert shop_festivals([2024]) == {
        date(2024, 6, 18): "618",
        date(2024, 11, 11): "double_11",
        date(2024, 12, 12): "double_12",
    }


START = date(2024, 1, 1)
BROKEN = START + timedelta(days=52)  # a Thursday in the eighth week
PROMO = START + timedelta(days=45)


def store_with_a_broken_payment_day() -> HandStore:
    """Eight weeks of two channels. On BROKEN, ads shoppers reach checkout and cannot pay; on
    PROMO, a festival, every channel sells three times as much."""
    rng = np.random.default_rng(7)
    store, number = HandStore(), 0
    for offset in range(56):
        day = START + timedelta(days=offset)
        for channel in ("search", "ads"):
            buyers = 8 + int(rng.integers(-1, 2)) + (2 if day.weekday() >= 5 else 0)
            buyers *= 3 if day == PROMO else 1
            for i in range(buyers):
                number += 1
                visitor, at = (
                    f"v{number}",
                    datetime(day.year, day.month, day.day, 9) + timedelta(minutes=i),
                )
                path = ["visit", "product_view", "add_to_cart", "checkout_start", "payment"]
                pays = not (day == BROKEN and channel == "ads")
                for step, kind in enumerate(path if pays else path[:-1]):
                    store.event(
                        visitor,
                        at + timedelta(seconds=step),
                        kind,
                        channel=channel,
                        sku="CASE-1" if kind in ("product_view", "add_to_cart") else None,
                        order_id=number if kind == "payment" else None,
                        customer_id=number if kind == "payment" else None,
                    )
                if pays:
                    store.order(number, number, at + timedelta(seconds=5), [("CASE-1", 1, 30)],
                                channel=channel)  # fmt: skip
            for i in range(16):
                store.event(f"b{offset}{channel}{i}", datetime(day.year, day.month, day.day, 20),
                            "visit", channel=channel)  # fmt: skip
    return store


def test_a_broken_payment_day_is_flagged_with_its_channel_and_funnel_step(con) -> None:
    report = find_anomalies(
        store_with_a_broken_payment_day().tables(con),
        kpi_names=("orders", "conversion_rate"),
        festivals={PROMO: "promo"},
    )
    flagged = {(a.kpi, a.day): a for a in report.anomalies}
    assert set(flagged) == {("orders", BROKEN), ("conversion_rate", BROKEN)}
    orders = flagged[("orders", BROKEN)]
    assert orders.direction == "down" and orders.z < -3.5
    # Ads lost all its orders, most of the day's deviation, while it usually has about half of
    # them; device and category have a single segment here and single nothing out.
    assert (orders.cause.dimension, orders.cause.segment, orders.cause.value) == (
        "channel", "ads", 0
    )  # fmt: skip
    assert orders.cause.weight == pytest.approx(0.5, abs=0.1)
    assert {c.dimension for c in orders.causes} == {"channel", "funnel"}
    conversion = flagged[("conversion_rate", BROKEN)]
    assert conversion.cause.segment == "ads"
    (step,) = [c for c in conversion.causes if c.dimension == "funnel"]
    assert (step.segment, step.value, step.baseline, step.explained) == (
        "checkout_start→payment", 0.5, 1.0, -0.5
    )  # fmt: skip
    # The festival tripled sales and is scored, but expected: not flagged.
    promo = [r for r in report.scores.to_pylist() if r["day"] == PROMO and r["kpi"] == "orders"]
    assert promo[0]["festival"] == "promo" and promo[0]["z"] > 3.5 and not promo[0]["flagged"]
    # The first weeks have no baseline yet.
    first = [r for r in report.scores.to_pylist() if r["day"] == START]
    assert all(r["baseline"] is None or math.isnan(r["baseline"]) for r in first)

"""When people buy: festival peaks, the Chinese New Year dip, weekdays, hours, seasons.

Everything here is in Beijing time (UTC+8, no daylight saving), because that is the clock the
shoppers live by: 11.11 starts at local midnight and the parcels stop for the Spring Festival.
Timestamps leave this module as UTC microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np

from storeloop.demo.catalog_data import SEASONS
from storeloop.demo.geography import CLIMATES

BEIJING = timezone(timedelta(hours=8))
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US

# Spring Festival (lunar new year's day), 2020-2030: histories must end by 2029.
CHINESE_NEW_YEAR: dict[int, date] = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}

# (month, day) of the shopping festivals and the daily-order multiplier per day offset from the
# festival: (first offset, last offset, multiplier). 11.11 and 6.18 have a presale run-up.
FESTIVALS: dict[str, tuple[int, int]] = {"618": (6, 18), "1111": (11, 11), "1212": (12, 12)}
_FESTIVAL_SHAPE: dict[str, tuple[tuple[int, int, float], ...]] = {
    "1111": ((-22, -11, 1.3), (-10, -1, 1.7), (0, 0, 7.0), (1, 3, 0.75)),
    "618": ((-25, -18, 1.15), (-17, -1, 1.5), (0, 0, 5.0), (1, 3, 0.8)),
    "1212": ((-4, -1, 1.2), (0, 0, 3.0)),
}
# Festival threshold discounts run over these offsets; presale deposits are taken before 0.
PROMOTION_WINDOWS: dict[str, tuple[int, int]] = {"618": (-17, 0), "1111": (-10, 0), "1212": (-4, 0)}
PRESALE_FESTIVALS = ("618", "1111")
PRESALE_WINDOW = (-20, -1)
_NEW_YEAR_SHAPE = ((-20, -10, 0.85), (-9, -4, 0.6), (-3, 5, 0.3), (6, 10, 0.6), (11, 15, 0.85))
NEW_YEAR_SHIPPING_STOP = (-3, 5)  # warehouses and carriers pause over these offsets

_WEEKDAY = np.array([1.02, 0.98, 0.97, 0.96, 0.94, 1.03, 1.10])  # Monday first
_HOURS_NORMAL = np.array(
    [
        *(1.2, 0.6, 0.3, 0.2, 0.15, 0.2, 0.4, 0.9, 1.6, 2.4, 3.0, 3.2),
        *(3.0, 3.0, 3.1, 3.1, 3.0, 2.9, 3.0, 3.6, 4.4, 4.9, 4.5, 2.8),
    ]
)
# On the big festival days the midnight start (0点开抢) and the 8 pm second wave dominate.
_HOURS_FESTIVAL = _HOURS_NORMAL.copy()
_HOURS_FESTIVAL[[0, 1, 20]] = [30.0, 8.0, 9.0]

# Monthly curves (January first) behind product seasons.
_SUMMER = np.array([0, 0, 0.1, 0.4, 0.8, 1, 1, 0.9, 0.5, 0.1, 0, 0])
_WINTER = np.array([1, 0.8, 0.3, 0, 0, 0, 0, 0, 0.2, 0.6, 0.9, 1])
_HUMID = np.array([0.2, 0.6, 0.9, 0.9, 0.8, 1, 0.9, 0.8, 0.4, 0.1, 0, 0.1])


@dataclass(frozen=True)
class Calendar:
    """The history's days (local dates) with everything generation needs per day."""

    start: date
    days: int
    day0_us: int  # UTC microseconds of local midnight on the first day
    months: np.ndarray  # 0..11 per day
    order_intensity: np.ndarray  # relative daily purchase rate
    festival_day: np.ndarray  # bool: 6.18 / 11.11 / 12.12 themselves
    promotion: np.ndarray  # int: 1 + index into FESTIVALS whose discount is on, 0 for none
    presale_day: np.ndarray  # bool: presale deposits are taken
    balance_day: np.ndarray  # int: day index the presale balance is due, -1 if none
    shipping_stop: np.ndarray  # bool: no parcels leave (Spring Festival)

    @property
    def end_us(self) -> int:
        """First microsecond after the history (local midnight after the last day)."""
        return self.day0_us + self.days * DAY_US

    def day_of(self, t_us: np.ndarray) -> np.ndarray:
        """Local day index of UTC microsecond timestamps (may fall outside 0..days-1)."""
        return np.floor_divide(t_us - self.day0_us, DAY_US)

    def date_labels(self, fmt: str = "%y%m%d") -> list[str]:
        return [(self.start + timedelta(days=int(d))).strftime(fmt) for d in range(self.days)]


def local_midnight_us(day: date) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return int(moment.timestamp()) * 1_000_000


def _offsets(dates: np.ndarray, anchors: list[date]) -> np.ndarray:
    """For each date, its signed day offset to the nearest anchor date."""
    anchor_days = np.array(anchors, dtype="datetime64[D]")
    diffs = (dates[:, None] - anchor_days[None, :]).astype(np.int64)
    nearest = np.abs(diffs).argmin(axis=1)
    return diffs[np.arange(len(dates)), nearest]


def _festival_anchors(name: str, years: range) -> list[date]:
    month, day = FESTIVALS[name]
    return [date(y, month, day) for y in years]


def build_calendar(start: date, days: int) -> Calendar:
    dates = np.arange(np.datetime64(start, "D"), np.datetime64(start, "D") + days)
    end = start + timedelta(days=days - 1)
    years = range(start.year - 1, end.year + 2)
    weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    intensity = _WEEKDAY[weekday].copy()
    festival = np.zeros(days, dtype=bool)
    promotion = np.zeros(days, dtype=np.int64)
    presale = np.zeros(days, dtype=bool)
    balance_day = np.full(days, -1, dtype=np.int64)
    for name, shape in _FESTIVAL_SHAPE.items():
        code = list(FESTIVALS).index(name) + 1
        offset = _offsets(dates, _festival_anchors(name, years))
        for first, last, factor in shape:
            intensity[(offset >= first) & (offset <= last)] *= factor
        festival |= offset == 0
        low, high = PROMOTION_WINDOWS[name]
        promotion[(offset >= low) & (offset <= high)] = code
        if name in PRESALE_FESTIVALS:
            in_presale = (offset >= PRESALE_WINDOW[0]) & (offset <= PRESALE_WINDOW[1])
            presale |= in_presale
            balance_day[in_presale] = (np.arange(days) - offset)[in_presale]
    missing = [y for y in range(start.year, end.year + 2) if y not in CHINESE_NEW_YEAR]
    if missing:
        raise ValueError(f"no Chinese New Year date known for {missing}")
    new_year = _offsets(dates, [d for y, d in CHINESE_NEW_YEAR.items() if y in years])
    for first, last, factor in _NEW_YEAR_SHAPE:
        intensity[(new_year >= first) & (new_year <= last)] *= factor
    stop = (new_year >= NEW_YEAR_SHIPPING_STOP[0]) & (new_year <= NEW_YEAR_SHIPPING_STOP[1])
    months = (dates.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)
    return Calendar(
        start=start,
        days=days,
        day0_us=local_midnight_us(start),
        months=months,
        order_intensity=intensity,
        festival_day=festival,
        promotion=promotion,
        presale_day=presale,
        balance_day=balance_day,
        shipping_stop=stop,
    )


def sample_times(
    rng: np.random.Generator, calendar: Calendar, day: np.ndarray, *, festive_hours: bool = True
) -> np.ndarray:
    """UTC microseconds on the given local days, hours drawn from the shopping-hour profile.

    Days before the history (negative) are ordinary days."""
    hours = np.empty(len(day), dtype=np.int64)
    inside = (day >= 0) & (day < calendar.days)
    festive = inside & calendar.festival_day[np.clip(day, 0, calendar.days - 1)] & festive_hours
    for mask, profile in ((~festive, _HOURS_NORMAL), (festive, _HOURS_FESTIVAL)):
        cdf = np.cumsum(profile) / profile.sum()
        hours[mask] = np.searchsorted(cdf, rng.random(int(mask.sum())), side="right")
    within = rng.integers(0, HOUR_US, size=len(day))
    return calendar.day0_us + day * DAY_US + hours * HOUR_US + within


def season_factors() -> np.ndarray:
    """Multiplier [season, climate, month] for products of each season profile (SEASONS)."""
    factors = np.ones((len(SEASONS), len(CLIMATES), 12))
    humid, temperate, cold = (CLIMATES.index(c) for c in ("humid", "temperate", "cold"))
    factors[SEASONS.index("summer")] = 0.35 + 1.6 * _SUMMER
    factors[SEASONS.index("winter")] = 0.35 + 1.6 * _WINTER
    wet = SEASONS.index("humid_summer")
    factors[wet, humid] = 0.3 + 3.5 * _HUMID
    factors[wet, temperate] = 0.25 + 1.0 * _HUMID
    factors[wet, cold] = 0.15 + 0.3 * _HUMID
    chill = SEASONS.index("cold_winter")
    factors[chill, cold] = 0.3 + 3.0 * _WINTER
    factors[chill, temperate] = 0.2 + 1.2 * _WINTER
    factors[chill, humid] = 0.1 + 0.4 * _WINTER
    return factors

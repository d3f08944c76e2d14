"""Abnormal days in the daily KPIs, each with the segment or funnel step that moved most.

A shop's days are not alike: Mondays are not Saturdays, and 11.11 is not a Tuesday. So a day is
compared with the *same weekday* of the weeks before (their median: one odd week does not move
it), and its deviation is measured in units of the usual deviation (the MAD of recent
deviations: one odd day does not inflate it). Festival days are expected peaks: they are scored
but never flagged, and they do not enter any other day's baseline or scale. The engine computes
the daily KPIs; the series are a few hundred numbers each, scored here with numpy. Definitions
and defaults are in docs/analytics.md ("Anomalies").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from storeloop.analytics.funnels import DEFAULT_STEPS, funnel
from storeloop.analytics.kpis import RATES, VISITOR_COUNTS, kpis
from storeloop.analytics.store import StoreTables

DEFAULT_KPIS = (
    "uv",
    "conversion_rate",
    "orders",
    "gmv",
    "aov",
    "repurchase_rate",
    "return_rate_units",
)
DRILL_DOWN = ("channel", "device", "category")
EVENT_KPIS = frozenset({*VISITOR_COUNTS, "conversion_rate"})
SCORE_COLUMNS = ("day", "kpi", "value", "baseline", "scale", "z", "festival", "flagged")
MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to a standard deviation for normally distributed noise."""
MEAN_AD_TO_SIGMA = 1.2533
"""The same for a mean absolute deviation: the fallback when more than half the past
deviations are equal (MAD 0), as with a count that is zero on most days."""


@dataclass(frozen=True)
class Method:
    """The scoring knobs; the defaults are documented and tested."""

    threshold: float = 3.5
    """|z| above this is abnormal (Iglewicz and Hoaglin's cut-off for robust z-scores)."""
    weeks: int = 6
    """Same weekdays looked back on for the baseline."""
    min_weeks: int = 3
    """Fewer usable same weekdays than this: no baseline, no score."""
    scale_days: int = 56
    """Days of past deviations the scale is taken from."""
    min_scale_days: int = 14


@dataclass(frozen=True)
class Cause:
    """The segment of one drill-down dimension, or the funnel step, that moved most.

    For a segment, ``explained`` is its contribution to the day's deviation divided by the
    deviation (1.0: all of it) and ``weight`` its usual share — of the baseline for a count, of
    the day's denominator for a rate. Segments are ranked by ``excess`` = explained − weight: a
    segment that merely moved with the rest, in proportion to its size, explains nothing in
    particular. For the funnel step, ``explained`` is the relative change of its step
    conversion and ``weight`` is None.
    """

    dimension: str
    segment: str
    value: float
    baseline: float
    explained: float
    weight: float | None = None

    @property
    def excess(self) -> float | None:
        return None if self.weight is None else self.explained - self.weight


@dataclass(frozen=True)
class Anomaly:
    day: date
    kpi: str
    value: float
    baseline: float
    z: float
    causes: tuple[Cause, ...] = field(default=())

    @property
    def direction(self) -> str:
        return "up" if self.value > self.baseline else "down"

    @property
    def cause(self) -> Cause | None:
        """The likely cause: the segment with the largest excess, else the funnel step."""
        segments = [cause for cause in self.causes if cause.weight is not None]
        if segments:
            return max(segments, key=lambda cause: cause.excess)
        return self.causes[0] if self.causes else None


@dataclass(frozen=True)
class AnomalyReport:
    scores: pa.Table
    """Every (day, kpi): value, baseline, scale, z, festival (name or null), flagged."""
    anomalies: tuple[Anomaly, ...]


def shop_festivals(years: Iterable[int]) -> dict[date, str]:
    """The shop festivals of fixed date: 6.18, Double 11 (11.11) and Double 12 (12.12)."""
    named = ((6, 18, "618"), (11, 11, "double_11"), (12, 12, "double_12"))
    return {date(year, m, d): name for year in years for m, d, name in named}


def find_anomalies(
    tables: StoreTables,
    *,
    kpi_names: Sequence[str] = DEFAULT_KPIS,
    festivals: Mapping[date, str] | None = None,
    method: Method = Method(),
    drill_down: Sequence[str] = DRILL_DOWN,
    funnel_window: timedelta = timedelta(days=1),
    end: date | None = None,
) -> AnomalyReport:
    """Score the daily KPIs, flag abnormal days and explain each flag.

    Days run from the first with data to ``end``, the last *complete* day (default: the last
    with data, which is only right when that day is over); a day without orders counts zero
    orders.
    ``festivals`` defaults to :func:`shop_festivals` of the years covered. The funnel drill-down
    uses daily funnels (by the day of the first step) closing within ``funnel_window``.
    """
    if tables.events is None:
        kpi_names = [name for name in kpi_names if name not in EVENT_KPIS]
    total = _with_dates(_frame(kpis(tables, grain="day")))
    days = _calendar(total, end)
    festivals = shop_festivals({d.year for d in days}) if festivals is None else festivals
    festive = np.array([day in festivals for day in days])
    daily = _wide(total, None, list(kpi_names), days)
    columns: dict[str, list] = {key: [] for key in SCORE_COLUMNS}
    flagged = []
    for name in kpi_names:
        values = daily[name].to_numpy(dtype=float)
        baseline, scale, z = score_series(values, festive, method)
        flags = (np.abs(z) > method.threshold) & ~festive
        columns["day"] += days
        columns["kpi"] += [name] * len(days)
        for key, array in (("value", values), ("baseline", baseline), ("scale", scale), ("z", z)):
            columns[key] += array.tolist()
        columns["festival"] += [festivals.get(day) for day in days]
        columns["flagged"] += flags.tolist()
        flagged += [
            Anomaly(days[t], name, float(values[t]), float(baseline[t]), float(z[t]))
            for t in np.flatnonzero(flags)
        ]
    if flagged:
        explain = _Explainer(tables, total, days, festive, method, drill_down, funnel_window)
        flagged = [explain(anomaly) for anomaly in flagged]
    return AnomalyReport(pa.table(columns), tuple(flagged))


def score_series(
    values: np.ndarray, festive: np.ndarray, method: Method = Method()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Baseline, scale and robust z of a daily series (one value per consecutive day).

    baseline(t) = median of the same weekday in the ``weeks`` weeks before (skipping festivals
    and unknown values; at least ``min_weeks`` of them); deviation = value − baseline;
    scale(t) = 1.4826 × MAD of the deviations of the ``scale_days`` days before t (at least
    ``min_scale_days`` of them), or 1.2533 × their mean absolute deviation when the MAD is 0;
    z = deviation / scale. On a perfectly flat past (zero scale) any deviation is infinitely
    abnormal, and none is zero.
    """
    baseline = same_weekday_baseline(values, festive, method)
    deviation = values - baseline
    usable = ~festive & ~np.isnan(deviation)
    scale = np.full(len(values), np.nan)
    for t in range(len(values)):
        start = max(0, t - method.scale_days)
        past = deviation[start:t][usable[start:t]]
        if len(past) >= method.min_scale_days:
            distance = np.abs(past - np.median(past))
            scale[t] = MAD_TO_SIGMA * np.median(distance) or MEAN_AD_TO_SIGMA * np.mean(distance)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, deviation / scale, np.sign(deviation) * np.inf)
    z[deviation == 0] = 0.0
    z[np.isnan(scale) | np.isnan(deviation)] = np.nan
    return baseline, scale, z


def same_weekday_baseline(
    values: np.ndarray, festive: np.ndarray, method: Method = Method()
) -> np.ndarray:
    """Median of the same weekday in the previous ``method.weeks`` weeks (see score_series)."""
    n = len(values)
    usable = np.where(festive, np.nan, values)
    lagged = np.full((n, method.weeks), np.nan)
    for week in range(1, method.weeks + 1):
        if 7 * week < n:
            lagged[7 * week :, week - 1] = usable[: n - 7 * week]
    enough = np.sum(~np.isnan(lagged), axis=1) >= method.min_weeks
    baseline = np.full(n, np.nan)
    baseline[enough] = np.nanmedian(lagged[enough], axis=1)
    return baseline


def _segment_kpis(tables: StoreTables, dims: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The daily KPIs by each drill-down dimension, from one query: the engine reads the
    orders, lines and returns once for all of them (half the time of a query each)."""
    if not dims:
        return {}
    parts = [
        kpis(tables, grain="day", by=dim).rename(segment=dim).mutate(dimension=ibis.literal(dim))
        for dim in dims
    ]
    frame = _frame(ibis.union(*parts))
    return {
        dim: _with_dates(
            frame[frame["dimension"] == dim]
            .drop(columns="dimension")
            .rename(columns={"segment": dim})
        ).reset_index(drop=True)
        for dim in dims
    }


def _frame(table: ir.Table) -> pd.DataFrame:
    """A small result as pandas, decimals as floats: the scores are floats anyway, and Ibis
    turns each decimal into a Python object first (a second per 300,000 values)."""
    arrow = table.to_pyarrow()
    for index, column in enumerate(arrow.schema):
        if pa.types.is_decimal(column.type):
            arrow = arrow.set_column(index, column.name, pc.cast(arrow[index], pa.float64()))
    return arrow.to_pandas()


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Periods as ``datetime.date`` whichever way the engine's client typed them."""
    return frame.assign(period=pd.to_datetime(frame["period"]).dt.date)


def _calendar(frame: pd.DataFrame, end: date | None) -> list[date]:
    first = min(frame["period"])
    last = max(frame["period"]) if end is None else end
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _wide(
    frame: pd.DataFrame, dimension: str | None, column: str | list[str], days: list[date]
) -> pd.DataFrame:
    """Days × (column, or segments of ``dimension``), every calendar day present; a missing
    count is 0, a missing rate unknown."""
    if dimension is None:
        wide = frame.set_index("period")[column].reindex(days)
    else:
        segments = frame[dimension].fillna("(unknown)")
        wide = frame.assign(**{dimension: segments}).pivot(
            index="period", columns=dimension, values=column
        )
        wide = wide.reindex(days)
    names = [column] if isinstance(column, str) else column
    counted = [name for name in names if name not in RATES]
    if dimension is None:
        wide = wide.fillna(dict.fromkeys(counted, 0))
    elif counted:
        wide = wide.fillna(0)
    return wide.astype(float)


class _Explainer:
    """The drill-down of flagged days; each dimension's daily KPIs are computed once."""

    def __init__(
        self,
        tables: StoreTables,
        total: pd.DataFrame,
        days: list[date],
        festive: np.ndarray,
        method: Method,
        drill_down: Sequence[str],
        funnel_window: timedelta,
    ) -> None:
        self.position = {day: t for t, day in enumerate(days)}
        denominators = sorted({denominator for _, denominator in RATES.values()})
        self.total = _wide(total, None, denominators, days)
        self.days, self.festive, self.method = days, festive, method
        self.segments = _segment_kpis(tables, drill_down)
        self.steps = (
            self._funnel_steps(tables, funnel_window) if tables.events is not None else None
        )
        self._series: dict[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame | None]] = {}

    def _segment_series(
        self, dim: str, column: str, *, baselines: bool = True
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Days × segments of ``dim`` for one KPI column, and their same-weekday baselines.

        Computed once per (dimension, column) and shared by every flagged day: a year of
        flags asks for the same few series hundreds of times.
        """
        key = (dim, column)
        if key not in self._series or (baselines and self._series[key][1] is None):
            values = _wide(self.segments[dim], dim, column, self.days)
            self._series[key] = (values, self._baselines(values) if baselines else None)
        return self._series[key]

    def __call__(self, anomaly: Anomaly) -> Anomaly:
        t = self.position[anomaly.day]
        causes = [self._top_segment(dim, anomaly, t) for dim in self.segments]
        if self.steps is not None:
            causes.append(self._top_step(t))
        kept = tuple(cause for cause in causes if cause is not None)
        return Anomaly(anomaly.day, anomaly.kpi, anomaly.value, anomaly.baseline, anomaly.z, kept)

    def _baselines(self, wide: pd.DataFrame) -> pd.DataFrame:
        return wide.apply(
            lambda column: pd.Series(
                same_weekday_baseline(column.to_numpy(dtype=float), self.festive, self.method),
                index=column.index,
            )
        )

    def _top_segment(self, dim: str, anomaly: Anomaly, t: int) -> Cause | None:
        """The segment of ``dim`` whose move explains the day's deviation beyond its size.

        A count's segment contributes its own deviation, and weighs its baseline's share of
        the total's baseline. A rate's segment contributes its rate's deviation times its
        weight, its share of the total's denominator that day (for a partition of the
        denominator the contributions add up to the total's deviation). A dimension with a
        single segment that day singles nothing out.
        """
        deviation = anomaly.value - anomaly.baseline
        values, baselines = self._segment_series(dim, anomaly.kpi)
        change = values.iloc[t] - baselines.iloc[t]
        if anomaly.kpi in RATES:
            denominator = RATES[anomaly.kpi][1]
            shares, _ = self._segment_series(dim, denominator, baselines=False)
            weights = shares.iloc[t] / self.total[denominator].iloc[t]
            change = change * weights
        else:  # a count rising from nothing has no usual shares: every segment weighs 0
            weights = baselines.iloc[t] / anomaly.baseline if anomaly.baseline else 0 * change
        excess = (change / deviation - weights).dropna()
        if len(excess) < 2 or deviation == 0:
            return None
        top = excess.idxmax()
        return Cause(
            dim,
            str(top),
            float(values.iloc[t][top]),
            float(baselines.iloc[t][top]),
            float(change[top] / deviation),
            float(weights[top]),
        )

    def _top_step(self, t: int) -> Cause | None:
        """The funnel step whose conversion moved most, relative to its own baseline."""
        rates, baselines = self.steps
        change = (rates.iloc[t] / baselines.iloc[t] - 1).dropna()
        if change.empty:
            return None
        top = change.abs().idxmax()
        return Cause(
            "funnel",
            str(top),
            float(rates.iloc[t][top]),
            float(baselines.iloc[t][top]),
            float(change[top]),
        )

    def _funnel_steps(
        self, tables: StoreTables, window: timedelta
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Days × steps ("add_to_cart→checkout_start"): step conversions and their baselines."""
        events = tables.events.mutate(day=tables.events.occurred_at.date())
        daily = _frame(funnel(events, window=window, by=["day"]))
        daily = daily[daily["step"] > 1]
        labels = {k: f"{DEFAULT_STEPS[k - 2]}→{DEFAULT_STEPS[k - 1]}" for k in daily["step"]}
        daily = _with_dates(daily.assign(period=daily["day"], step=daily["step"].map(labels)))
        rates = _wide(daily, "step", "step_conversion", self.days)
        return rates, self._baselines(rates)

"""Customer lifetime value: per-customer summaries in the engine, BG/NBD and Gamma-Gamma on top.

The summaries are exactly those of lifetimes' ``summary_data_from_transaction_data``, so a fit
here can be checked against the literature and against the tool analysts already use. They are
computed by the engine (DuckDB or Spark) from transactions of any size; only the per-customer
summaries — or, for the fit, their distinct combinations — ever reach Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from storeloop.analytics.bgnbd import BgNbd, fit_bgnbd
from storeloop.analytics.exprs import on_or_before
from storeloop.analytics.gamma_gamma import GammaGamma, fit_gamma_gamma
from storeloop.analytics.periods import week_start

TimeUnit = Literal["day", "week"]
UNIT_DAYS: dict[TimeUnit, int] = {"day": 1, "week": 7}
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
PREDICTION_COLUMNS = (
    "probability_alive",
    "expected_purchases",
    "expected_average_spend",
    "expected_value",
)


def prediction_schema(customer_id: pa.DataType) -> pa.Schema:
    """The columns of :func:`predict_clv`, for a table without a fit; ids keep the data's type
    (text from files, the store's integers)."""
    floats = [(name, pa.float64()) for name in (*SUMMARY_COLUMNS[2:], *PREDICTION_COLUMNS)]
    return pa.schema([("customer_id", customer_id), ("frequency", pa.int64()), *floats])


def customer_summaries(
    transactions: ir.Table,
    *,
    calibration_end: date,
    time_unit: TimeUnit = "day",
    period: TimeUnit = "day",
) -> ir.Table:
    """Per customer: frequency, recency, T and monetary_value, as lifetimes defines them.

    ``period`` is the span within which purchases count as one (their amounts summed): a calendar
    day, or a Monday-to-Sunday week. ``time_unit`` is the unit recency and T are measured in.
    Day periods measured in weeks is the setting of the published CDNOW fit (lifetimes'
    ``freq="D", freq_multiplier=7``); week periods are lifetimes' ``freq="W"``.
    Purchases after ``calibration_end`` (a date, inclusive) are left out: they are the holdout.
    """
    if UNIT_DAYS[period] > UNIT_DAYS[time_unit]:
        raise ValueError("a purchase period cannot be longer than the time unit")
    unit_days = UNIT_DAYS[time_unit]
    kept = transactions.filter(on_or_before(transactions.ordered_at, calibration_end))
    start = kept.ordered_at.date() if period == "day" else kept.ordered_at.truncate("W").date()
    # Two aggregations and no window or join: purchase periods per customer, then customers.
    # A decimal amount stays exact up to the repeat total, so the mean is rounded once.
    periods = kept.group_by(customer_id=kept.customer_id, day=start.epoch_days()).aggregate(
        total=kept.amount.sum()
    )
    per_customer = periods.group_by("customer_id").aggregate(
        periods=periods.count(),
        first_day=periods.day.min(),
        last_day=periods.day.max(),
        spent=periods.total.sum(),
        first_total=_first_by(periods.total, periods.day, periods),
    )
    repeat_total = (per_customer.spent - per_customer.first_total).cast("float64")
    end_day = _epoch_days(calibration_end if period == "day" else week_start(calibration_end))
    return per_customer.select(
        "customer_id",
        frequency=per_customer.periods - 1,
        recency=(per_customer.last_day - per_customer.first_day).cast("float64") / unit_days,
        T=(ibis.literal(end_day) - per_customer.first_day).cast("float64") / unit_days,
        monetary_value=ibis.ifelse(
            per_customer.periods > 1, repeat_total / (per_customer.periods - 1), 0.0
        ),
    )


@dataclass(frozen=True, slots=True)
class ClvModel:
    bgnbd: BgNbd
    gamma_gamma: GammaGamma

    def parameters(self) -> dict[str, dict[str, float]]:
        """The fitted parameters in the shape ``storeloop analyze clv --params`` prints."""
        g, m = self.bgnbd, self.gamma_gamma
        return {
            "bgnbd": {"r": g.r, "alpha": g.alpha, "a": g.a, "b": g.b, "loglik": g.loglik},
            "gamma_gamma": {"p": m.p, "q": m.q, "v": m.v},
        }


def fit_clv(summaries: ir.Table) -> ClvModel:
    """Fit both models on the distinct summary rows the engine counts for us.

    The engine reads ``summaries`` twice (once per model), and :func:`predict_clv` once more:
    hold them in the engine first (:func:`fit_and_predict` does) unless they are a table.
    """
    bg = (
        summaries.group_by(["frequency", "recency", "T"])
        .aggregate(customers=summaries.count())
        .to_pyarrow()
    )
    repeat = summaries.filter((summaries.frequency > 0) & (summaries.monetary_value > 0))
    gg = (
        repeat.group_by(["frequency", "monetary_value"])
        .aggregate(customers=repeat.count())
        .to_pyarrow()
    )
    return ClvModel(
        bgnbd=fit_bgnbd(*_numpy(bg, "frequency", "recency", "T", "customers")),
        gamma_gamma=fit_gamma_gamma(*_numpy(gg, "frequency", "monetary_value", "customers")),
    )


def predict_clv(summaries: ir.Table, model: ClvModel, horizon: float) -> pa.Table:
    """Per customer: the summary, P(alive), expected purchases within ``horizon`` time units,
    expected spend per purchase, and their product (undiscounted value over the horizon)."""
    table = summaries.order_by("customer_id").to_pyarrow().select(list(SUMMARY_COLUMNS))
    x, t_x, age, m = _numpy(table, "frequency", "recency", "T", "monetary_value")
    purchases = model.bgnbd.expected_purchases(horizon, x, t_x, age)
    spend = model.gamma_gamma.expected_average_spend(x, m)
    predictions = (
        model.bgnbd.probability_alive(x, t_x, age),
        purchases,
        spend,
        purchases * spend,
    )
    for name, values in zip(PREDICTION_COLUMNS, predictions, strict=True):
        table = table.append_column(name, pa.array(values, pa.float64()))
    return table


def fit_and_predict(summaries: ir.Table, horizon: float) -> tuple[ClvModel, pa.Table]:
    """:func:`fit_clv` and :func:`predict_clv` on summaries computed once.

    The summaries (one row per customer) are held in the engine while the fits count their
    distinct rows and the predictions read them, instead of being computed from the
    transactions three times; they are released afterwards.
    """
    with summaries.cache() as held:
        model = fit_clv(held)
        return model, predict_clv(held, model, horizon)


def _first_by(value: ir.Column, key: ir.Column, table: ir.Table) -> ir.Scalar:
    """The ``value`` of the row with the least ``key`` (keys are distinct within a group).

    Ibis says this as ``first(value ORDER BY key)`` on DuckDB, which sorts every group; DuckDB's
    own ``arg_min`` is a plain hash aggregate and takes a third of the time. Spark gets
    ``min_by``.
    """
    if table._find_backend(use_default=True).name != "duckdb":
        return value.argmin(key)
    arg_min = ibis.udf.agg.builtin(
        lambda value, key: None,  # the body of a built-in function is never called
        name="arg_min",
        signature=((value.type(), key.type()), value.type()),
    )
    return arg_min(value, key)


def _numpy(table: pa.Table, *columns: str) -> list[np.ndarray]:
    return [table[column].to_numpy().astype(np.float64) for column in columns]


def _epoch_days(day: date) -> int:
    return (day - date(1970, 1, 1)).days

"""Admin analytics endpoints: the store analyses on the store database, as JSON.

The store is loaded into DuckDB once per app and reused for five minutes, and so is each result
(:mod:`storeloop.analytics.store_cache`), so a dashboard paging through a customer list pays
for one computation. This layer only picks the analysis, pages it and translates: yuan to
integer fen, text ids to integers, itemsets to lists. Definitions are in docs/analytics.md.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request

from storeloop.analytics.schemas import (
    AbcXyzPage,
    AbcXyzQuery,
    AbcXyzRow,
    AnomalyQuery,
    AnomalyRead,
    AnomalyResponse,
    BasketQuery,
    BasketRule,
    CauseRead,
    ClvCustomer,
    ClvQuery,
    ClvResponse,
    CohortResponse,
    CohortRow,
    DateRange,
    FunnelQuery,
    FunnelResponse,
    FunnelStep,
    KpiQuery,
    KpiResponse,
    KpiRow,
    SegmentCustomer,
    SegmentCustomersQuery,
    SegmentSize,
    SegmentsQuery,
    SegmentsResponse,
)
from storeloop.analytics.store_cache import StoreCache
from storeloop.schemas import Page, PageParams
from storeloop.web.deps import ADMIN

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

    from storeloop.analytics.anomalies import Anomaly, Cause
    from storeloop.analytics.store import StoreTables

# The analyses (Ibis, DuckDB, pandas, SciPy, PyArrow) are imported inside the endpoints, on the
# first analytics request: the app imports this router at startup, and loading the engine
# with it cost every process a second or more, analytics used or not.

router = APIRouter(prefix="/analytics", tags=["analytics"], dependencies=ADMIN)

MONEY_KPIS = frozenset({"gmv", "refund_amount", "aov", "gmv_per_order"})
COHORT_MONEY = ("revenue", "revenue_per_customer")
CLV_MONEY = ("monetary_value", "expected_average_spend", "expected_value")
T = TypeVar("T")
_creating = threading.Lock()


def get_store_cache(request: Request) -> StoreCache:
    """The app's cache of its store's analytics tables, made on first use."""
    state = request.app.state
    with _creating:
        if getattr(state, "analytics_cache", None) is None:
            url = state.engine.url.render_as_string(hide_password=False)
            state.analytics_cache = StoreCache(url)
    return state.analytics_cache


CacheDep = Annotated[StoreCache, Depends(get_store_cache)]


@router.get("/kpis", summary="Store KPIs by day or week, overall or by segment")
def get_kpis(cache: CacheDep, query: Annotated[KpiQuery, Query()]) -> KpiResponse:
    def compute(tables: StoreTables) -> pa.Table:
        from storeloop.analytics.kpis import kpis

        return _between(kpis(tables, grain=query.grain, by=query.by), "period", query).to_pyarrow()

    rows = _rows(cache.compute(_key("kpis", query), compute), MONEY_KPIS)
    items = [KpiRow(segment=row.pop(query.by) if query.by else None, **row) for row in rows]
    return KpiResponse(grain=query.grain, by=query.by, items=items)


@router.get("/funnel", summary="Visit → view → cart → checkout → payment, per visitor")
def get_funnel(cache: CacheDep, query: Annotated[FunnelQuery, Query()]) -> FunnelResponse:
    def compute(tables: StoreTables) -> pa.Table | None:
        from storeloop.analytics.funnels import funnel

        if tables.events is None:
            return None
        events = _between(tables.events, "occurred_at", query)
        by = [query.by] if query.by else []
        return funnel(events, window=timedelta(days=query.window_days), by=by).to_pyarrow()

    rows = _rows(cache.compute(_key("funnel", query), compute))
    items = [FunnelStep(segment=row.pop(query.by) if query.by else None, **row) for row in rows]
    return FunnelResponse(by=query.by, window_days=query.window_days, items=items)


@router.get("/anomalies", summary="Abnormal days in the daily KPIs, each with its likely cause")
def get_anomalies(cache: CacheDep, query: Annotated[AnomalyQuery, Query()]) -> AnomalyResponse:
    def compute(tables: StoreTables) -> tuple[date | None, tuple[Anomaly, ...]]:
        from storeloop.analytics.anomalies import find_anomalies

        last = _last_day_of(tables)
        if last is None:
            return None, ()
        end = query.end or last - timedelta(days=1)
        first = tables.orders.ordered_at.min().to_pyarrow().as_py().date()
        return end, find_anomalies(tables, end=end).anomalies if end >= first else ()

    end, anomalies = cache.compute(_key("anomalies", query, "from_", "to"), compute)
    kept = [a for a in anomalies if _within(a.day, query)]
    return AnomalyResponse(end=end, items=[_anomaly(anomaly) for anomaly in kept])


@router.get("/cohorts", summary="Acquisition-month cohorts: retention and revenue by month")
def get_cohorts(cache: CacheDep, query: Annotated[DateRange, Query()]) -> CohortResponse:
    def compute(tables: StoreTables) -> pa.Table:
        from storeloop.analytics.cohorts import cohorts

        return _between(cohorts(tables.orders), "cohort", query).to_pyarrow()

    rows = _rows(cache.compute(_key("cohorts", query), compute), COHORT_MONEY)
    return CohortResponse(items=[CohortRow(**row) for row in rows])


@router.get("/segments", summary="RFM segment sizes and churn-risk, dormant and VIP counts")
def get_segments(cache: CacheDep, query: Annotated[SegmentsQuery, Query()]) -> SegmentsResponse:
    as_of = query.as_of or _last_day(cache)
    if as_of is None:
        return SegmentsResponse(as_of=None)

    def compute(tables: StoreTables) -> pa.Table:
        from storeloop.analytics.report import segment_sizes

        return segment_sizes(_rfm(tables, as_of)).to_pyarrow()

    sizes = cache.compute(("segment_sizes", as_of), compute)
    sizes = _rows(sizes, {"monetary"})
    totals = {flag: sum(row[flag] for row in sizes) for flag in ("churn_risk", "dormant", "vip")}
    return SegmentsResponse(
        as_of=as_of,
        customers=sum(row["customers"] for row in sizes),
        segments=[SegmentSize(**row) for row in sizes],
        **totals,
    )


@router.get(
    "/segments/customers",
    summary="The customers of a segment or flag (churn risk, dormant, VIP), by customer id",
)
def get_segment_customers(
    cache: CacheDep, query: Annotated[SegmentCustomersQuery, Query()]
) -> Page[SegmentCustomer]:
    as_of = query.as_of or _last_day(cache)
    if as_of is None:
        return Page(items=[], total=0, limit=query.limit, offset=query.offset)
    customers = cache.compute(("rfm", as_of), lambda t: _rfm(t, as_of).to_pyarrow())
    if query.segment is not None:
        import pyarrow.compute as pc

        customers = customers.filter(pc.equal(customers["segment"], query.segment))
    if query.flag is not None:
        customers = customers.filter(customers[query.flag])
    return _page(customers, query, SegmentCustomer, {"monetary", "aov"})


@router.get("/abc-xyz", summary="ABC (revenue share) × XYZ (demand variability) per SKU")
def get_abc_xyz(cache: CacheDep, query: Annotated[AbcXyzQuery, Query()]) -> AbcXyzPage:
    def compute(tables: StoreTables) -> tuple[date | None, date | None, pa.Table | None]:
        from storeloop.analytics.abc_xyz import abc_xyz
        from storeloop.analytics.report import REVIEW_WEEKS, last_whole_week_end

        if _last_day_of(tables) is None:
            return None, None, None
        default_end = last_whole_week_end(tables)
        end = query.to - timedelta(days=1) if query.to else default_end
        start = query.from_ or end - timedelta(weeks=REVIEW_WEEKS) + timedelta(days=1)
        return start, end, abc_xyz(tables.order_lines, start=start, end=end).to_pyarrow()

    start, end, table = cache.compute(_key("abc_xyz", query), compute)
    page = _page(table, query, AbcXyzRow, {"revenue"})
    return AbcXyzPage(**page.model_dump(), start=start, end=end)


@router.get("/baskets", summary="Pair and triple association rules, best lift first")
def get_baskets(cache: CacheDep, query: Annotated[BasketQuery, Query()]) -> Page[BasketRule]:
    def compute(tables: StoreTables) -> pa.Table:
        from storeloop.analytics.baskets import association_rules

        lines = _between(tables.order_lines, "ordered_at", query)
        rules = association_rules(
            lines, min_support=query.min_support, min_confidence=query.min_confidence
        )
        return rules.to_pyarrow()

    return _page(cache.compute(_key("baskets", query), compute), query, _rule)


@router.get("/clv", summary="BG/NBD + Gamma-Gamma: fitted parameters and per-customer value")
def get_clv(cache: CacheDep, query: Annotated[ClvQuery, Query()]) -> ClvResponse:
    calibration_end = query.calibration_end or _last_day(cache)

    def compute(tables: StoreTables) -> tuple[dict | None, str | None, pa.Table | None]:
        from storeloop.analytics.clv import customer_summaries, fit_and_predict

        if calibration_end is None:
            return None, "there are no paid orders", None
        summaries = customer_summaries(
            tables.orders, calibration_end=calibration_end, time_unit="week"
        )
        try:
            model, predictions = fit_and_predict(summaries, query.horizon_weeks)
        except ValueError as refused:  # too little history to tell customers apart
            return None, str(refused), None
        return model.parameters(), None, predictions

    parameters, note, predictions = cache.compute(
        ("clv", calibration_end, query.horizon_weeks), compute
    )
    page = _page(predictions, query, ClvCustomer, CLV_MONEY)
    return ClvResponse(
        **page.model_dump(),
        calibration_end=calibration_end,
        horizon_weeks=query.horizon_weeks,
        parameters=parameters,
        note=note,
    )


def _key(name: str, query: PageParams | DateRange, *leave_out: str) -> tuple[str, str]:
    """A cache key of the parameters that change the result (not the page, nor ``leave_out``)."""
    return name, query.model_dump_json(exclude={"limit", "offset", *leave_out})


def _last_day(cache: StoreCache) -> date | None:
    return cache.compute(("last_day",), _last_day_of)


def _last_day_of(tables: StoreTables) -> date | None:
    """The last day with a paid order (shop clock), or None for a store without sales."""
    last = tables.orders.ordered_at.max().to_pyarrow().as_py()
    return None if last is None else last.date()


def _rule(antecedents: str, consequents: str, **measures: float) -> BasketRule:
    """A rule with its itemsets as lists of SKUs."""
    from storeloop.analytics.baskets import SEPARATOR

    return BasketRule(
        antecedents=antecedents.split(SEPARATOR),
        consequents=consequents.split(SEPARATOR),
        **measures,
    )


def _rfm(tables: StoreTables, as_of: date) -> ir.Table:
    from storeloop.analytics.segments import rfm

    return rfm(tables.orders, as_of=as_of)


def _between(table: ir.Table, column: str, query: DateRange) -> ir.Table:
    day = table[column] if table[column].type().is_date() else table[column].date()
    if query.from_ is not None:
        table = table.filter(day >= query.from_)
    if query.to is not None:
        table = table.filter(day < query.to)
    return table


def _within(day: date, query: DateRange) -> bool:
    return (query.from_ is None or day >= query.from_) and (query.to is None or day < query.to)


def _page(
    table: pa.Table | None, query: PageParams, model: Callable[..., T], money: Iterable[str] = ()
) -> Page[T]:
    """One page of ``table`` (None: nothing to list) as ``model`` items."""
    if table is None:
        return Page(items=[], total=0, limit=query.limit, offset=query.offset)
    rows = _rows(table.slice(query.offset, query.limit), money)
    return Page(
        items=[model(**row) for row in rows],
        total=table.num_rows,
        limit=query.limit,
        offset=query.offset,
    )


def _rows(table: pa.Table | None, money: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Arrow rows as JSON-ready dicts: ``money`` columns in fen, non-finite floats as null."""
    if table is None:
        return []
    money = set(money)
    return [
        {name: _fen(value) if name in money else _finite(value) for name, value in row.items()}
        for row in table.to_pylist()
    ]


def _fen(yuan: Decimal | float | None) -> int | None:
    """Yuan to integer fen, half up; exact for the engine's decimals."""
    if yuan is None or (isinstance(yuan, float) and not math.isfinite(yuan)):
        return None
    exact = yuan if isinstance(yuan, Decimal) else Decimal(repr(yuan))
    return int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _anomaly(anomaly: Anomaly) -> AnomalyRead:
    money = anomaly.kpi in MONEY_KPIS

    def amount(value: float) -> float | int | None:
        return _fen(value) if money else _finite(value)

    def cause(found: Cause) -> CauseRead:
        in_money = money and found.dimension != "funnel"  # a funnel step's value is a rate
        return CauseRead(
            dimension=found.dimension,
            segment=found.segment,
            value=_fen(found.value) if in_money else found.value,
            baseline=_fen(found.baseline) if in_money else found.baseline,
            explained=found.explained,
            weight=found.weight,
        )

    return AnomalyRead(
        day=anomaly.day,
        kpi=anomaly.kpi,
        value=amount(anomaly.value),
        baseline=amount(anomaly.baseline),
        z=_finite(anomaly.z),
        direction=anomaly.direction,
        cause=cause(anomaly.cause) if anomaly.cause else None,
        causes=[cause(found) for found in anomaly.causes],
    )

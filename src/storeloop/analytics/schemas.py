"""Query parameters and responses of the admin analytics API.

Money leaves as integer fen, like everywhere in the API (the engine computes exact decimal yuan;
an average such as the AOV is rounded to the nearest fen). Rates are fractions (0.05 = 5%).
Dates are the shop's calendar days, and a ``from``/``to`` range is half-open like every other
range of the API: ``from`` inclusive, ``to`` exclusive.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from storeloop.analytics.vocabulary import SEGMENTS, Dimension, Grain
from storeloop.schemas import Page, PageParams, WriteModel

Fen = Annotated[int, Field(description="integer minor units (fen)")]
SegmentName = Literal[tuple(name for name, _, _ in SEGMENTS)]  # type: ignore[valid-type]
Flag = Literal["churn_risk", "dormant", "vip"]


class DateRange(WriteModel):
    """``from`` (inclusive) and ``to`` (exclusive), both optional."""

    from_: date | None = Field(None, alias="from", description="first day (inclusive)")
    to: date | None = Field(None, description="end day (exclusive)")

    @field_validator("to")
    @classmethod
    def _after_from(cls, to: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("from_")
        if to is not None and start is not None and to <= start:
            raise ValueError("must be after 'from'")
        return to


class KpiQuery(DateRange):
    grain: Grain = "day"
    by: Dimension | None = None


class FunnelQuery(DateRange):
    by: Literal["channel", "device"] | None = None
    window_days: int = Field(14, ge=1, le=90, description="conversion window from the first step")


class AnomalyQuery(DateRange):
    end: date | None = Field(
        None, description="last complete day; default the day before the last day with an order"
    )


class SegmentsQuery(WriteModel):
    as_of: date | None = Field(None, description="default: the last day with an order")


class SegmentCustomersQuery(PageParams):
    as_of: date | None = Field(None, description="default: the last day with an order")
    segment: SegmentName | None = None
    flag: Flag | None = Field(None, description="only customers with this flag")


class AbcXyzQuery(PageParams, DateRange):
    """Default range: the 12 whole weeks ending on the Sunday on or before the last order."""


class BasketQuery(PageParams, DateRange):
    min_support: float = Field(0.01, gt=0, le=1)
    min_confidence: float = Field(0.1, gt=0, le=1)


class ClvQuery(PageParams):
    calibration_end: date | None = Field(
        None, description="last day of history fitted on; default the last day with an order"
    )
    horizon_weeks: float = Field(52, gt=0, le=520)


class KpiRow(BaseModel):
    period: date = Field(description="the day, or the Monday of the week")
    segment: str | None = Field(description="the channel, device, category or region of `by`")
    uv: int | None
    paying_visitors: int | None
    paying_customers: int
    orders: int
    repeat_customers: int
    gmv: Fen
    units: int
    returned_units: int
    refund_amount: Fen
    conversion_rate: float | None
    aov: Fen | None = Field(description="客单价: GMV per paying customer")
    gmv_per_order: Fen | None
    repurchase_rate: float | None
    return_rate_units: float | None
    return_rate_amount: float | None


class KpiResponse(BaseModel):
    grain: Grain
    by: Dimension | None
    items: list[KpiRow]


class FunnelStep(BaseModel):
    segment: str | None
    step: int
    event: str
    visitors: int
    conversion: float | None
    step_conversion: float | None
    dropped: int
    drop_off: float | None
    median_seconds: float | None


class FunnelResponse(BaseModel):
    by: str | None
    window_days: int
    items: list[FunnelStep]


class CauseRead(BaseModel):
    dimension: str = Field(description="channel, device, category, or funnel")
    segment: str
    value: float | int
    baseline: float | int
    explained: float
    weight: float | None


class AnomalyRead(BaseModel):
    day: date
    kpi: str
    value: float | int = Field(description="fen for money KPIs")
    baseline: float | int
    z: float | None = Field(description="null when the past was flat: any change is abnormal")
    direction: Literal["up", "down"]
    cause: CauseRead | None
    causes: list[CauseRead]


class AnomalyResponse(BaseModel):
    end: date | None
    items: list[AnomalyRead]


class CohortRow(BaseModel):
    cohort: date
    months_since: int
    cohort_customers: int
    customers: int
    retention: float
    revenue: Fen
    revenue_per_customer: Fen


class CohortResponse(BaseModel):
    items: list[CohortRow]


class SegmentSize(BaseModel):
    segment: str
    customers: int
    share: float
    monetary: Fen
    churn_risk: int
    dormant: int
    vip: int


class SegmentsResponse(BaseModel):
    as_of: date | None
    customers: int = 0
    churn_risk: int = 0
    dormant: int = 0
    vip: int = 0
    segments: list[SegmentSize] = []


class SegmentCustomer(BaseModel):
    customer_id: int
    last_order: date
    recency_days: int
    frequency: int
    monetary: Fen
    aov: Fen
    r_score: int
    f_score: int
    m_score: int
    rfm: str
    segment: str
    churn_risk: bool
    dormant: bool
    vip: bool


class AbcXyzRow(BaseModel):
    sku: str
    category: str
    revenue: Fen
    revenue_share: float | None
    cumulative_share: float | None
    abc: Literal["A", "B", "C"]
    units: int
    weeks: int
    weeks_with_sales: int
    mean_weekly_units: float
    cv: float | None
    xyz: Literal["X", "Y", "Z"]
    abc_xyz: str
    policy: str


class AbcXyzPage(Page[AbcXyzRow]):
    start: date | None
    end: date | None


class BasketRule(BaseModel):
    antecedents: list[str]
    consequents: list[str]
    support: float
    confidence: float
    lift: float


class ClvCustomer(BaseModel):
    customer_id: int
    frequency: int
    recency: float
    T: float
    monetary_value: Fen
    probability_alive: float
    expected_purchases: float
    expected_average_spend: Fen
    expected_value: Fen


class ClvResponse(Page[ClvCustomer]):
    calibration_end: date | None
    horizon_weeks: float
    parameters: dict[str, dict[str, float]] | None = Field(
        description='{"bgnbd": {r, alpha, a, b, loglik}, "gamma_gamma": {p, q, v}}'
    )
    note: str | None = Field(None, description="why there is no fit (too little history)")

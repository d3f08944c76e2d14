"""Suppliers and carriers of the demo brand, with the hidden performance that drives their data.

Suppliers differ in punctuality and defect rate so the scorecard (S1.3c) has a real bottom 10%
to drop; carriers differ in price and speed per distance so routing by region and order value
(S1.3b) has a real trade-off to make.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SupplierSpec:
    code: str
    name: str
    province: str
    lead_time_days: int
    cycle_days: int  # how often the brand reorders from this supplier
    on_time_rate: float  # share of purchase orders received by the promised date
    defect_rate: float  # share of received units found defective at inbound QC
    categories: tuple[str, ...]  # category slugs it makes


SUPPLIERS: tuple[SupplierSpec, ...] = (
    SupplierSpec(
        "SUP-01", "义乌市优品服饰有限公司", "浙江", 10, 14, 0.93, 0.012, ("tops", "trousers")
    ),
    SupplierSpec("SUP-02", "广州市穗织制衣厂", "广东", 14, 14, 0.78, 0.026, ("outerwear", "tops")),
    SupplierSpec("SUP-03", "佛山市木居家具有限公司", "广东", 12, 21, 0.88, 0.020, ("storage",)),
    SupplierSpec("SUP-04", "宁波市恒湿电器有限公司", "浙江", 15, 14, 0.95, 0.008, ("appliances",)),
    SupplierSpec("SUP-05", "南通市梦享家纺有限公司", "江苏", 8, 14, 0.90, 0.015, ("bedding",)),
    SupplierSpec(
        "SUP-06", "上海青禾生物科技有限公司", "上海", 10, 14, 0.97, 0.004, ("skincare", "makeup")
    ),
    SupplierSpec(
        "SUP-07",
        "深圳市极壳科技有限公司",
        "广东",
        5,
        7,
        0.92,
        0.020,
        ("phone-cases", "screen-protectors"),
    ),
    SupplierSpec("SUP-08", "东莞市迅充电子有限公司", "广东", 7, 14, 0.85, 0.030, ("chargers",)),
    SupplierSpec(
        "SUP-09", "山东宠乐食品有限公司", "山东", 9, 7, 0.94, 0.006, ("pet-food", "pet-supplies")
    ),
    SupplierSpec(
        "SUP-10",
        "永康市野趣户外用品有限公司",
        "浙江",
        14,
        21,
        0.72,
        0.036,
        ("camping-cookware", "camping-gear"),
    ),
    SupplierSpec("SUP-11", "金华市力动健身器材有限公司", "浙江", 10, 14, 0.89, 0.018, ("fitness",)),
    SupplierSpec(
        "SUP-12",
        "厦门安颐康养用品有限公司",
        "福建",
        12,
        21,
        0.81,
        0.028,
        ("elderly", "aromatherapy"),
    ),
)


@dataclass(frozen=True)
class CarrierSpec:
    code: str
    name: str
    tier: str  # economy or express
    base_fee_fen: int
    transit_days: tuple[float, float, float, float]  # median days per distance class 0..3
    tracking_prefix: str


CARRIERS: tuple[CarrierSpec, ...] = (
    CarrierSpec("ZTO", "中通快递", "economy", 450, (1.6, 2.4, 3.4, 6.0), "78"),
    CarrierSpec("EMS", "中国邮政EMS", "economy", 800, (2.2, 3.0, 3.8, 4.6), "98"),
    CarrierSpec("SF", "顺丰速运", "express", 1400, (0.9, 1.3, 2.0, 3.2), "SF"),
)
ECONOMY, POSTAL, EXPRESS = 0, 1, 2  # indices into CARRIERS

# Orders worth at least this go by express carrier; at least INSURE_FEN they are insured (保价).
EXPRESS_FROM_FEN = 50_000
INSURE_FROM_FEN = 80_000

"""Which warehouse should ship to a province: a pure ranking over plain data.

Checkout reserves each line in the first ranked warehouse that holds all of its units (a line is
never split; the next one is tried when a racing checkout took them), and fulfilment ships from
where the stock was reserved — so this ranking decides where parcels leave from.

The rule (docs/orders.md, "Warehouse routing"):

1. Only warehouses with at least the line's quantity free are candidates.
2. **Distance** is the great-circle distance in km between the capitals of the warehouse's
   province and the ship-to province (``PROVINCES`` below: one row per province, its macro region
   and its capital's coordinates).
3. **Groups**, then distance, then warehouse id:

   * group 0 — a *remote* ship-to province (``REMOTE_PROVINCES``: the far west and Inner
     Mongolia, where the low-cost parcel networks are thin) is served first from a **forward**
     warehouse within ``FORWARD_REACH_KM`` of it, even when a central one is nearer;
   * group 1 — central warehouses, and forward warehouses in the ship-to province's own region;
   * group 2 — other forward warehouses: last resort, since their small stock is placed for
     their own area.

4. An unknown ship-to province (empty, abroad, misspelt) has no distance: candidates are ranked
   by most free units, then id (the rule checkout used before routing existed). A warehouse in
   an unknown province ranks after every known one of its group.

The province table mirrors ``storeloop.demo.geography`` (same names and regions); inventory
cannot import the demo generator, so the few facts routing needs are kept here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FORWARD_REACH_KM = 1500
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class ProvinceSite:
    region: str
    lat: float  # the provincial capital, degrees north
    lon: float  # degrees east


PROVINCES: Mapping[str, ProvinceSite] = {
    "北京": ProvinceSite("north", 39.90, 116.41),
    "天津": ProvinceSite("north", 39.13, 117.20),
    "河北": ProvinceSite("north", 38.04, 114.51),  # 石家庄
    "山西": ProvinceSite("north", 37.87, 112.55),  # 太原
    "内蒙古": ProvinceSite("north", 40.84, 111.75),  # 呼和浩特
    "辽宁": ProvinceSite("northeast", 41.80, 123.43),  # 沈阳
    "吉林": ProvinceSite("northeast", 43.82, 125.32),  # 长春
    "黑龙江": ProvinceSite("northeast", 45.80, 126.53),  # 哈尔滨
    "上海": ProvinceSite("east", 31.23, 121.47),
    "江苏": ProvinceSite("east", 32.06, 118.80),  # 南京
    "浙江": ProvinceSite("east", 30.27, 120.16),  # 杭州
    "安徽": ProvinceSite("east", 31.82, 117.23),  # 合肥
    "福建": ProvinceSite("east", 26.07, 119.30),  # 福州
    "江西": ProvinceSite("east", 28.68, 115.86),  # 南昌
    "山东": ProvinceSite("east", 36.65, 117.12),  # 济南
    "河南": ProvinceSite("central", 34.75, 113.63),  # 郑州
    "湖北": ProvinceSite("central", 30.59, 114.31),  # 武汉
    "湖南": ProvinceSite("central", 28.23, 112.94),  # 长沙
    "广东": ProvinceSite("south", 23.13, 113.26),  # 广州
    "广西": ProvinceSite("south", 22.82, 108.37),  # 南宁
    "海南": ProvinceSite("south", 20.04, 110.34),  # 海口
    "重庆": ProvinceSite("southwest", 29.56, 106.55),
    "四川": ProvinceSite("southwest", 30.57, 104.07),  # 成都
    "贵州": ProvinceSite("southwest", 26.65, 106.63),  # 贵阳
    "云南": ProvinceSite("southwest", 24.88, 102.83),  # 昆明
    "西藏": ProvinceSite("southwest", 29.65, 91.13),  # 拉萨
    "陕西": ProvinceSite("northwest", 34.34, 108.94),  # 西安
    "甘肃": ProvinceSite("northwest", 36.06, 103.83),  # 兰州
    "青海": ProvinceSite("northwest", 36.62, 101.78),  # 西宁
    "宁夏": ProvinceSite("northwest", 38.49, 106.23),  # 银川
    "新疆": ProvinceSite("northwest", 43.83, 87.62),  # 乌鲁木齐
}
REMOTE_PROVINCES = frozenset({"新疆", "西藏", "青海", "内蒙古", "甘肃", "宁夏"})


@dataclass(frozen=True, slots=True)
class WarehouseStock:
    """A warehouse as routing sees it, with the free units (on hand − reserved) of one SKU."""

    warehouse_id: int
    kind: str  # central or forward
    province: str
    region: str
    free: int


@dataclass(frozen=True, slots=True)
class Route:
    """A ranked warehouse and why it is where it is (principle 5: explain every number)."""

    warehouse_id: int
    distance_km: int | None
    rule: str


def is_remote(province: str) -> bool:
    return province in REMOTE_PROVINCES


def distance_km(from_province: str, to_province: str) -> int | None:
    """Great-circle km between the two provinces' capitals; None if either is unknown."""
    a, b = PROVINCES.get(from_province), PROVINCES.get(to_province)
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return round(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)))


def _region(warehouse: WarehouseStock) -> str:
    site = PROVINCES.get(warehouse.province)
    return site.region if site is not None else warehouse.region


def _group(warehouse: WarehouseStock, ship_to: str, distance: int | None) -> tuple[int, str]:
    if warehouse.kind != "forward":
        return 1, "nearest"
    if is_remote(ship_to) and distance is not None and distance <= FORWARD_REACH_KM:
        return 0, f"forward warehouse within {FORWARD_REACH_KM} km of a remote province"
    if _region(warehouse) == PROVINCES[ship_to].region:
        return 1, "nearest (forward warehouse in the province's region)"
    return 2, "forward warehouse outside its area (last resort)"


def rank_warehouses(
    ship_province: str, warehouses: Sequence[WarehouseStock], quantity: int = 1
) -> list[Route]:
    """The warehouses that hold ``quantity`` free units, best first (module docstring)."""
    able = [w for w in warehouses if w.free >= quantity]
    if ship_province not in PROVINCES:
        ranked = sorted(able, key=lambda w: (-w.free, w.warehouse_id))
        return [Route(w.warehouse_id, None, "unknown province: most free units") for w in ranked]
    keyed = []
    for w in able:
        distance = distance_km(w.province, ship_province)
        group, rule = _group(w, ship_province, distance)
        key = (group, distance is None, distance or 0, w.warehouse_id)
        keyed.append((key, Route(w.warehouse_id, distance, rule)))
    return [route for _, route in sorted(keyed, key=lambda pair: pair[0])]


__all__ = [
    "FORWARD_REACH_KM",
    "PROVINCES",
    "REMOTE_PROVINCES",
    "ProvinceSite",
    "Route",
    "WarehouseStock",
    "distance_km",
    "is_remote",
    "rank_warehouses",
]

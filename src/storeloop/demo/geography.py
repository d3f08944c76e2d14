"""Mainland China as the demo store sees it: provinces, macro regions, warehouses.

Customer weights follow each province's rough share of online shoppers (populous, rich coastal
provinces dominate; Tibet and Qinghai are tiny), because every regional chart an analyst draws
from the demo should look like a real Chinese shop's. Two climate indices drive regional
seasonality (S1.4c): humid provinces buy dehumidifiers from the spring "回南天" through summer,
cold ones buy heaters and down jackets in winter.
"""

from __future__ import annotations

from dataclasses import dataclass

REGIONS: tuple[str, ...] = (
    "north",
    "northeast",
    "east",
    "central",
    "south",
    "southwest",
    "northwest",
)
REGION_NAMES_ZH: dict[str, str] = {
    "north": "华北",
    "northeast": "东北",
    "east": "华东",
    "central": "华中",
    "south": "华南",
    "southwest": "西南",
    "northwest": "西北",
}

CLIMATES: tuple[str, ...] = ("humid", "temperate", "cold")


@dataclass(frozen=True)
class Province:
    name: str
    name_en: str
    region: str
    shopper_share: float  # relative weight of the province among online shoppers
    climate: str  # one of CLIMATES: which seasonal categories its people buy
    wealth: float  # 1.0 = national average spending power
    remote: bool  # far from every central warehouse; shipping is not free below a threshold
    cities: tuple[tuple[str, float], ...]  # (city, relative weight)


PROVINCES: tuple[Province, ...] = (
    Province("北京", "Beijing", "north", 4.5, "cold", 1.6, False, (("北京", 1.0),)),
    Province("天津", "Tianjin", "north", 1.5, "cold", 1.3, False, (("天津", 1.0),)),
    Province(
        "河北",
        "Hebei",
        "north",
        3.8,
        "cold",
        0.9,
        False,
        (("石家庄", 0.35), ("保定", 0.25), ("唐山", 0.25), ("廊坊", 0.15)),
    ),
    Province("山西", "Shanxi", "north", 1.6, "cold", 0.85, False, (("太原", 0.6), ("大同", 0.4))),
    Province(
        "内蒙古",
        "Inner Mongolia",
        "north",
        1.0,
        "cold",
        0.95,
        True,
        (("呼和浩特", 0.5), ("包头", 0.35), ("鄂尔多斯", 0.15)),
    ),
    Province(
        "辽宁",
        "Liaoning",
        "northeast",
        2.4,
        "cold",
        0.95,
        False,
        (("沈阳", 0.5), ("大连", 0.4), ("鞍山", 0.1)),
    ),
    Province(
        "吉林", "Jilin", "northeast", 1.1, "cold", 0.85, False, (("长春", 0.65), ("吉林", 0.35))
    ),
    Province(
        "黑龙江",
        "Heilongjiang",
        "northeast",
        1.4,
        "cold",
        0.8,
        False,
        (("哈尔滨", 0.65), ("大庆", 0.2), ("齐齐哈尔", 0.15)),
    ),
    Province("上海", "Shanghai", "east", 5.0, "humid", 1.7, False, (("上海", 1.0),)),
    Province(
        "江苏",
        "Jiangsu",
        "east",
        8.5,
        "humid",
        1.3,
        False,
        (("南京", 0.3), ("苏州", 0.35), ("无锡", 0.2), ("南通", 0.15)),
    ),
    Province(
        "浙江",
        "Zhejiang",
        "east",
        8.0,
        "humid",
        1.35,
        False,
        (("杭州", 0.4), ("宁波", 0.25), ("温州", 0.2), ("金华", 0.15)),
    ),
    Province(
        "安徽",
        "Anhui",
        "east",
        3.3,
        "humid",
        0.9,
        False,
        (("合肥", 0.6), ("芜湖", 0.25), ("阜阳", 0.15)),
    ),
    Province(
        "福建",
        "Fujian",
        "east",
        3.8,
        "humid",
        1.1,
        False,
        (("福州", 0.35), ("厦门", 0.35), ("泉州", 0.3)),
    ),
    Province("江西", "Jiangxi", "east", 2.2, "humid", 0.85, False, (("南昌", 0.6), ("赣州", 0.4))),
    Province(
        "山东",
        "Shandong",
        "east",
        6.5,
        "temperate",
        1.05,
        False,
        (("济南", 0.3), ("青岛", 0.35), ("烟台", 0.2), ("临沂", 0.15)),
    ),
    Province(
        "河南",
        "Henan",
        "central",
        5.0,
        "temperate",
        0.85,
        False,
        (("郑州", 0.5), ("洛阳", 0.25), ("南阳", 0.25)),
    ),
    Province(
        "湖北",
        "Hubei",
        "central",
        3.8,
        "humid",
        0.95,
        False,
        (("武汉", 0.65), ("宜昌", 0.2), ("襄阳", 0.15)),
    ),
    Province(
        "湖南",
        "Hunan",
        "central",
        3.5,
        "humid",
        0.9,
        False,
        (("长沙", 0.6), ("株洲", 0.2), ("衡阳", 0.2)),
    ),
    Province(
        "广东",
        "Guangdong",
        "south",
        12.5,
        "humid",
        1.3,
        False,
        (("广州", 0.3), ("深圳", 0.35), ("东莞", 0.15), ("佛山", 0.2)),
    ),
    Province(
        "广西",
        "Guangxi",
        "south",
        2.1,
        "humid",
        0.8,
        False,
        (("南宁", 0.55), ("柳州", 0.25), ("桂林", 0.2)),
    ),
    Province("海南", "Hainan", "south", 0.6, "humid", 0.95, False, (("海口", 0.6), ("三亚", 0.4))),
    Province("重庆", "Chongqing", "southwest", 2.2, "humid", 0.95, False, (("重庆", 1.0),)),
    Province(
        "四川",
        "Sichuan",
        "southwest",
        5.0,
        "humid",
        0.9,
        False,
        (("成都", 0.7), ("绵阳", 0.15), ("南充", 0.15)),
    ),
    Province(
        "贵州", "Guizhou", "southwest", 1.4, "humid", 0.8, False, (("贵阳", 0.7), ("遵义", 0.3))
    ),
    Province(
        "云南", "Yunnan", "southwest", 2.0, "temperate", 0.8, False, (("昆明", 0.7), ("大理", 0.3))
    ),
    Province("西藏", "Tibet", "southwest", 0.12, "cold", 0.75, True, (("拉萨", 1.0),)),
    Province(
        "陕西", "Shaanxi", "northwest", 2.6, "temperate", 0.9, False, (("西安", 0.8), ("咸阳", 0.2))
    ),
    Province(
        "甘肃", "Gansu", "northwest", 0.8, "cold", 0.75, True, (("兰州", 0.75), ("天水", 0.25))
    ),
    Province("青海", "Qinghai", "northwest", 0.25, "cold", 0.8, True, (("西宁", 1.0),)),
    Province("宁夏", "Ningxia", "northwest", 0.3, "cold", 0.8, True, (("银川", 1.0),)),
    Province(
        "新疆",
        "Xinjiang",
        "northwest",
        0.9,
        "cold",
        0.85,
        True,
        (("乌鲁木齐", 0.6), ("喀什", 0.2), ("伊犁", 0.2)),
    ),
)


@dataclass(frozen=True)
class WarehouseSpec:
    code: str
    name: str
    kind: str  # central or forward (前置仓, S1.3b)
    province: str
    city: str
    serves: tuple[str, ...]  # provinces routed here


WAREHOUSES: tuple[WarehouseSpec, ...] = (
    WarehouseSpec(
        "WH-HZ",
        "杭州中心仓",
        "central",
        "浙江",
        "杭州",
        (
            "北京",
            "天津",
            "河北",
            "山西",
            "内蒙古",
            "辽宁",
            "上海",
            "江苏",
            "浙江",
            "安徽",
            "江西",
            "山东",
            "河南",
            "湖北",
        ),
    ),
    WarehouseSpec(
        "WH-GZ", "广州中心仓", "central", "广东", "广州", ("福建", "湖南", "广东", "广西", "海南")
    ),
    WarehouseSpec(
        "WH-CD", "成都中心仓", "central", "四川", "成都", ("重庆", "四川", "贵州", "云南", "陕西")
    ),
    WarehouseSpec("WH-URC", "乌鲁木齐前置仓", "forward", "新疆", "乌鲁木齐", ("新疆",)),
    WarehouseSpec(
        "WH-XN", "西宁前置仓", "forward", "青海", "西宁", ("青海", "西藏", "甘肃", "宁夏")
    ),
    WarehouseSpec("WH-HRB", "哈尔滨前置仓", "forward", "黑龙江", "哈尔滨", ("黑龙江", "吉林")),
)


def province_index(name: str) -> int:
    return next(i for i, p in enumerate(PROVINCES) if p.name == name)


def region_of(province: str) -> str:
    return PROVINCES[province_index(province)].region


def warehouse_for_province() -> list[int]:
    """Index into WAREHOUSES of the warehouse that ships to each province (PROVINCES order)."""
    routes = {p: i for i, w in enumerate(WAREHOUSES) for p in w.serves}
    missing = [p.name for p in PROVINCES if p.name not in routes]
    if missing:
        raise ValueError(f"provinces without a warehouse: {missing}")
    return [routes[p.name] for p in PROVINCES]


# How far a parcel travels between macro regions: 0 same region, 1 neighbouring, 2 across the
# country, 3 into the far west. Carriers' transit days grow with it (see logistics.py).
_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "north": ("northeast", "east", "central", "northwest"),
    "northeast": ("north",),
    "east": ("north", "central", "south"),
    "central": ("north", "east", "south", "southwest", "northwest"),
    "south": ("east", "central", "southwest"),
    "southwest": ("central", "south", "northwest"),
    "northwest": ("north", "central", "southwest"),
}


def distance_class(from_province: str, to_province: str) -> int:
    if from_province == to_province:
        return 0
    source, target = region_of(from_province), region_of(to_province)
    if to_province in ("西藏", "新疆") or (target == "northwest" and source != "northwest"):
        return 3
    if source == target:
        return 0 if source != "northwest" else 1
    return 1 if target in _NEIGHBOURS[source] else 2

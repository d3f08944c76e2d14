"""Warehouse routing, pure: nearest with stock first, a remote province served from its forward
warehouse, forward warehouses kept for their own area, unknown provinces by free units. (Checkout
using it against a real store: tests/orders/test_fulfilment.py.)"""

from __future__ import annotations

import pytest

from storeloop.demo.geography import PROVINCES as DEMO_PROVINCES
from storeloop.demo.geography import WAREHOUSES as DEMO_WAREHOUSES
from storeloop.inventory.routing import (
    FORWARD_REACH_KM,
    PROVINCES,
    REMOTE_PROVINCES,
    WarehouseStock,
    distance_km,
    is_remote,
    rank_warehouses,
)

HZ = WarehouseStock(1, "central", "浙江", "east", 50)
GZ = WarehouseStock(2, "central", "广东", "south", 50)
CD = WarehouseStock(3, "central", "四川", "southwest", 50)
URC = WarehouseStock(4, "forward", "新疆", "northwest", 5)
XN = WarehouseStock(5, "forward", "青海", "northwest", 5)
HRB = WarehouseStock(6, "forward", "黑龙江", "northeast", 5)
ALL = [HZ, GZ, CD, URC, XN, HRB]


def _ids(province: str, warehouses: list[WarehouseStock] = ALL, quantity: int = 1) -> list[int]:
    return [r.warehouse_id for r in rank_warehouses(province, warehouses, quantity)]


def test_the_province_table_matches_the_demo_generator() -> None:
    assert {p.name: p.region for p in DEMO_PROVINCES} == {
        name: site.region for name, site in PROVINCES.items()
    }
    assert {p.name for p in DEMO_PROVINCES if p.remote} == REMOTE_PROVINCES
    assert all(w.province in PROVINCES for w in DEMO_WAREHOUSES)


def test_distance_is_great_circle_between_capitals() -> None:
    assert distance_km("浙江", "浙江") == 0
    assert distance_km("浙江", "广东") == distance_km("广东", "浙江")
    assert 1000 < (distance_km("浙江", "广东") or 0) < 1100  # 杭州–广州 ≈ 1050 km
    assert 3000 < (distance_km("新疆", "上海") or 0) < 3400  # 乌鲁木齐–上海 ≈ 3270 km
    assert distance_km("浙江", "Atlantis") is None


def test_nearest_with_stock_first() -> None:
    assert _ids("广东")[:3] == [GZ.warehouse_id, HZ.warehouse_id, CD.warehouse_id]
    assert _ids("上海")[0] == HZ.warehouse_id
    assert _ids("重庆")[0] == CD.warehouse_id
    routes = rank_warehouses("广东", ALL)
    assert (routes[0].distance_km, routes[0].rule) == (0, "nearest")


def test_falls_through_when_the_nearest_has_not_enough() -> None:
    empty_gz = WarehouseStock(2, "central", "广东", "south", 0)
    assert _ids("广东", [HZ, empty_gz, CD])[0] == HZ.warehouse_id
    few_gz = WarehouseStock(2, "central", "广东", "south", 2)
    assert _ids("广东", [HZ, few_gz, CD], quantity=3) == [HZ.warehouse_id, CD.warehouse_id]
    assert _ids("广东", [HZ, few_gz, CD], quantity=2)[0] == GZ.warehouse_id
    assert _ids("广东", [HZ, few_gz], quantity=99) == []


@pytest.mark.parametrize(
    ("province", "forward"),
    [("新疆", URC), ("青海", XN), ("甘肃", XN), ("宁夏", XN), ("内蒙古", XN), ("西藏", XN)],
)
def test_a_remote_province_is_served_from_a_forward_warehouse_first(
    province: str, forward: WarehouseStock
) -> None:
    assert is_remote(province)
    routes = rank_warehouses(province, ALL)
    assert routes[0].warehouse_id == forward.warehouse_id
    assert routes[0].distance_km is not None and routes[0].distance_km <= FORWARD_REACH_KM
    assert "remote" in routes[0].rule


def test_tibet_prefers_xining_although_chengdu_is_nearer() -> None:
    assert (distance_km("四川", "西藏") or 0) < (distance_km("青海", "西藏") or 0)
    assert _ids("西藏")[:2] == [XN.warehouse_id, CD.warehouse_id]
    # forward warehouse out of stock: the nearest central one
    assert _ids("西藏", [HZ, GZ, CD, WarehouseStock(5, "forward", "青海", "northwest", 0)]) == [
        CD.warehouse_id,
        GZ.warehouse_id,
        HZ.warehouse_id,
    ]


def test_forward_warehouses_outside_their_area_come_last() -> None:
    # 哈尔滨 is nearer 北京 than 杭州 is, but its stock is kept for the north-east
    assert (distance_km("黑龙江", "北京") or 0) < (distance_km("浙江", "北京") or 0)
    ranked = rank_warehouses("北京", ALL)
    assert [r.warehouse_id for r in ranked[:3]] == [1, 3, 2]
    assert {r.warehouse_id for r in ranked[3:]} == {4, 5, 6}
    assert all("last resort" in r.rule for r in ranked[3:])
    # in its own region it competes on distance
    assert _ids("吉林")[0] == HRB.warehouse_id


def test_unknown_province_ranks_by_free_units() -> None:
    small_hz = WarehouseStock(1, "central", "浙江", "east", 3)
    assert _ids("", [small_hz, GZ, URC]) == [GZ.warehouse_id, URC.warehouse_id, 1]
    assert _ids("Atlantis", [GZ, CD]) == [GZ.warehouse_id, CD.warehouse_id]  # tie: lower id


def test_a_warehouse_in_an_unknown_province_ranks_after_known_ones() -> None:
    odd = WarehouseStock(0, "central", "somewhere", "east", 50)
    assert _ids("广东", [odd, HZ, GZ]) == [GZ.warehouse_id, HZ.warehouse_id, 0]

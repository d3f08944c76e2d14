"""When each customer buys, and what: the purchase process, baskets and order amounts.

Purchase times follow the customers' BG/NBD habits in "shopping time": a clock that runs faster
on festival days and slower over the Spring Festival (the cumulative daily intensity), so a
customer's Poisson purchases bunch on 11.11 exactly as real ones do while the per-customer
structure a CLV model looks for is untouched. Baskets come from persona × season × popularity
weights, one searchsorted for all lines at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storeloop.demo.catalog import Catalog, category_index
from storeloop.demo.customers import ACQUISITION_CHANNELS, PERSONAS, Customers
from storeloop.demo.geography import CLIMATES, PROVINCES
from storeloop.demo.pricing import allocate_grouped, order_discounts, shipping_fees
from storeloop.demo.randomness import choose, choose_rows, stream
from storeloop.demo.seasonality import DAY_US, Calendar, sample_times, season_factors
from storeloop.events.models import CHANNELS, DEVICES

NEVER_BUY = 0.12  # signed up, never ordered
_QUICK_FIRST_ORDER = 0.55  # signed up at checkout: first order within minutes
_LINES_BY_SPEND = np.array(
    [[0.62, 0.25, 0.10, 0.03], [0.50, 0.30, 0.14, 0.06], [0.40, 0.32, 0.18, 0.10]]
)
_QUANTITY = {True: np.array([0.6, 0.3, 0.1]), False: np.array([0.9, 0.08, 0.02])}
_PRICE_TILT = np.array([-0.35, 0.0, 0.3])  # low spenders favour cheap SKUs, high ones dear ones
_PET_OWNER_BOOST = 3.0
_PROTECTOR_WITH_CASE = 0.45  # phone case ⇒ screen protector in the same basket (S2.3b)
_REPEAT_CHANNELS = {
    "private": 0.25,
    "direct": 0.25,
    "recommend": 0.2,
    "search": 0.15,
    "live": 0.1,
    "social": 0.05,
}
_FAVOURITE_CATEGORIES = {"pet-food": 0.85, "skincare": 0.6}  # monthly repurchase of one SKU


@dataclass(frozen=True)
class Orders:
    """Orders sorted by placement time (order id = position + 1) and their lines."""

    customer: np.ndarray
    placed_us: np.ndarray
    day: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    device: np.ndarray  # index into DEVICES
    province: np.ndarray
    presale: np.ndarray
    goods: np.ndarray
    discount: np.ndarray
    deposit: np.ndarray
    shipping: np.ndarray
    line_start: np.ndarray
    line_order: np.ndarray
    line_sku: np.ndarray
    line_quantity: np.ndarray
    line_price: np.ndarray
    line_discount: np.ndarray

    @property
    def count(self) -> int:
        return len(self.placed_us)

    @property
    def total(self) -> np.ndarray:
        return self.goods - self.discount + self.shipping

    @property
    def line_bounds(self) -> np.ndarray:
        """Line start of every order plus the end of the last: lines of order i are
        ``line_bounds[i]:line_bounds[i + 1]``."""
        return np.append(self.line_start, len(self.line_sku))

    @property
    def line_net(self) -> np.ndarray:
        return self.line_price * self.line_quantity - self.line_discount


def _shopping_clock(calendar: Calendar) -> np.ndarray:
    """Cumulative purchase intensity at each local midnight: the clock purchases run on."""
    return np.concatenate([[0.0], np.cumsum(calendar.order_intensity)])


def _clock_position(calendar: Calendar, clock: np.ndarray, t_us: np.ndarray) -> np.ndarray:
    """Where on the shopping clock a moment falls; before the history the clock runs at 1."""
    day = calendar.day_of(t_us)
    inside = np.clip(day, 0, calendar.days - 1)
    into_day = (t_us - calendar.day0_us - inside * DAY_US) / DAY_US
    return np.where(
        day >= 0,
        clock[inside] + into_day * calendar.order_intensity[inside],
        (t_us - calendar.day0_us) / DAY_US,
    )


def _purchase_times(
    rng: np.random.Generator, customers: Customers, calendar: Calendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, placed time, is first order) of every order, unsorted."""
    n = customers.count
    quick = rng.random(n) < _QUICK_FIRST_ORDER
    delay = np.where(quick, rng.uniform(60e6, 1_200e6, n), rng.exponential(3 * DAY_US, n)).astype(
        np.int64
    )
    first_us = customers.signup_us + delay
    buyers = np.flatnonzero((rng.random(n) >= NEVER_BUY) & (first_us < calendar.end_us))

    clock = _shopping_clock(calendar)
    position = _clock_position(calendar, clock, first_us[buyers])
    repeat_customers: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    repeat_clock: list[np.ndarray] = [np.empty(0)]
    alive = buyers
    while len(alive):
        stays = rng.random(len(alive)) >= customers.dropout[alive]
        alive, position = alive[stays], position[stays]
        position = position + rng.exponential(1.0, len(alive)) / customers.purchase_rate[alive]
        inside = position < clock[-1]
        alive, position = alive[inside], position[inside]
        in_history = position >= 0  # earlier purchases happened before the export's window
        repeat_customers.append(alive[in_history])
        repeat_clock.append(position[in_history])
    again = np.concatenate(repeat_customers)
    day = np.searchsorted(clock, np.concatenate(repeat_clock), side="right") - 1
    again_us = np.maximum(sample_times(rng, calendar, day), first_us[again] + 60_000_000)
    keep = again_us < calendar.end_us
    firsts = buyers[first_us[buyers] >= calendar.day0_us]
    customer = np.concatenate([firsts, again[keep]])
    placed = np.concatenate([first_us[firsts], again_us[keep]])
    first = np.concatenate([np.ones(len(firsts), bool), np.zeros(int(keep.sum()), bool)])
    return customer, placed, first


def _sku_weights(catalog: Catalog) -> np.ndarray:
    """Line weights [persona × climate × month, SKU]: who buys what in which month."""
    persona = np.arange(PERSONAS)
    spend = persona % 3
    pet_owner = (persona // 3) % 2
    gender = (persona // 6) % 3
    age_band = persona // 18
    female = catalog.female_affinity[None, :]
    gender_factor = np.select(
        [gender[:, None] == 0, gender[:, None] == 1], [female, 1.0 / female], 1.0
    )
    pet_factor = np.where(catalog.pet_only[None, :], _PET_OWNER_BOOST * pet_owner[:, None], 1.0)
    by_category = catalog.age_affinity.T[age_band] * gender_factor * pet_factor
    median_price = np.median(catalog.price)
    tilt = (catalog.price[None, :] / median_price) ** _PRICE_TILT[spend][:, None]
    by_persona = by_category[:, catalog.category] * tilt * catalog.popularity[None, :]
    seasons = season_factors()[catalog.season]  # [sku, climate, month]
    by_season = seasons.reshape(len(catalog.price), -1).T  # [climate × 12 + month, sku]
    return (by_persona[:, None, :] * by_season[None, :, :]).reshape(-1, len(catalog.price))


def _favourites(
    rng: np.random.Generator, catalog: Catalog, n_customers: int, slug: str
) -> np.ndarray:
    """The one SKU of a repurchase category each customer keeps buying (their dog's food)."""
    candidates = np.flatnonzero((catalog.category == category_index(slug)) & catalog.from_start)
    return candidates[choose(rng, catalog.popularity[candidates], n_customers)]


def _baskets(
    rng: np.random.Generator,
    catalog: Catalog,
    customers: Customers,
    calendar: Calendar,
    customer: np.ndarray,
    placed_us: np.ndarray,
    day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order position, SKU, quantity) of every line, sorted by order then SKU."""
    n_lines = choose_rows(rng, _LINES_BY_SPEND, customers.spend[customer]) + 1
    line_order = np.repeat(np.arange(len(customer)), n_lines)
    line_customer = customer[line_order]
    season = customers.climate[line_customer] * 12 + calendar.months[day[line_order]]
    key = customers.persona[line_customer] * (len(CLIMATES) * 12) + season
    weights = _sku_weights(catalog)
    sku = choose_rows(rng, weights, key)
    for _ in range(3):  # not on sale yet: draw again, then fall back to the category's best
        early = np.flatnonzero(catalog.launch_us[sku] > placed_us[line_order])
        if not len(early):
            break
        sku[early] = choose_rows(rng, weights, key[early])
    early = catalog.launch_us[sku] > placed_us[line_order]
    sku[early] = catalog.fallback[sku[early]]

    for slug, loyalty in _FAVOURITE_CATEGORIES.items():
        favourite = _favourites(rng, catalog, customers.count, slug)
        loyal = (catalog.category[sku] == category_index(slug)) & (rng.random(len(sku)) < loyalty)
        sku[loyal] = favourite[line_customer[loyal]]

    # At most one protector per basket, and never beyond four lines.
    case_lines = np.flatnonzero(catalog.category[sku] == category_index("phone-cases"))
    _, first_case = np.unique(line_order[case_lines], return_index=True)
    case = case_lines[first_case]
    case = case[(n_lines[line_order[case]] < 4) & (rng.random(len(case)) < _PROTECTOR_WITH_CASE)]
    protectors = np.flatnonzero(
        (catalog.category == category_index("screen-protectors")) & catalog.from_start
    )
    by_model = np.array(
        [
            np.where(catalog.phone_model[protectors] == m, catalog.popularity[protectors], 0.0)
            for m in range(catalog.phone_model.max() + 1)
        ]
    )
    added = protectors[choose_rows(rng, by_model, catalog.phone_model[sku[case]])]
    line_order = np.concatenate([line_order, line_order[case]])
    sku = np.concatenate([sku, added])

    consumable = catalog.consumable[catalog.category[sku]]
    quantity = (
        np.where(
            consumable,
            choose(rng, _QUANTITY[True], len(sku)),
            choose(rng, _QUANTITY[False], len(sku)),
        )
        + 1
    )
    # The same SKU drawn twice in one basket is one line with the quantities added.
    n_skus = catalog.size
    merged, inverse = np.unique(line_order * n_skus + sku, return_inverse=True)
    quantity = np.bincount(inverse, weights=quantity).astype(np.int64)
    return merged // n_skus, merged % n_skus, quantity


def build_orders(seed: int, calendar: Calendar, catalog: Catalog, customers: Customers) -> Orders:
    rng = stream(seed, "orders")
    customer, placed_us, first = _purchase_times(rng, customers, calendar)
    order = np.argsort(placed_us, kind="stable")
    customer, placed_us, first = customer[order], placed_us[order], first[order]
    day = calendar.day_of(placed_us)

    acquisition = np.array(
        [
            CHANNELS.index(c) if c in CHANNELS else CHANNELS.index("private")
            for c in ACQUISITION_CHANNELS
        ]
    )
    repeat = choose(rng, np.array([_REPEAT_CHANNELS.get(c, 0.0) for c in CHANNELS]), len(customer))
    channel = np.where(first, acquisition[customers.channel[customer]], repeat)
    device = np.where(
        rng.random(len(customer)) < 0.8,
        customers.device[customer],
        rng.integers(0, len(DEVICES), len(customer)),
    )

    line_rng = stream(seed, "lines")
    line_order, sku, quantity = _baskets(
        line_rng, catalog, customers, calendar, customer, placed_us, day
    )
    line_start = np.flatnonzero(np.diff(line_order, prepend=-1))
    price = catalog.price[sku]
    goods = np.add.reduceat(price * quantity, line_start)
    presale = calendar.presale_day[day] & (
        np.add.reduceat(catalog.presale[sku].astype(np.int64), line_start) > 0
    )
    wecom_first = first & (channel == CHANNELS.index("private"))
    discount, deposit = order_discounts(rng, goods, calendar.promotion[day], wecom_first, presale)
    line_discount = allocate_grouped(discount, price * quantity, line_start)
    province = customers.province[customer]
    remote = np.array([p.remote for p in PROVINCES])[province]
    return Orders(
        customer=customer,
        placed_us=placed_us,
        day=day,
        channel=channel,
        device=device,
        province=province,
        presale=presale,
        goods=goods,
        discount=discount,
        deposit=deposit,
        shipping=shipping_fees(goods - discount, remote),
        line_start=line_start,
        line_order=line_order,
        line_sku=sku,
        line_quantity=quantity,
        line_price=price,
        line_discount=line_discount,
    )

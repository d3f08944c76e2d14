"""The behavioural event stream: every order's checkout session plus the browsing around it.

Each order gets the session that produced it (visit, search, product views of what it bought,
add to cart, checkout, and the payment event carrying the order id), so funnels join to orders.
Around them, many more sessions by customers and anonymous visitors browse without buying, in
proportion to order volume but less peaky, so conversion rises on festival days as it does.
The stream is tens of millions of rows for a large store, so it is planned per day up front and
generated chunk by chunk (a few days at a time) with a random stream of its own per chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from storeloop.demo import columns
from storeloop.demo.catalog import Catalog
from storeloop.demo.catalog_data import CATEGORIES
from storeloop.demo.customers import Customers
from storeloop.demo.fulfilment import Fulfilment
from storeloop.demo.orders import Orders
from storeloop.demo.randomness import choose, hex_strings, scramble, stream
from storeloop.demo.seasonality import Calendar, sample_times
from storeloop.events.models import CHANNELS, DEVICES, EVENT_TYPES

MINUTE_US = 60_000_000
TARGET_CONVERSION = 0.035  # sessions ending in a payment / all sessions
CHUNK_SESSIONS = 2_000_000
_KNOWN_VISITOR = 0.35  # browsing sessions by registered customers
_LOGGED_IN = 0.7
_ANONYMOUS_SESSIONS_PER_VISITOR = 1.6
_VIEWS = 0.55  # sessions that view a product at all (the rest bounce)
_EXTRA_VIEWS = 0.6  # mean further views (Poisson)
_SEARCH = 0.3
_SEARCH_BEFORE_ORDER = 0.45
_EXTRA_VIEWS_BEFORE_ORDER = 1.2  # mean views of products the order does not contain
_CART = 0.085  # of viewing sessions
_CHECKOUT = 0.3  # of carting sessions (the rest abandon)
_BROWSE_CHANNELS = np.array([0.3, 0.25, 0.2, 0.12, 0.05, 0.0, 0.08])  # CHANNELS order
_ANONYMOUS_DEVICES = np.array([0.38, 0.42, 0.15, 0.05])
_ANONYMOUS_BASE = 1 << 40  # visitor numbers of anonymous visitors start here
_VISITOR_SALT = 0x5EED_0F_F1517
_SESSION_SALT = 0x5E55_10B5


@dataclass(frozen=True)
class EventPlan:
    """Browsing sessions per day and the day ranges generated together."""

    browse_per_day: np.ndarray
    chunks: list[tuple[int, int]]  # [first day, last day) per chunk
    anonymous_visitors: int
    estimated_events: int


def plan_events(seed: int, calendar: Calendar, orders: Orders, fulfilment: Fulfilment) -> EventPlan:
    rng = stream(seed, "events")
    paying = int(fulfilment.paid_in_session.sum())
    browse_total = max(int(paying / TARGET_CONVERSION) - orders.count, 0)
    orders_per_day = np.bincount(orders.day, minlength=calendar.days)
    weights = (orders_per_day + 1.0) ** 0.75
    browse = rng.multinomial(browse_total, weights / weights.sum())
    sessions = browse + orders_per_day
    chunks: list[tuple[int, int]] = []
    first = 0
    running = 0
    for day, count in enumerate(sessions):
        running += int(count)
        if running >= CHUNK_SESSIONS or day == calendar.days - 1:
            chunks.append((first, day + 1))
            first, running = day + 1, 0
    lines_per_order = len(orders.line_sku) / max(orders.count, 1)
    per_browse = 1 + _VIEWS * (1 + _EXTRA_VIEWS) + _SEARCH + _VIEWS * _CART * (1 + _CHECKOUT)
    # visit and checkout, maybe a search, extra views, a view and a cart per line, maybe a payment
    per_order = 2 + _SEARCH_BEFORE_ORDER + _EXTRA_VIEWS_BEFORE_ORDER + 2 * lines_per_order
    per_order += paying / max(orders.count, 1)
    return EventPlan(
        browse_per_day=browse,
        chunks=chunks,
        anonymous_visitors=max(
            int(browse_total * (1 - _KNOWN_VISITOR) / _ANONYMOUS_SESSIONS_PER_VISITOR), 1
        ),
        estimated_events=int(browse_total * per_browse + orders.count * per_order),
    )


def _search_vocabulary() -> tuple[list[str], np.ndarray, np.ndarray]:
    terms = [t for c in CATEGORIES for t in c.search_terms]
    counts = np.array([len(c.search_terms) for c in CATEGORIES])
    return terms, np.cumsum(counts) - counts, counts


def event_chunks(
    seed: int,
    calendar: Calendar,
    catalog: Catalog,
    customers: Customers,
    orders: Orders,
    fulfilment: Fulfilment,
    plan: EventPlan,
) -> Iterator[pa.Table]:
    """The event table in chunks of a few days, ids and sessions numbered across chunks."""
    next_id, next_session = 1, 0
    for k, days in enumerate(plan.chunks):
        chunk = _Chunk(seed, k, days, calendar, catalog, customers, orders, fulfilment, plan)
        table = chunk.table(next_id, next_session)
        next_id += table.num_rows
        next_session += chunk.sessions
        yield table


class _Chunk:
    """Sessions starting on a range of days and the events they produce."""

    def __init__(
        self,
        seed: int,
        index: int,
        days: tuple[int, int],
        calendar: Calendar,
        catalog: Catalog,
        customers: Customers,
        orders: Orders,
        fulfilment: Fulfilment,
        plan: EventPlan,
    ) -> None:
        self.seed = seed
        self.rng = rng = stream(seed, "events", index + 1)
        self.catalog = catalog
        first, last = days
        day = np.repeat(np.arange(first, last), plan.browse_per_day[first:last])
        nb = len(day)
        b_start = sample_times(rng, calendar, day)
        b_end = b_start + rng.lognormal(np.log(4 * MINUTE_US), 0.8, nb).astype(np.int64)
        signed_up = np.searchsorted(customers.signup_us, b_start)
        known = (rng.random(nb) < _KNOWN_VISITOR) & (signed_up > 0)
        b_customer = np.where(known, (rng.random(nb) * signed_up).astype(np.int64), -1)
        anonymous = _ANONYMOUS_BASE + (plan.anonymous_visitors * rng.random(nb) ** 1.6).astype(
            np.int64
        )
        own_device = known & (rng.random(nb) < 0.85)
        b_device = np.where(
            own_device,
            customers.device[np.maximum(b_customer, 0)],
            choose(rng, _ANONYMOUS_DEVICES, nb),
        )
        viewing = rng.random(nb) < _VIEWS
        self.b_views = np.where(viewing, 1 + rng.poisson(_EXTRA_VIEWS, nb), 0)
        self.b_search = rng.random(nb) < _SEARCH
        self.b_cart = viewing & (rng.random(nb) < _CART)
        self.b_checkout = self.b_cart & (rng.random(nb) < _CHECKOUT)

        lo, hi = np.searchsorted(orders.day, [first, last])
        self.o_first = int(lo)
        self.o = o = np.arange(lo, hi)
        no = len(o)
        placed = orders.placed_us[o]
        o_start = placed - rng.lognormal(np.log(9 * MINUTE_US), 0.7, no).astype(np.int64)
        self.o_extra_views = rng.poisson(_EXTRA_VIEWS_BEFORE_ORDER, no)
        self.o_search = rng.random(no) < _SEARCH_BEFORE_ORDER
        self.o_paid = fulfilment.paid_in_session[o]
        self.o_paid_us = fulfilment.first_payment_us[o]
        self.orders = orders

        self.nb = nb
        self.start = np.concatenate([b_start, o_start])
        self.end = np.concatenate([b_end, placed])
        self.visitor = np.concatenate([np.where(known, b_customer, anonymous), orders.customer[o]])
        logged_in = known & (rng.random(nb) < _LOGGED_IN)
        self.customer = np.concatenate([np.where(logged_in, b_customer, -1), orders.customer[o]])
        self.channel = np.concatenate([choose(rng, _BROWSE_CHANNELS, nb), orders.channel[o]])
        self.device = np.concatenate([b_device, orders.device[o]])
        self.sessions = nb + no

    def _at(self, sessions: np.ndarray, low: float, high: float) -> np.ndarray:
        """Times spread over a fraction [low, high) of each session's duration."""
        span = (self.end[sessions] - self.start[sessions]).astype(np.float64)
        fraction = self.rng.uniform(low, high, len(sessions))
        return self.start[sessions] + (span * fraction).astype(np.int64)

    def _listed(self, sku: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Nobody views a product before it is listed: show its category's best seller instead."""
        return np.where(self.catalog.launch_us[sku] > at, self.catalog.fallback[sku], sku)

    def table(self, first_id: int, first_session: int) -> pa.Table:
        rng, catalog, orders, nb = self.rng, self.catalog, self.orders, self.nb
        events = _EventColumns()
        events.add(np.arange(self.sessions), "visit", self.start)

        browsing = np.repeat(np.arange(nb), self.b_views)
        browsed_at = self._at(browsing, 0.1, 0.6)
        browsed_sku = self._listed(choose(rng, catalog.popularity, len(browsing)), browsed_at)
        events.add(browsing, "product_view", browsed_at, sku=browsed_sku)
        extra = nb + np.repeat(np.arange(len(self.o)), self.o_extra_views)
        extra_at = self._at(extra, 0.1, 0.6)
        extra_sku = self._listed(choose(rng, catalog.popularity, len(extra)), extra_at)
        events.add(extra, "product_view", extra_at, sku=extra_sku)
        bounds = orders.line_bounds
        lines = np.arange(bounds[self.o_first], bounds[self.o_first + len(self.o)])
        line_session = nb + orders.line_order[lines] - self.o_first
        line_sku = orders.line_sku[lines]
        events.add(line_session, "product_view", self._at(line_session, 0.1, 0.6), sku=line_sku)

        first_seen = np.full(nb, -1, dtype=np.int64)
        viewed = self.b_views > 0
        first_seen[viewed] = browsed_sku[(np.cumsum(self.b_views) - self.b_views)[viewed]]
        topic_sku = np.concatenate([first_seen, orders.line_sku[bounds[self.o]]])
        searching = np.flatnonzero(np.concatenate([self.b_search, self.o_search]))
        topic = np.where(
            topic_sku[searching] >= 0,
            catalog.category[np.maximum(topic_sku[searching], 0)],
            choose(rng, catalog.category_share, len(searching)),
        )
        terms, term_start, term_count = _search_vocabulary()
        term = term_start[topic] + (rng.random(len(searching)) * term_count[topic]).astype(np.int64)
        events.add(searching, "search", self._at(searching, 0.02, 0.08), query=term)

        carting = np.flatnonzero(self.b_cart)
        events.add(carting, "add_to_cart", self._at(carting, 0.65, 0.95), sku=first_seen[carting])
        events.add(line_session, "add_to_cart", self._at(line_session, 0.65, 0.95), sku=line_sku)
        checkout = np.concatenate([np.flatnonzero(self.b_checkout), nb + np.arange(len(self.o))])
        events.add(checkout, "checkout_start", self.end[checkout])
        paying = np.flatnonzero(self.o_paid)
        events.add(nb + paying, "payment", self.o_paid_us[paying], order=self.o[paying])

        session, kind, time, sku, query, order = events.arrays()
        rank = np.empty(self.sessions, dtype=np.int64)
        rank[np.argsort(self.start, kind="stable")] = np.arange(self.sessions)
        ordering = np.lexsort((kind, time, rank[session]))
        session, kind, time = session[ordering], kind[ordering], time[ordering]
        sku, query, order = sku[ordering], query[ordering], order[ordering]
        salt = (self.seed * 0x9E3779B97F4A7C15) & 0xFFFF_FFFF_FFFF_FFFF
        customer = self.customer[session]
        return pa.table(
            {
                "id": columns.ints(first_id + np.arange(len(session))),
                "type": columns.labels(EVENT_TYPES, kind),
                "occurred_at": columns.timestamps(time),
                "visitor_id": hex_strings(scramble(self.visitor[session], _VISITOR_SALT ^ salt)),
                "session_id": hex_strings(
                    scramble(first_session + rank[session], _SESSION_SALT ^ salt)
                ),
                "customer_id": columns.ints(customer + 1, customer >= 0),
                "channel": columns.labels(CHANNELS, self.channel[session]),
                "device": columns.labels(DEVICES, self.device[session]),
                "sku_id": columns.ints(sku + 1, sku >= 0),
                "query": columns.labels(terms, np.maximum(query, 0), query >= 0),
                "order_id": columns.ints(order + 1, order >= 0),
            }
        )


class _EventColumns:
    """Events collected type by type, concatenated once."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        sessions: np.ndarray,
        kind: str,
        times: np.ndarray,
        *,
        sku: np.ndarray | None = None,
        query: np.ndarray | None = None,
        order: np.ndarray | None = None,
    ) -> None:
        none = np.full(len(sessions), -1, dtype=np.int64)
        code = np.full(len(sessions), EVENT_TYPES.index(kind), dtype=np.int64)
        self.parts.append(
            (
                sessions,
                code,
                times.astype(np.int64),
                none if sku is None else sku,
                none if query is None else query,
                none if order is None else order,
            )
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(6))

"""Funnel edge cases, one test each, with PostHog's answer where it has one."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from storeloop.analytics.funnels import funnel, funnel_attempts
from tests.analytics.hand_store import HandStore

T0 = datetime(2024, 3, 1, 12)
STEPS = ("visit", "product_view", "add_to_cart")


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def events_of(con, visits: dict[str, Sequence[tuple[datetime, str] | tuple[datetime, str, str]]]):
    """Visitor → (time, event[, channel]) into an event table."""
    store = HandStore()
    for visitor, events in visits.items():
        for at, kind, *channel in events:
            store.event(visitor, at, kind, channel=channel[0] if channel else "search")
    return store.tables(con).events


def reached(con, visits, **options) -> dict[str, int]:
    attempts = funnel_attempts(events_of(con, visits), steps=STEPS, **options)
    return {row["visitor_id"]: row["reached"] for row in attempts.to_pyarrow().to_pylist()}


def test_conversion_drop_off_and_median_time_by_hand(con) -> None:
    events = events_of(
        con,
        {
            "a": [(minutes(0), "visit"), (minutes(1), "product_view"), (minutes(3), "add_to_cart")],
            "b": [(minutes(0), "visit"), (minutes(5), "product_view")],
            "c": [(minutes(0), "visit"), (minutes(2), "product_view")],
            "d": [(minutes(0), "visit"), (minutes(2), "search")],
        },
    )
    got = funnel(events, steps=STEPS).to_pyarrow().to_pylist()
    assert [(r["step"], r["event"], r["visitors"], r["dropped"]) for r in got] == [
        (1, "visit", 4, 0),
        (2, "product_view", 3, 1),
        (3, "add_to_cart", 1, 2),
    ]
    assert [r["conversion"] for r in got] == [1.0, 0.75, 0.25]
    assert [r["step_conversion"] for r in got] == [1.0, 0.75, pytest.approx(1 / 3)]
    assert [r["drop_off"] for r in got] == [0.0, 0.25, pytest.approx(2 / 3)]
    # Seconds from the previous step: views after 60, 300, 120 s; the one cart 120 s later.
    assert [r["median_seconds"] for r in got] == [None, 120.0, 120.0]


def test_repeated_steps_count_once_and_time_from_the_first(con) -> None:
    events = events_of(
        con,
        {
            "a": [
                (minutes(0), "visit"),
                (minutes(1), "product_view"),
                (minutes(2), "product_view"),
                (minutes(4), "add_to_cart"),
                (minutes(5), "add_to_cart"),
            ]
        },
    )
    got = funnel(events, steps=STEPS).to_pyarrow().to_pylist()
    assert [r["visitors"] for r in got] == [1, 1, 1]
    # The first view after the visit, then the first cart after that view.
    assert [r["median_seconds"] for r in got] == [None, 60.0, 180.0]


def test_events_at_the_same_instant_count_as_in_order(con) -> None:
    # PostHog plays tied events in every order and keeps the one that goes furthest.
    tied = [(minutes(0), "add_to_cart"), (minutes(0), "product_view"), (minutes(0), "visit")]
    assert reached(con, {"a": tied}) == {"a": 3}


def test_steps_out_of_order_do_not_count(con) -> None:
    visits = {
        # A cart before any view: the view is reached, the cart is not.
        "a": [(minutes(0), "visit"), (minutes(1), "add_to_cart"), (minutes(2), "product_view")],
        # Events before the first step are ignored; a later cart completes the funnel.
        "b": [(minutes(0), "product_view"), (minutes(1), "visit"), (minutes(2), "add_to_cart")],
        "c": [
            (minutes(0), "product_view"),
            (minutes(1), "visit"),
            (minutes(2), "product_view"),
            (minutes(3), "add_to_cart"),
        ],
    }
    assert reached(con, visits) == {"a": 2, "b": 1, "c": 3}


def test_window_is_inclusive_and_measured_from_the_first_step(con) -> None:
    hour = timedelta(hours=1)
    visits = {
        # The cart exactly one hour after the visit is within the window.
        "edge": [
            (minutes(0), "visit"),
            (minutes(30), "product_view"),
            (minutes(60), "add_to_cart"),
        ],
        # One second later it is not, though only 30 minutes after the view.
        "late": [
            (minutes(0), "visit"),
            (minutes(30), "product_view"),
            (minutes(60) + timedelta(seconds=1), "add_to_cart"),
        ],
    }
    assert reached(con, visits, window=hour) == {"edge": 3, "late": 2}


def test_a_later_first_step_starts_a_new_attempt(con) -> None:
    visits = {
        "a": [
            (minutes(0), "visit"),
            (minutes(1), "product_view"),
            (minutes(100), "visit"),
            (minutes(130), "add_to_cart"),
        ],
        # Two attempts reach the view; the later start is kept (PostHog restarts its walk).
        "b": [
            (minutes(0), "visit"),
            (minutes(50), "visit"),
            (minutes(60), "product_view"),
        ],
    }
    attempts = funnel_attempts(events_of(con, visits), steps=STEPS, window=timedelta(hours=1))
    got = {row["visitor_id"]: row for row in attempts.to_pyarrow().to_pylist()}
    # a: the first attempt's cart comes too late (130 min); the second start has no view after
    # it. The furthest attempt is the first, up to the view.
    assert (got["a"]["reached"], got["a"]["at_1"]) == (2, minutes(0))
    assert (got["b"]["reached"], got["b"]["at_1"], got["b"]["at_2"]) == (
        2,
        minutes(50),
        minutes(60),
    )


def test_segments_come_from_the_starting_event(con) -> None:
    events = events_of(
        con,
        {
            "a": [
                (minutes(0), "visit", "ads"),
                (minutes(1), "product_view", "search"),
                (minutes(2), "visit", "search"),
            ],
            "b": [(minutes(0), "visit", "search")],
        },
    )
    got = funnel(events, steps=STEPS, by=["channel"]).to_pyarrow().to_pylist()
    counts = {(r["channel"], r["step"]): r["visitors"] for r in got}
    # a's ads visit led to the view; a's later search visit started an attempt of its own.
    assert counts[("ads", 1)] == 1 and counts[("ads", 2)] == 1
    assert counts[("search", 1)] == 2 and counts[("search", 2)] == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": ("visit",)}, "at least two steps"),
        ({"steps": ("visit", "product_view", "visit")}, "distinct"),
        ({"window": timedelta(0)}, "positive"),
    ],
)
def test_bad_funnels_are_refused(con, options, message) -> None:
    events = events_of(con, {"a": [(minutes(0), "visit")]})
    with pytest.raises(ValueError, match=message):
        funnel_attempts(events, **options)


def walked_attempts(visits, steps: Sequence[str], window: timedelta) -> dict[tuple, tuple]:
    """PostHog's walk, written plainly: from every first-step event, the earliest event of each
    next step at or after the previous one, within the window; then each visitor's (and
    segment's) best attempt. (visitor, channel) → (reached, at_1, …, at_n)."""
    best: dict[tuple, tuple] = {}
    for visitor, events in visits.items():
        for start, kind, channel in events:
            if kind != steps[0]:
                continue
            path = [start]
            for step in steps[1:]:
                later = [at for at, k, _ in events if k == step and at >= path[-1]]
                if not later or min(later) > start + window:
                    break
                path.append(min(later))
            # The furthest, then the first to get there, then the latest start.
            rank = (len(path), -path[-1].timestamp(), start.timestamp())
            key = (visitor, channel)
            if key not in best or rank > best[key][0]:
                best[key] = (rank, (len(path), *path, *[None] * (len(steps) - len(path))))
    return {key: attempt for key, (_, attempt) in best.items()}


@pytest.mark.parametrize("backend", ["con", pytest.param("spark", marks=pytest.mark.spark)])
def test_attempts_match_a_plain_walk_of_random_events_with_ties_and_repeats(
    backend, request
) -> None:
    # Few visitors, many events on a coarse clock: ties, repeats, restarts and window edges.
    rng = random.Random(7)
    kinds = [*STEPS, "search"]
    visits = {
        f"v{v}": [
            (minutes(rng.randrange(0, 240, 10)), rng.choice(kinds), rng.choice(["ads", "search"]))
            for _ in range(rng.randrange(1, 14))
        ]
        for v in range(60)
    }
    events = events_of(request.getfixturevalue(backend), visits)
    window = timedelta(minutes=60)
    attempts = funnel_attempts(events, steps=STEPS, window=window, by=["channel"])
    got = {
        (r["visitor_id"], r["channel"]): (r["reached"], r["at_1"], r["at_2"], r["at_3"])
        for r in attempts.to_pyarrow().to_pylist()
    }
    assert got == walked_attempts(visits, STEPS, window)

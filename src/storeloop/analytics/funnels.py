"""Ordered conversion funnels per visitor, with PostHog's semantics, computed in the engine.

PostHog walks each person's sorted events in a Python UDF. That does not scale out on Spark, so
the same answer is reached relationally. Every event of the first step starts an *attempt*; from
each attempt the earliest event of the next step at or after the previous one is taken, step by
step — the greedy choice, which reaches at least as far as any other — for as long as it falls
within the conversion window of the attempt's start. The earliest next event is one windowed
``min`` over the events that follow, and an attempt moves on by an equi-join on (visitor, time),
so the cost is linear in the number of attempts. A visitor then counts with their best attempt.
Edge cases and the choices made are listed in docs/analytics.md ("Funnels").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import ibis
import ibis.expr.types as ir

from storeloop.analytics.exprs import left_join_using, ratio

DEFAULT_STEPS = ("visit", "product_view", "add_to_cart", "checkout_start", "payment")
DEFAULT_WINDOW = timedelta(days=14)
"""PostHog's default conversion window."""


def funnel(
    events: ir.Table,
    *,
    steps: Sequence[str] = DEFAULT_STEPS,
    window: timedelta = DEFAULT_WINDOW,
    by: Sequence[str] = (),
) -> ir.Table:
    """One row per step (and segment): visitors reaching it, conversion and drop-off, and the
    median seconds from the previous step.

    ``events`` needs visitor_id, occurred_at, event and the ``by`` columns; a visitor's segment
    is that of the event that started the attempt. Columns: the ``by`` columns, step (1-based),
    event, visitors, conversion (from step 1), step_conversion (from the previous step),
    dropped, drop_off (dropped / previous step's visitors), median_seconds.
    """
    best = funnel_attempts(events, steps=steps, window=window, by=by)
    by = list(by)
    n = len(steps)
    # One pass over the attempts for every step's count and median (null while not reached).
    counts = best.aggregate(
        by=by,
        **{f"visitors_{k}": (best.reached >= k).sum().cast("int64") for k in range(1, n + 1)},
        **{
            f"seconds_{k}": best[f"at_{k}"]
            .delta(best[f"at_{k - 1}"], unit="second")
            .cast("float64")
            .median()
            for k in range(2, n + 1)
        },
    )
    rows = []
    for k, name in enumerate(steps, start=1):
        visitors, before = counts[f"visitors_{k}"], counts[f"visitors_{max(k - 1, 1)}"]
        rows.append(
            counts.select(
                *by,
                step=ibis.literal(k, "int64"),
                event=ibis.literal(name, "string"),
                visitors=visitors,
                conversion=ratio(visitors, counts.visitors_1),
                step_conversion=ratio(visitors, before),
                dropped=before - visitors,
                drop_off=ratio(before - visitors, before),
                median_seconds=counts[f"seconds_{k}"] if k > 1 else ibis.null("float64"),
            )
        )
    return ibis.union(*rows).order_by([*by, "step"])


def funnel_attempts(
    events: ir.Table,
    *,
    steps: Sequence[str] = DEFAULT_STEPS,
    window: timedelta = DEFAULT_WINDOW,
    by: Sequence[str] = (),
) -> ir.Table:
    """Each visitor's best attempt per segment: visitor_id, the ``by`` columns, reached (steps
    completed) and at_1 … at_n (time of each step, null beyond ``reached``).

    The best attempt goes furthest; among those, the one that got there first; then the latest
    start — as PostHog, which restarts its walk at every new first-step event.
    """
    steps = list(steps)
    if len(steps) < 2:
        raise ValueError("a funnel needs at least two steps")
    if len(set(steps)) != len(steps):
        raise ValueError(f"funnel steps must be distinct events, got {steps}")
    if window <= timedelta(0):
        raise ValueError("the conversion window must be positive")
    by = list(by)
    n = len(steps)
    step_of = ibis.cases(*((events.event == name, i) for i, name in enumerate(steps, 1)))
    tagged = events.filter(events.event.isin(steps)).mutate(step=step_of)
    moments = tagged.select("visitor_id", "step", at="occurred_at").distinct()
    # Ordered by (time, step), the rows after an event include the later steps at the same
    # instant: a tie counts as in order, as in PostHog, which tries every order of tied events.
    following = ibis.window(
        group_by="visitor_id", order_by=["at", "step"], preceding=0, following=None
    )
    moments = moments.mutate(
        **{
            f"next_{k}": ibis.ifelse(moments.step == k, moments.at, ibis.null("timestamp"))
            .min()
            .over(following)
            for k in range(2, n + 1)
        }
    )
    starts = tagged.filter(tagged.step == 1).select("visitor_id", *by, at="occurred_at").distinct()
    first = moments.filter(moments.step == 1).select("visitor_id", "at", next_at="next_2")
    attempts = starts.join(first, ["visitor_id", "at"]).rename(at_1="at")
    limit = ibis.interval(seconds=int(window.total_seconds()))
    for k in range(2, n + 1):
        hop = moments.filter(moments.step == k).select(
            "visitor_id",
            next_at="at",
            hop_at="at",
            hop_next=moments[f"next_{k + 1}"] if k < n else ibis.null("timestamp"),
        )
        joined = left_join_using(attempts, hop, ["visitor_id", "next_at"])
        within = joined.hop_at <= joined.at_1 + limit
        attempts = joined.select(
            *(c for c in attempts.columns if c != "next_at"),
            **{f"at_{k}": ibis.ifelse(within, joined.hop_at, ibis.null("timestamp"))},
            next_at=ibis.ifelse(within, joined.hop_next, ibis.null("timestamp")),
        )
    at = [attempts[f"at_{k}"] for k in range(1, n + 1)]
    reached = sum((a.notnull().cast("int64") for a in at[1:]), ibis.literal(1, "int64"))
    attempts = attempts.mutate(reached=reached, arrived=ibis.coalesce(*reversed(at)))
    best = ibis.window(
        group_by=["visitor_id", *by],
        order_by=[ibis.desc("reached"), "arrived", ibis.desc("at_1")],
    )
    ranked = attempts.mutate(choice=ibis.row_number().over(best))
    return ranked.filter(ranked.choice == 0).select(
        "visitor_id", *by, "reached", *(f"at_{k}" for k in range(1, n + 1))
    )

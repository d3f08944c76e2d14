"""Calendar periods shared by the store analyses, so a "week" means the same thing everywhere."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from storeloop.analytics.vocabulary import GRAINS, Grain

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["GRAINS", "Grain", "month_number", "period_start", "week_start"]


def period_start(at: ir.TimestampValue, grain: Grain) -> ir.DateValue:
    """The day, or the Monday starting the ISO week (Monday to Sunday), of a shop-clock time."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}")
    return at.date() if grain == "day" else at.truncate("W").date()


def month_number(at: ir.TimestampValue | ir.DateValue) -> ir.IntegerValue:
    """Months since year 0, so that subtracting two gives whole calendar months between them."""
    return at.year() * 12 + at.month() - 1


def week_start(day: date) -> date:
    """The Monday of ``day``'s week, as :func:`period_start` counts weeks in the engine."""
    return day - timedelta(days=day.weekday())

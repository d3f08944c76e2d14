"""Whether an offer may be used at all for this cart, customer and moment — and if not, why.

Usage so far (total uses, units sold, budget spent, this customer's uses) is input: the engine only
compares. Counting a use happens when the order is placed, in the service's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from storeloop.pricing.context import Context
from storeloop.pricing.kinds import item
from storeloop.pricing.offer_schemas import AnyOffer, Capped, FlashSale, LimitedTime, MemberPrice
from storeloop.pricing.result import Rejection

Reason = tuple[str, str] | None
Check = Callable[[AnyOffer, Context], Reason]


def checks_for(offer: AnyOffer) -> tuple[Check, ...]:
    """The rules that can exclude ``offer`` at all, in the order they are reported. An offer
    book finds them once: most offers have no audience, cap or stock, and every cart a candidate
    matches would otherwise run all four."""
    audience = offer.customers
    wanted = (
        (_window, offer.starts_at is not None or offer.ends_at is not None),
        (_audience, bool(audience.tiers or audience.new_customers_only or audience.channels)),
        (_caps, isinstance(offer, Capped) and _has_caps(offer)),
        (_availability, _has_availability(offer)),
    )
    return tuple(check for check, applies in wanted if applies)


def first_failed(offer: AnyOffer, ctx: Context, checks: Sequence[Check]) -> Rejection | None:
    """The first of ``checks`` (the offer's ``checks_for``) that excludes ``offer``, or None
    when it may apply."""
    for check in checks:
        found = check(offer, ctx)
        if found is not None:
            return Rejection(offer.id, found[0], found[1])
    return None


def _window(offer: AnyOffer, ctx: Context) -> Reason:
    starts, ends = offer.window_seconds
    if starts is not None and ctx.at_seconds < starts:
        return "not_started", f"starts {offer.starts_at.isoformat()}"  # type: ignore[union-attr]
    if ends is not None and ctx.at_seconds >= ends:
        return "ended", f"ended {offer.ends_at.isoformat()}"  # type: ignore[union-attr]
    return None


def _audience(offer: AnyOffer, ctx: Context) -> Reason:
    audience = offer.customers
    if audience.tiers and ctx.tier not in audience.tiers:
        return "tier", f"for tiers {', '.join(audience.tiers)}; the customer's tier is {ctx.tier}"
    if audience.new_customers_only and (ctx.customer is None or not ctx.customer.new_customer):
        return "new_customers_only", "for new customers only"
    if audience.channels and ctx.channel not in audience.channels:
        return "channel", f"for channels {', '.join(audience.channels)}, not {ctx.channel}"
    return None


def _has_caps(offer: Capped) -> bool:
    return any(
        cap is not None for cap in (offer.max_uses, offer.max_uses_per_customer, offer.budget)
    )


def _has_availability(offer: AnyOffer) -> bool:
    """Stock and per-customer limits, or member days (a member price without days is daily)."""
    if isinstance(offer, MemberPrice):
        return bool(offer.days_of_month)
    return isinstance(offer, FlashSale | LimitedTime)


def _caps(offer: AnyOffer, ctx: Context) -> Reason:
    if not isinstance(offer, Capped):  # never: ``checks_for`` lists it for offers with caps only
        return None
    usage = ctx.offer_usage(offer.id)
    if offer.max_uses is not None and usage.uses >= offer.max_uses:
        return "usage_cap", f"used {usage.uses} of {offer.max_uses} times"
    mine = ctx.customer_usage(offer.id).uses
    if offer.max_uses_per_customer is not None and mine >= offer.max_uses_per_customer:
        return (
            "customer_limit",
            f"this customer used it {mine} of {offer.max_uses_per_customer} times",
        )
    if offer.budget is not None and usage.spent >= offer.budget:
        return "budget_spent", f"budget of {offer.budget} spent"
    return None


def _availability(offer: AnyOffer, ctx: Context) -> Reason:
    if (
        isinstance(offer, MemberPrice)
        and offer.days_of_month
        and ctx.local_day.day not in offer.days_of_month
    ):
        days = ", ".join(str(day) for day in offer.days_of_month)
        return "not_member_day", f"member days are {days}; today is {ctx.local_day.isoformat()}"
    if isinstance(offer, FlashSale | LimitedTime):
        if item.stock_left(offer, ctx) == 0:
            return "sold_out", "no units left"
        if item.customer_units_left(offer, ctx) == 0:
            return "customer_limit", "this customer bought the most units allowed"
    return None

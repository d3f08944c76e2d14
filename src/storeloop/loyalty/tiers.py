"""Member tiers and earning, as pure functions over integers (no session, no I/O).

A customer's tier follows their **lifetime earned points** (``points_accounts.lifetime_earned``:
points ever earned from orders, less the ones reversed by refunds; spending, expiry and manual
adjustments do not change it). With 1 point earned per ¥1 paid at the member rate, the
thresholds read roughly as lifetime spend:

=========  ====================  ==========  =====================================
tier       lifetime earned from  earn rate   points per ¥100 paid (goods, in cash)
=========  ====================  ==========  =====================================
member     0                     ×1.0        100
silver     2,000                 ×1.2        120
gold       10,000                ×1.5        150
platinum   50,000                ×2.0        200
=========  ====================  ==========  =====================================

The tier is recomputed whenever ``lifetime_earned`` changes, so it upgrades the moment an
earning crosses a threshold; a refund that reverses the earning that crossed it takes the tier
back down (the order that earned it was undone). The pricing engine's member prices name these
tier strings (``customers.tiers`` of a ``member_price`` offer).

Points are worth ``POINT_VALUE`` = 1 minor unit (1 fen): 100 points = ¥1, as on Tmall.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    min_lifetime: int  # lifetime earned points from which the tier applies
    rate_percent: int  # earn rate in percent of the base rate (100 = ×1.0)


TIERS: tuple[Tier, ...] = (
    Tier("member", 0, 100),
    Tier("silver", 2_000, 120),
    Tier("gold", 10_000, 150),
    Tier("platinum", 50_000, 200),
)
TIER_NAMES: tuple[str, ...] = tuple(t.name for t in TIERS)
BASE_UNIT = 100  # minor units of cash paid per point at ×1.0 (1 point per ¥1)

assert all(a.min_lifetime < b.min_lifetime for a, b in pairwise(TIERS))


def tier_for(lifetime_earned: int) -> str:
    """The highest tier whose threshold ``lifetime_earned`` reaches."""
    if lifetime_earned < 0:
        raise ValueError("lifetime earned points cannot be negative")
    return [t for t in TIERS if lifetime_earned >= t.min_lifetime][-1].name


def rate_percent(tier: str) -> int:
    for t in TIERS:
        if t.name == tier:
            return t.rate_percent
    raise ValueError(f"unknown tier {tier!r}; tiers are {', '.join(TIER_NAMES)}")


def points_for(cash_paid: int, tier: str) -> int:
    """Points earned by paying ``cash_paid`` minor units as a ``tier`` customer: one point per
    whole ¥1 times the tier's rate, rounded down (¥99.99 at ×1.0 earns 99; ¥10 at ×1.2 earns 12)."""
    if cash_paid <= 0:
        return 0
    return cash_paid * rate_percent(tier) // (BASE_UNIT * 100)


def next_tier(lifetime_earned: int) -> tuple[str, int] | None:
    """The next tier up and the lifetime points still needed for it; None at the top."""
    for t in TIERS:
        if t.min_lifetime > lifetime_earned:
            return t.name, t.min_lifetime - lifetime_earned
    return None

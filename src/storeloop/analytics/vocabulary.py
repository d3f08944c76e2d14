"""Names the analyses and the admin API share, in a module that imports no engine.

The API's query and response models need the grains, dimensions and segment names when the
app starts; importing them from the analyses would load Ibis, pandas and SciPy with the app
(a second or more), although most requests never reach the analytics router.
"""

from __future__ import annotations

from typing import Literal

Grain = Literal["day", "week"]
GRAINS: tuple[Grain, ...] = ("day", "week")

Dimension = Literal["channel", "device", "category", "region"]
DIMENSIONS: tuple[Dimension, ...] = ("channel", "device", "category", "region")

SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("new_customers", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need_attention", (3, 3), (3, 3)),
    ("about_to_sleep", (3, 3), (1, 2)),
    ("cannot_lose_them", (1, 2), (5, 5)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (1, 2), (1, 2)),
)
"""Segment name, R-score range, F-score range: the usual RFM grid; it covers all 25 cells."""

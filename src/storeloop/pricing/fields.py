"""Field types shared by the pricing formats.

Money and counts are strict integers so that a float price (``9.9``) or a quoted number is refused
at the door rather than rounded somewhere later. Percentages are basis points (1 bp = 0.01 %,
10 000 bp = 100 %) so that a 9.5 % tier is still an integer.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class StrictModel(BaseModel):
    """Unknown fields are errors: a misspelt ``min_spend`` must not become "no threshold"."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Amount = Annotated[int, Field(strict=True, ge=0)]
PositiveAmount = Annotated[int, Field(strict=True, gt=0)]
Count = Annotated[int, Field(strict=True, ge=0)]
Quantity = Annotated[int, Field(strict=True, ge=1)]
BasisPoints = Annotated[int, Field(strict=True, ge=1, le=10_000)]
CapBasisPoints = Annotated[int, Field(strict=True, ge=0, le=10_000)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")]

FieldPath = tuple[str | int, ...]


class FieldProblem(ValueError):
    """A rule spanning several fields, raised with the path of the field to blame.

    Pydantic reports model-level rules at the model itself; carrying the path lets the error
    message name ``ends_at`` or ``tiers[1].min_quantity`` instead of the whole offer.
    """

    def __init__(self, path: FieldPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

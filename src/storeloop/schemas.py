"""Building blocks every domain's schemas share: ids, money, bounded text, paging.

The bounds are the database's: a string longer than its VARCHAR, an id beyond BIGINT or a NUL
character would pass SQLite and then fail inside PostgreSQL as a 500, so input is held to the
stricter of the two before it reaches a session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from storeloop.money import CURRENCY_EXPONENT

MAX_ID = 2**63 - 1
# ¥10 billion per unit is beyond any catalogue and keeps price × quantity × lines far inside BIGINT.
MAX_AMOUNT = 10**12
MAX_INT32 = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Strict: JSON 12.5 or "12" is refused instead of being coerced, so a client that sends yuan as a
# float learns at once that amounts are integer minor units.
Amount = Annotated[
    int, Field(strict=True, ge=0, le=MAX_AMOUNT, description="integer minor units (fen, cents)")
]
Currency = Literal[tuple(CURRENCY_EXPONENT)]  # type: ignore[valid-type]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Any offset is accepted ("+08:00" is how a Chinese client writes time) and converted to UTC at
# once, so a written row reads back exactly as it was echoed; a naive time is refused, since
# nobody can tell which zone it meant.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def text(max_length: int, *, min_length: int = 0) -> StringConstraints:
    """Constraints for a text column: trimmed, within its length, and free of NUL characters."""
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=r"^[^\x00]*$"
    )


class WriteModel(BaseModel):
    """Request bodies: an unknown field is a client mistake, not something to ignore."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageParams(WriteModel):
    """``limit``/``offset`` query parameters; each list's filter model extends it.

    Extra parameters are refused, so a misspelt filter fails loudly instead of returning
    everything.
    """

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_ID)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="rows matching the filters, ignoring limit and offset")
    limit: int
    offset: int

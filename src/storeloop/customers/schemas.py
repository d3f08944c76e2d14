"""Customer request and response bodies, and the list filter.

E-mail addresses are stored lower-cased so that uniqueness means one person, not one spelling.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import MISSING, AfterValidator, StringConstraints

from storeloop.schemas import Id, PageParams, ReadModel, UtcDatetime, WriteModel, text


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=255, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
    ),
    AfterValidator(_lower),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,30}$")]
Province = Annotated[str, text(32, min_length=1)]
Region = Annotated[str, text(16, min_length=1)]
Channel = Annotated[str, text(32, min_length=1)]
Gender = Literal["F", "M"]


class CustomerCreate(WriteModel):
    email: Email | None = None
    phone: Phone | None = None
    name: Annotated[str, text(128)] = ""
    province: Province
    city: Annotated[str, text(64)] = ""
    region: Region
    birth_date: date | None = None
    gender: Gender | None = None
    channel: Channel
    signed_up_at: UtcDatetime | MISSING = MISSING  # omitted: now
    referred_by_id: Id | None = None


class CustomerUpdate(WriteModel):
    email: Email | MISSING | None = MISSING
    phone: Phone | MISSING | None = MISSING
    name: Annotated[str, text(128)] | MISSING = MISSING
    province: Province | MISSING = MISSING
    city: Annotated[str, text(64)] | MISSING = MISSING
    region: Region | MISSING = MISSING
    birth_date: date | MISSING | None = MISSING
    gender: Gender | MISSING | None = MISSING
    channel: Channel | MISSING = MISSING
    referred_by_id: Id | MISSING | None = MISSING


class CustomerRead(ReadModel):
    id: int
    email: str | None
    phone: str | None
    name: str
    province: str
    city: str
    region: str
    birth_date: date | None
    gender: str | None
    channel: str
    signed_up_at: datetime
    referred_by_id: int | None


class CustomerFilter(PageParams):
    province: Province | None = None
    region: Region | None = None
    channel: Channel | None = None
    email: Email | None = None
    signed_up_from: UtcDatetime | None = None  # inclusive
    signed_up_to: UtcDatetime | None = None  # exclusive

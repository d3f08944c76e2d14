"""Event ingestion and listing bodies.

A batch's envelope is checked by FastAPI, but its events are validated by the service one by
one, so that an error names the event's index and its field (``{"index": 3, "field": "type"}``)
rather than a path the client has to take apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, WithJsonSchema, field_validator

from storeloop.events.models import CHANNELS, DEVICES, EVENT_TYPES
from storeloop.schemas import Id, PageParams, ReadModel, UtcDatetime, WriteModel, text

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Device = Literal[DEVICES]  # type: ignore[valid-type]
VisitorId = Annotated[str, text(64, min_length=1)]
MAX_BATCH = 10_000


class EventIn(WriteModel):
    type: EventType
    occurred_at: UtcDatetime
    visitor_id: VisitorId
    session_id: VisitorId
    channel: Channel
    device: Device
    customer_id: Id | None = None
    sku_id: Id | None = None
    order_id: Id | None = None
    query: Annotated[str, text(255, min_length=1)] | None = Field(
        None, validate_default=True, description="required for search events, refused otherwise"
    )

    @field_validator("query")
    @classmethod
    def _query_only_for_search(cls, query: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")  # absent when the type itself was invalid
        if kind == "search" and query is None:
            raise ValueError("a search event needs its query")
        if kind is not None and kind != "search" and query is not None:
            raise ValueError(f"only search events carry a query, not {kind}")
        return query


class EventBatch(WriteModel):
    """Items are typed ``Any`` here (documented as EventIn) so that even an item that is not an
    object is reported by the service, by index, like every other bad event."""

    events: list[Annotated[Any, WithJsonSchema(EventIn.model_json_schema(mode="validation"))]] = (
        Field(min_length=1, max_length=MAX_BATCH)
    )


class BatchAccepted(ReadModel):
    accepted: int


class EventRead(ReadModel):
    id: int
    type: str
    occurred_at: datetime
    visitor_id: str
    session_id: str
    customer_id: int | None
    channel: str
    device: str
    sku_id: int | None
    query: str | None
    order_id: int | None


class EventFilter(PageParams):
    type: EventType | None = None
    visitor_id: VisitorId | None = None
    session_id: VisitorId | None = None
    customer_id: Id | None = None
    sku_id: Id | None = None
    occurred_from: UtcDatetime | None = None  # inclusive
    occurred_to: UtcDatetime | None = None  # exclusive

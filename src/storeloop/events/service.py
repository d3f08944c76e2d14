"""Event ingestion and listing.

A batch is all or nothing: every event is validated first (shape, then that the customers, SKUs
and orders it names exist — one query per table for the whole batch), and only a clean batch is
written, in one multi-row INSERT. A tracker can then retry a rejected batch after fixing it
without wondering which half already landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from storeloop.catalog.models import Sku
from storeloop.customers.models import Customer
from storeloop.errors import FieldError, InvalidInput, existing_ids
from storeloop.events.models import Event
from storeloop.events.schemas import EventFilter, EventIn
from storeloop.filtering import apply_filters
from storeloop.orders.models import Order

_EVENTS = TypeAdapter(list[EventIn])
# Enough to fix a systematic mistake; a batch of 10,000 bad events need not echo 10,000 errors.
MAX_REPORTED_ERRORS = 100
_REFERENCES = (("customer_id", Customer), ("sku_id", Sku), ("order_id", Order))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Event)) or 0


def event_query(filters: EventFilter) -> Select[tuple[Event]]:
    return apply_filters(select(Event), Event, filters)


def ingest(session: Session, raw_events: Sequence[Any]) -> int:
    """Validate and insert a batch; raise InvalidInput naming each bad event's index and field."""
    events = _parse(raw_events)
    _check_references(session, events)
    session.execute(insert(Event), [event.model_dump() for event in events])
    return len(events)


def _parse(raw_events: Sequence[Any]) -> list[EventIn]:
    try:
        return _EVENTS.validate_python(raw_events)
    except ValidationError as exc:
        raise InvalidInput(
            [
                FieldError(
                    field=".".join(str(part) for part in err["loc"][1:]) or "event",
                    message=err["msg"],
                    index=int(err["loc"][0]),
                )
                for err in exc.errors()[:MAX_REPORTED_ERRORS]
            ]
        ) from None


def _check_references(session: Session, events: list[EventIn]) -> None:
    missing = {
        field: wanted - existing_ids(session, model, wanted)
        for field, model in _REFERENCES
        if (wanted := {getattr(e, field) for e in events} - {None})
    }
    errors = [
        FieldError(field, f"{model.__name__} {getattr(event, field)} does not exist", index=i)
        for i, event in enumerate(events)
        for field, model in _REFERENCES
        if getattr(event, field) in missing.get(field, ())
    ]
    if errors:
        raise InvalidInput(errors[:MAX_REPORTED_ERRORS])

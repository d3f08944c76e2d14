"""Event endpoints; all need an admin token (the tracker's backend holds one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storeloop.events import service
from storeloop.events.schemas import BatchAccepted, EventBatch, EventFilter, EventRead
from storeloop.schemas import Page
from storeloop.web.deps import ADMIN, SessionDep
from storeloop.web.pagination import paginate

router = APIRouter(tags=["events"], dependencies=ADMIN)


@router.post(
    "/events",
    summary="Ingest a batch of up to 10,000 events, all or nothing",
    description="One invalid event rejects the whole batch with 422; each error names the "
    "event's `index` and its `field`. A valid batch is written in one transaction.",
)
def ingest_events(session: SessionDep, body: EventBatch) -> BatchAccepted:
    return BatchAccepted(accepted=service.ingest(session, body.events))


@router.get("/events", summary="List events")
def list_events(session: SessionDep, filters: Annotated[EventFilter, Query()]) -> Page[EventRead]:
    return paginate(session, service.event_query(filters), filters, EventRead.model_validate)

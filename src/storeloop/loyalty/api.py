"""Points endpoints: a customer's balance, tier and ledger, and manual adjustments (admin), and a
signed-in customer's own points (``/me/points``, the customer token; nobody else's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storeloop.db import utcnow
from storeloop.loyalty import service, tiers
from storeloop.loyalty.models import PointsAccount
from storeloop.loyalty.schemas import (
    AdjustmentResult,
    LedgerParams,
    PointsAccountRead,
    PointsAdjustment,
    PointsEntryRead,
    PointsRead,
)
from storeloop.web.deps import ADMIN, CustomerIdDep, IdPath, SessionDep
from storeloop.web.pagination import paginate

router = APIRouter()
_admin = APIRouter(tags=["loyalty"], dependencies=ADMIN)


def _account_read(account: PointsAccount) -> PointsAccountRead:
    upcoming = tiers.next_tier(account.lifetime_earned)
    return PointsAccountRead(
        customer_id=account.customer_id,
        balance=account.balance,
        lifetime_earned=account.lifetime_earned,
        tier=account.tier,
        next_tier=upcoming[0] if upcoming else None,
        points_to_next_tier=upcoming[1] if upcoming else None,
    )


def _points(session: SessionDep, customer_id: int, params: LedgerParams) -> PointsRead:
    account = service.get_account(session, customer_id)
    ledger = paginate(
        session, service.ledger_query(customer_id), params, PointsEntryRead.model_validate
    )
    return PointsRead(**_account_read(account).model_dump(), ledger=ledger)


@router.get("/me/points", tags=["my orders"], summary="My points, tier and ledger")
def my_points(
    session: SessionDep, customer_id: CustomerIdDep, params: Annotated[LedgerParams, Query()]
) -> PointsRead:
    return _points(session, customer_id, params)


@_admin.get("/customers/{customer_id}/points", summary="A customer's points, tier and ledger")
def get_points(
    session: SessionDep, customer_id: IdPath, params: Annotated[LedgerParams, Query()]
) -> PointsRead:
    return _points(session, customer_id, params)


@_admin.post(
    "/customers/{customer_id}/points/adjustments",
    status_code=201,
    summary="Add or take points by hand (409 if the balance would go negative)",
)
def adjust_points(
    session: SessionDep, customer_id: IdPath, body: PointsAdjustment
) -> AdjustmentResult:
    entry = service.adjust_points(session, customer_id, body.delta, note=body.note, at=utcnow())
    account = service.get_account(session, customer_id)
    return AdjustmentResult(
        entry=PointsEntryRead.model_validate(entry), account=_account_read(account)
    )


router.include_router(_admin)

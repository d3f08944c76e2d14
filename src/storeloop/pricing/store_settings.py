"""The store's pricing settings — stacking policy and shipping rule — as stored and as priced.

Without a stored row the engine's defaults apply (no caps, one coupon, no shipping fee), so a new
store prices exactly as before any setting was made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storeloop.pricing.models import StoredPricingSettings
from storeloop.pricing.schemas import Policy, Shipping


def pricing_settings(session: Session) -> tuple[Policy, Shipping]:
    row = session.get(StoredPricingSettings, 1)
    if row is None:
        return Policy(), Shipping()
    return Policy.model_validate(row.policy), Shipping.model_validate(row.shipping)


def save_pricing_settings(
    session: Session, policy: Policy, shipping: Shipping, *, at: datetime
) -> StoredPricingSettings:
    """Replace both settings at once: they are validated models, so nothing half-valid is kept."""
    row = session.get(StoredPricingSettings, 1)
    if row is None:
        row = StoredPricingSettings(id=1)
        session.add(row)
    row.policy = policy.model_dump(mode="json")
    row.shipping = shipping.model_dump(mode="json")
    row.updated_at = at
    session.flush()
    return row

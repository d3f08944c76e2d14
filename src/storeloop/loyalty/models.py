"""Points accounts and the append-only points ledger.

``points_accounts.balance`` is the fast answer to "how many points can I spend"; the ledger is
the history it must always equal (balance = sum of deltas per customer). The CHECK makes a
negative balance impossible at the database, and every spend is a guarded UPDATE
(``balance >= n``), so two racing checkouts cannot spend the same points twice. Earned entries
keep ``remaining`` (not yet spent or expired) so that points expire first-in, first-out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime, utcnow

POINTS_REASONS = ("earn", "spend", "refund", "reverse", "expire", "adjust")


class PointsAccount(Base):
    __tablename__ = "points_accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("lifetime_earned >= 0", name="lifetime_non_negative"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    tier: Mapped[str] = mapped_column(String(16), default="member")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsEntry(Base):
    __tablename__ = "points_ledger"
    __table_args__ = (
        CheckConstraint("delta <> 0", name="delta_non_zero"),
        CheckConstraint(
            "reason IN ('earn', 'spend', 'refund', 'reverse', 'expire', 'adjust')",
            name="reason_known",
        ),
        CheckConstraint("remaining IS NULL OR remaining >= 0", name="remaining_non_negative"),
        Index("ix_points_ledger_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    delta: Mapped[int] = mapped_column(BigInteger, comment="signed: + earned/returned, - spent")
    reason: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    remaining: Mapped[int | None] = mapped_column(
        BigInteger, comment="earned points not yet spent or expired (FIFO); null otherwise"
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    dedupe_key: Mapped[str | None] = mapped_column(
        String(128), unique=True, comment="at most one entry per key, e.g. earn:order:7"
    )
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

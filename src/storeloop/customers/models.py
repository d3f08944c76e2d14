"""Customer table.

Region, birth date and spending are what personas (S1.4c) are built from; the acquisition
channel and referrer feed traffic and referral-fission analysis (S2.1c).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    province: Mapped[str] = mapped_column(String(32), index=True)
    city: Mapped[str] = mapped_column(String(64), default="")
    region: Mapped[str] = mapped_column(String(16), comment="macro region, e.g. south, east")
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(1), comment="F, M or null")
    channel: Mapped[str] = mapped_column(String(32), comment="acquisition channel")
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)

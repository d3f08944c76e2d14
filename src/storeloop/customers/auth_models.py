"""Customer sign-in: a password hash per customer and the bearer tokens a sign-in issues.

Customer tokens live apart from admin ``api_tokens`` on purpose: a customer token can only ever
reach the customer's own cart and orders, and no code path can mistake one for an admin token.
Tokens are stored as SHA-256 hashes (32 random bytes, so a fast hash is safe); passwords as
argon2 hashes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storeloop.db import Base, BigId, UTCDateTime, utcnow


class CustomerCredential(Base):
    __tablename__ = "customer_credentials"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255), comment="argon2")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerToken(Base):
    __tablename__ = "customer_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Customer sign-in: registration, argon2id passwords and bearer customer tokens.

A customer token is ``sc_`` + 32 random bytes, stored only as its SHA-256 hash (a fast hash is
safe for 256 random bits, and each request is one indexed lookup), valid for ``TOKEN_TTL``.
Passwords are argon2id hashes (``argon2-cffi``'s defaults, RFC 9106's low-memory profile);
hashing takes ~0.1 s and 64 MiB on purpose, so it is done before any write transaction opens —
never while SQLite's write lock is held.

Signing in (or up) with an anonymous cart token merges that cart into the customer's open cart
in the same transaction that issues the token (``orders.carts.merge_anonymous_cart``).

Customer tokens live apart from the admin ``api_tokens``: an admin token is not a customer and a
customer token opens no admin endpoint (``web.deps``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storeloop.customers.auth_models import CustomerCredential, CustomerToken
from storeloop.customers.auth_schemas import Registration
from storeloop.customers.models import Customer
from storeloop.customers.schemas import CustomerCreate
from storeloop.customers.service import create_customer
from storeloop.db import utcnow
from storeloop.demo.geography import PROVINCES  # the mainland provinces and their regions
from storeloop.errors import FieldError, InvalidInput, Unauthorized, get_or_raise
from storeloop.inventory.locks import write_session
from storeloop.orders.carts import merge_anonymous_cart

# Recognisable in logs and by secret scanners, and never confused with an admin "sl_" token.
TOKEN_PREFIX = "sc_"
TOKEN_TTL = timedelta(days=30)
BAD_CREDENTIALS = "wrong email or password"

_HASHER = PasswordHasher()


@dataclass(frozen=True, slots=True)
class SignedIn:
    customer: Customer
    token: str  # plaintext, shown once
    expires_at: datetime
    merged_cart_id: int | None  # the customer's cart an anonymous cart was merged into


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def issue_customer_token(session: Session, customer_id: int, *, now: datetime | None = None) -> str:
    """A new bearer token for ``customer_id``, without a password (benchmarks, tests, the admin's
    tools). Nothing commits; the caller's unit of work does."""
    get_or_raise(session, Customer, customer_id)
    return _issue(session, customer_id, now or utcnow())[0]


def _issue(session: Session, customer_id: int, now: datetime) -> tuple[str, datetime]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + TOKEN_TTL
    session.add(
        CustomerToken(
            customer_id=customer_id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token, expires_at


def authenticate_customer(
    session: Session, token: str, *, now: datetime | None = None
) -> int | None:
    """The customer a live token belongs to; None if it is unknown, revoked or expired."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(
        select(CustomerToken.customer_id).where(
            CustomerToken.token_hash == hash_token(token),
            CustomerToken.revoked_at.is_(None),
            CustomerToken.expires_at > (now or utcnow()),
        )
    )


def revoke_customer_token(session: Session, token: str, *, now: datetime | None = None) -> None:
    """Sign out: the token stops working at once. Revoking twice changes nothing."""
    session.execute(
        update(CustomerToken)
        .where(CustomerToken.token_hash == hash_token(token), CustomerToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def register(
    session_factory: sessionmaker[Session],
    data: Registration,
    *,
    cart_token: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Create the customer with a password and sign them in, all or nothing; an email already
    taken is a ``Conflict`` naming ``email``."""
    now = now or utcnow()
    password_hash = hash_password(data.password)  # slow: before the write lock
    profile = CustomerCreate.model_validate(
        {
            "email": data.email,
            "name": data.name,
            "province": data.province,
            "city": data.city,
            "region": data.region or _region_of(data.province),
            "channel": data.channel,
            "signed_up_at": now,
        }
    )
    with write_session(session_factory) as session:
        customer = create_customer(session, profile)
        session.add(
            CustomerCredential(customer_id=customer.id, password_hash=password_hash, updated_at=now)
        )
        return _signed_in(session, customer, cart_token, now)


def sign_in(
    session_factory: sessionmaker[Session],
    email: str,
    password: str,
    *,
    cart_token: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Check the password and issue a token; ``Unauthorized`` with one message whether the email
    is unknown, has no password yet or the password is wrong (and in about the same time)."""
    now = now or utcnow()
    with session_factory() as session:
        found = session.execute(
            select(CustomerCredential.customer_id, CustomerCredential.password_hash)
            .join(Customer, Customer.id == CustomerCredential.customer_id)
            .where(Customer.email == email.strip().lower())
        ).first()
    if found is None:
        _verify(_dummy_hash(), password)  # spend the same time as a real check
        raise Unauthorized(BAD_CREDENTIALS)
    customer_id, stored = found
    if not _verify(stored, password):
        raise Unauthorized(BAD_CREDENTIALS)
    new_hash = hash_password(password) if _HASHER.check_needs_rehash(stored) else None
    with write_session(session_factory) as session:
        if new_hash is not None:  # stronger parameters since it was set
            session.execute(
                update(CustomerCredential)
                .where(
                    CustomerCredential.customer_id == customer_id,
                    CustomerCredential.password_hash == stored,
                )
                .values(password_hash=new_hash, updated_at=now)
            )
        customer = session.get_one(Customer, customer_id)
        return _signed_in(session, customer, cart_token, now)


def set_password(
    session: Session, customer_id: int, password: str, *, now: datetime | None = None
) -> Customer:
    """The admin sets a customer's password (seeded customers have none); every token the
    customer holds is revoked, so a reset locks out whoever had the old one."""
    now = now or utcnow()
    customer = get_or_raise(session, Customer, customer_id)
    password_hash = hash_password(password)
    credential = session.get(CustomerCredential, customer_id)
    if credential is None:
        session.add(
            CustomerCredential(customer_id=customer_id, password_hash=password_hash, updated_at=now)
        )
    else:
        credential.password_hash = password_hash
        credential.updated_at = now
    session.execute(
        update(CustomerToken)
        .where(CustomerToken.customer_id == customer_id, CustomerToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return customer


def _signed_in(
    session: Session, customer: Customer, cart_token: str | None, now: datetime
) -> SignedIn:
    token, expires_at = _issue(session, customer.id, now)
    merged = (
        merge_anonymous_cart(session, customer.id, cart_token, now=now)
        if cart_token is not None
        else None
    )
    return SignedIn(customer, token, expires_at, merged)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@cache
def _regions() -> dict[str, str]:
    """Province (Chinese or English name) → macro region, from the mainland table."""
    return {name: p.region for p in PROVINCES for name in (p.name, p.name_en.lower())}


def _region_of(province: str) -> str:
    region = _regions().get(province) or _regions().get(province.lower())
    if region is None:
        raise InvalidInput(
            [FieldError("region", f"required: {province!r} is not a mainland province")]
        )
    return region


__all__ = [
    "BAD_CREDENTIALS",
    "TOKEN_PREFIX",
    "TOKEN_TTL",
    "SignedIn",
    "authenticate_customer",
    "hash_password",
    "issue_customer_token",
    "register",
    "revoke_customer_token",
    "set_password",
    "sign_in",
]

"""Create, check and revoke admin API tokens.

None of these functions commits: the caller's unit of work does (the CLI's ``session_scope``,
the web request's session), so a token is never half-created.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeloop.auth.models import ApiToken
from storeloop.db import utcnow
from storeloop.errors import FieldError, InvalidInput, get_or_raise

# A leaked "sl_…" string is recognisable in logs and by secret scanners.
TOKEN_PREFIX = "sl_"
# Recording every use would turn each read request into a write (and a SQLite write lock); a
# minute's precision is plenty to tell a live token from a forgotten one.
LAST_USED_PRECISION = timedelta(minutes=1)
_NAME_MAX = 128


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str) -> str:
    """Store a new token's hash and return the plaintext, which is never stored or shown again."""
    name = name.strip()
    if not 1 <= len(name) <= _NAME_MAX:
        raise InvalidInput([FieldError("name", f"must be 1 to {_NAME_MAX} characters")])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(token)))
    session.flush()
    return token


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The live token matching ``token``, or None if it is unknown or revoked.

    The lookup is by hash, so the comparison that matters happens on a digest an attacker cannot
    steer; no constant-time compare of plaintexts is needed.
    """
    found = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if found is not None:
        now = utcnow()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
            found.last_used_at = now
    return found


def revoke_token(session: Session, token_id: int) -> ApiToken:
    token = get_or_raise(session, ApiToken, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token

"""Admin tokens: only a hash is stored, revoked tokens fail, use is recorded cheaply."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.auth.models import ApiToken
from storeloop.auth.service import (
    LAST_USED_PRECISION,
    TOKEN_PREFIX,
    authenticate,
    create_token,
    revoke_token,
)
from storeloop.db import session_scope
from storeloop.errors import InvalidInput


def test_create_stores_only_the_hash_and_commits_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        token = create_token(session, " ops team ")
        session.rollback()  # the caller owns the transaction: rolling back leaves no token
        assert session.scalars(select(ApiToken)).all() == []

    with session_scope(session_factory) as session:
        token = create_token(session, "ops team")
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    with session_factory() as session:
        (row,) = session.scalars(select(ApiToken)).all()
        assert row.name == "ops team"
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {row.token_hash, row.name}


def test_authenticate_accepts_live_tokens_and_refuses_revoked_or_unknown(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        token = create_token(session, "a")
    with session_scope(session_factory) as session:
        found = authenticate(session, token)
        assert found is not None and found.last_used_at is not None
        assert authenticate(session, token + "x") is None
        assert authenticate(session, "") is None
        revoke_token(session, found.id)
    with session_factory() as session:
        assert authenticate(session, token) is None


def test_last_used_is_written_at_most_once_per_precision_window(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        token = create_token(session, "a")
    with session_scope(session_factory) as session:
        first = authenticate(session, token)
        assert first is not None and first.last_used_at is not None
        stamp = first.last_used_at
    with session_scope(session_factory) as session:
        again = authenticate(session, token)
        assert again is not None and again.last_used_at == stamp
        assert not session.dirty  # a read request stays a read
        again.last_used_at = stamp - LAST_USED_PRECISION - timedelta(seconds=1)
    with session_scope(session_factory) as session:
        later = authenticate(session, token)
        assert later is not None and later.last_used_at is not None
        assert later.last_used_at > stamp - LAST_USED_PRECISION


@pytest.mark.parametrize("name", ["", "   ", "x" * 129])
def test_a_token_needs_a_name(session: Session, name: str) -> None:
    with pytest.raises(InvalidInput):
        create_token(session, name)

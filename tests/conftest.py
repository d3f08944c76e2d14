"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``STORELOOP_TEST_POSTGRES_URL`` or a server on 127.0.0.1:5432. Without
one the PostgreSQL half is skipped locally, but under ``CI=true`` it is an error: CI must prove
both databases. Each PostgreSQL test gets its own database cloned from a migrated template, so
tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storeloop.auth.service import create_token
from storeloop.db import make_engine, make_session_factory, session_scope
from storeloop.migrate import upgrade
from storeloop.web.app import create_app

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgres"]


def _pg_admin_url() -> str:
    return os.environ.get("STORELOOP_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _pg_available() -> str | None:
    """Return why PostgreSQL is unusable, or None when it answers."""
    try:
        engine = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connect failure means "no server here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


class PostgresServer:
    """Creates throwaway databases on the test server, cloned from one migrated template."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.prefix = f"sl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self.created: list[str] = []
        self._exec(f'CREATE DATABASE "{self.template}"')
        self.created.append(self.template)
        engine = make_engine(self.url_for(self.template))
        upgrade(engine)
        engine.dispose()

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def new_database(self, *, migrated: bool = True) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        self._exec(f'CREATE DATABASE "{name}"{template}')
        self.created.append(name)
        return self.url_for(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in reversed(self.created):
            self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = _pg_available()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL at {_pg_admin_url()}: {reason}")
        pytest.skip(f"no PostgreSQL server ({reason})")
    server = PostgresServer(_pg_admin_url())
    yield server
    server.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite_template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def new_sqlite_database(template: Path | None, directory: Path) -> str:
    """A fresh SQLite file: a copy of the migrated template, or empty when template is None."""
    path = directory / f"store_{uuid.uuid4().hex[:8]}.db"
    if template is not None:
        path.write_bytes(template.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test; tests that take it run once per backend."""
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests)."""
    if backend == "sqlite":
        yield new_sqlite_database(None, tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_database(migrated=False)
    yield url
    server.drop(url)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty store database of the current backend."""
    if backend == "sqlite":
        yield new_sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield url
    server.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


# HTTP API fixtures: the app on the current backend's fresh store, and an admin token for it.


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return create_app(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin_token(session_factory: sessionmaker[Session]) -> str:
    with session_scope(session_factory) as session:
        return create_token(session, "tests")


@pytest.fixture
def admin_headers(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}

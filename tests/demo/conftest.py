"""One tiny demo store per backend, seeded once and shared by the read-only tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from storeloop.db import make_engine
from storeloop.demo.seed import PRESETS, SeedReport, seed_store
from tests.conftest import BACKENDS, new_sqlite_database


@dataclass(frozen=True)
class SeededStore:
    backend: str
    url: str
    engine: Engine
    report: SeedReport


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeededStore]:
    backend = str(request.param)
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        url = new_sqlite_database(template, tmp_path_factory.mktemp("seeded"))
        server = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.new_database()
    report = seed_store(url, PRESETS["tiny"], progress=False)
    engine = make_engine(url)
    yield SeededStore(backend, url, engine, report)
    engine.dispose()
    if server is not None:
        server.drop(url)

"""Fixtures for the analytics tests: a DuckDB connection, a local Spark session (one per test
run, shared by every Spark test) and the CDNOW files lifetimes ships.

CDNOW is used as test data only, read by path because ``lifetimes.datasets`` imports the removed
``pkg_resources``.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import ibis
import pandas as pd
import pytest

CDNOW_DIR = Path(str(files("lifetimes"))) / "datasets"


@pytest.fixture
def con() -> ibis.BaseBackend:
    return ibis.duckdb.connect()


@pytest.fixture(scope="session")
def spark() -> Iterator[ibis.BaseBackend]:
    """The local Spark session the CLI uses too (``engines.spark_session``), one per test run."""
    from storeloop.analytics.engines import spark_session

    session = spark_session("storeloop-tests")
    yield ibis.pyspark.connect(session)
    session.stop()


@pytest.fixture(scope="session")
def cdnow_raw() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample: customer, date, CDs bought, dollars spent."""
    raw = pd.read_csv(
        CDNOW_DIR / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "dollars"],
        dtype={"date": str, "customer": str, "dollars": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


@pytest.fixture(scope="session")
def cdnow_csv(cdnow_raw: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample as an analyst's export: its own column names, dollars as written."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    cdnow_raw.assign(date=cdnow_raw["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


CDNOW_MAP = {"customer_id": "customer", "ordered_at": "date", "amount": "dollars"}


@pytest.fixture
def seeded_url(db_url: str) -> str:
    """A store of the current backend holding the tiny demo store (120 days, events included)."""
    from storeloop.demo.seed import PRESETS, seed_store

    seed_store(db_url, PRESETS["tiny"], progress=False)
    return db_url

"""The two engines the analyses run on, and the one way Arrow data enters either of them.

DuckDB is embedded and the default. Spark is for data that outgrows one machine; here it runs as
``local[2]`` bound to 127.0.0.1 with its web UI off, because the machines are offline and a CLI
run or a test must not open ports to the network. The CLI and the tests build their session
with :func:`spark_session`, so both run Spark the same way.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from storeloop.analytics.errors import InputError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


def spark_session(app_name: str = "storeloop") -> SparkSession:
    """A local Spark session on two cores that listens on 127.0.0.1 only (reused if running)."""
    try:  # Spark is an optional extra: imported only when used
        from pyspark.sql import SparkSession
    except ImportError as missing:
        raise InputError(
            "the Spark engine needs the spark extra: pip install 'storeloop[spark]'"
        ) from missing

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers must run this interpreter, not whichever `python3` comes first on PATH
    # (which lacks pandas and ibis on a fresh machine).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(engine: EngineName) -> ibis.BaseBackend:
    """An Ibis backend for ``engine``: a fresh in-memory DuckDB, or the local Spark session.

    The Spark session is left running for the rest of the process: a second ``getOrCreate``
    (another command in the same process, a test) reuses it instead of starting a JVM again.
    """
    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "spark":
        return ibis.pyspark.connect(spark_session())
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


def hold_arrow(con: ibis.BaseBackend, name: str, table: pa.Table) -> ir.Table:
    """An Arrow table as a table of ``con``, under a fresh name starting with ``name``.

    Ibis hands in-memory tables to Spark through pandas, where an integer column with a null
    becomes floats and then nulls in every row, and a null string becomes "NaN". Spark 4 takes
    the Arrow table itself, which keeps nulls, integers and naive times exact.
    """
    unique = f"storeloop_{name}_{uuid.uuid4().hex}"
    if con.name == "pyspark":
        con._session.createDataFrame(table).createOrReplaceTempView(unique)
        return con.table(unique)
    return con.create_view(unique, ibis.memtable(table))

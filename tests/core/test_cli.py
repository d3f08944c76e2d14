"""The CLI end to end: real subprocesses for the server, Typer's runner for the rest."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from storeloop.cli import app
from storeloop.db import make_engine
from storeloop.models import ApiToken, Base
from tests.conftest import PostgresServer

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_db_upgrade_builds_the_schema(empty_db_url: str) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--database-url", empty_db_url])
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_db_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_database_url_comes_from_the_environment(empty_db_url: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"], env={"STORELOOP_DATABASE_URL": empty_db_url})
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_db_url)
    assert "orders" in inspect(engine).get_table_names()
    engine.dispose()


def test_token_create_prints_the_token_last_and_stores_only_its_hash(db_url: str) -> None:
    result = runner.invoke(app, ["token", "create", "--name", "ops", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 32
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(ApiToken.name, ApiToken.token_hash)).all()
        dump = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM api_tokens")) for v in row
        )
    engine.dispose()
    assert rows == [("ops", hashlib.sha256(token.encode()).hexdigest())]
    assert token not in dump


def test_token_create_refuses_an_empty_name(db_url: str) -> None:
    result = runner.invoke(app, ["token", "create", "--name", "  ", "--database-url", db_url])
    assert result.exit_code == 2
    assert "--name" in result.output


def test_seed_fills_a_store_once_and_refuses_a_second_time(db_url: str) -> None:
    args = ["seed", "--preset", "tiny", "--database-url", db_url]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        orders = conn.execute(text("SELECT COUNT(*) FROM orders")).scalar_one()
    assert orders > 0
    second = runner.invoke(app, args)
    assert second.exit_code == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM orders")).scalar_one() == orders
    engine.dispose()


def test_seed_names_a_bad_preset() -> None:
    result = runner.invoke(app, ["seed", "--preset", "huge", "--parquet", "/nonexistent"])
    assert result.exit_code == 2
    assert "--preset" in result.output


def test_seed_refuses_a_negative_size() -> None:
    result = runner.invoke(app, ["seed", "--customers", "-5", "--parquet", "/nonexistent"])
    assert result.exit_code == 2
    assert "--customers" in result.output


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _storeloop(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "storeloop.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_demo_creates_seeds_and_serves_a_store_in_the_working_directory(tmp_path: Path) -> None:
    port = _free_port()
    process = _storeloop("demo", "--preset", "tiny", "--port", str(port), cwd=tmp_path)
    try:
        home = _wait_for(f"http://127.0.0.1:{port}/", process, 120)
        assert home.status_code == 200
        assert "/docs" in home.text
        assert (tmp_path / "storeloop.db").exists()
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
        orders = httpx.get(f"http://127.0.0.1:{port}/api/v1/orders", timeout=5)
        assert orders.status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert f"http://127.0.0.1:{port}/" in output
    token = next(line for line in output.splitlines() if "admin API token" in line).split()[-1]
    engine = make_engine(f"sqlite:///{tmp_path / 'storeloop.db'}")
    with engine.connect() as conn:
        stored = conn.execute(select(ApiToken.token_hash)).scalars().all()
        assert conn.execute(text("SELECT COUNT(*) FROM orders")).scalar_one() > 0
    engine.dispose()
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_serve_answers_on_postgres(tmp_path: Path, postgres_server: PostgresServer) -> None:
    server = postgres_server
    url = server.new_database(migrated=False)
    port = _free_port()
    process = _storeloop(
        "serve", "--port", str(port), cwd=tmp_path, env={"STORELOOP_DATABASE_URL": url}
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/healthz", process, 60).status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)
        server.drop(url)

"""``storeloop serve`` in a child process on 127.0.0.1, for benchmarks and crash tests that must
talk to a real server over a socket (and, for the crash test, ``kill -9`` it)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True, slots=True)
class ChildServer:
    process: subprocess.Popen[bytes]
    base_url: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def child_server(database_url: str, *, sweep_every: float = 0) -> Iterator[ChildServer]:
    """Start the server, wait until ``/healthz`` answers (60 s at most), and kill it on exit if
    it is still running. Sweeps are off by default so they do not compete with what is measured."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "storeloop"),
        "serve",
        "--database-url",
        database_url,
        "--port",
        str(port),
        "--sweep-every",
        str(sweep_every),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                assert process.stderr is not None
                raise RuntimeError(f"the server did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
        yield ChildServer(process, base)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)

"""Where and in what order checkout's write transactions take their locks — in one place.

Why this file exists (cf. Saleor's ``lock_objects.py``): two transactions that lock the same
rows in different orders can deadlock, and two SQLite transactions that both *read* first and
then try to write can deadlock too (each holds a SHARED lock and waits for the other's to go;
SQLite breaks the tie by failing one with ``database is locked`` at once, busy timeout or not).

The rules:

* **SQLite**: a transaction that will write starts with ``BEGIN IMMEDIATE`` (``write_session``),
  taking the database's one write lock before its first read, so everything a writer reads is
  current and writers cannot deadlock. Writers of one process first queue on a mutex per
  database (``_sqlite_writers``): SQLite's busy handler *sleeps* between retries (up to 100 ms
  at a time), so fifty threads polling for the lock left it idle most of the time — a server
  with 50 concurrent checkouts placed fewer orders per second than with one. The mutex hands the
  lock over the moment it is released. Other processes still queue on the busy timeout
  (``db.make_engine``).
* **PostgreSQL**: every change to a counter is one conditional UPDATE whose WHERE clause is the
  invariant (``on_hand - reserved >= q``, ``uses < max_uses``); the row lock the UPDATE takes and
  PostgreSQL's re-check of the WHERE clause after waiting serialise racing writers. When one
  transaction changes several rows of a table, it changes them in primary-key order
  (``stock_level_lock_order``), and checkout always touches tables in one order:
  idempotency_keys → orders → stock_levels → coupon_codes → offer_usage → offer_customer_usage
  → outbox. Two checkouts therefore wait for each other but never in a cycle.
* Ending reservations (payment, release, expiry): every ``stock_reservations`` row first, in id
  order, then the stock levels in (sku_id, warehouse_id) order, then the order row. Checkout
  never waits on a reservation row (it only inserts them), so a payment, an expiry sweep and a
  checkout cannot wait for each other in a cycle either. (Ending them one by one, level after
  each, deadlocks a payment against an expiry sweep that skipped one of its reservations.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import session_scope

T = TypeVar("T")


def begin_immediate(session: Session) -> None:
    """Start ``session``'s transaction with SQLite's write lock; a no-op on other databases.

    Must be the session's first statement: pysqlite (legacy transaction control) then sees an
    open transaction and adds no deferred BEGIN of its own.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def write_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that will write: commit on success, roll back on any error, and on SQLite
    hold the write lock from the first statement (``begin_immediate``)."""
    with _sqlite_writer(factory), session_scope(factory) as session:  # committed, then released
        begin_immediate(session)
        yield session


_writers: dict[str, threading.Lock] = {}
_writers_guard = threading.Lock()
WRITER_WAIT_SECONDS = 30.0
"""As SQLite's busy timeout (``db.make_engine``): a writer that waited this long on the mutex goes
on to ``BEGIN IMMEDIATE`` anyway, to fail there as it would have without the mutex, never hang."""


@contextmanager
def _sqlite_writer(factory: sessionmaker[Session]) -> Iterator[None]:
    """Hold this process's mutex for the SQLite database ``factory``'s sessions write to (one per
    database URL, so two engines on one file share it); nothing on other databases."""
    bind = factory.kw.get("bind")
    engine = None if bind is None else bind.engine
    if engine is None or engine.dialect.name != "sqlite":
        yield
        return
    key = engine.url.render_as_string(hide_password=False)
    with _writers_guard:
        lock = _writers.setdefault(key, threading.Lock())
    held = lock.acquire(timeout=WRITER_WAIT_SECONDS)
    try:
        yield
    finally:
        if held:
            lock.release()


def stock_level_lock_order(keys: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """(sku_id, warehouse_id) pairs in the one order every transaction updates stock levels in:
    that pair is unique per stock level, so sorting by it is a total order over the rows."""
    return sorted(set(keys))

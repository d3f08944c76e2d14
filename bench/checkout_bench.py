"""Checkout throughput over HTTP, a flash sale, and a naive read-then-write checkout beside ours.

    .venv/bin/python bench/checkout_bench.py [--backends sqlite postgres] [--clients 50]
        [--seconds 20] [--buyers 500] [--units 100]

For each database a fresh store is created and migrated, seeded with 200 SKUs (stock enough for
the run, in two warehouses), ``--buyers`` customers with bearer tokens, and a flash-sale SKU; then
``storeloop serve`` is started on 127.0.0.1 (one uvicorn process, as ``storeloop serve`` runs) and
measured from this process:

1. **checkout** — ``--clients`` threads, each its own HTTP connection, place orders of 1–3 random
   lines through ``POST /api/v1/checkout`` (each with its own ``Idempotency-Key``) for
   ``--seconds``: orders per second, p50/p99 latency, refusals.
2. **flash sale** — ``--buyers`` customers released together on ``--units`` flash units (limit 1
   each; a tenth of them send a second order from a second connection): how long until every
   buyer has an answer, units sold (must be exactly ``--units``) and customers over the limit
   (must be 0), checked in the database afterwards.
3. **naive vs ours** — the same flash sale without HTTP, ``--buyers`` threads calling the service
   directly: ours (``orders.checkout.checkout``: conditional UPDATEs in one transaction) and a
   naive checkout that reads the free stock, then writes the new reserved count it computed
   (check-then-act, as in Medusa's reported races). Units sold against stock, and time.

Client and server share this 2-core machine, so the figures are a floor for either alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import case, create_engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storeloop.catalog.models import Category, Product, Sku
from storeloop.customers.auth_service import issue_customer_token
from storeloop.customers.models import Customer
from storeloop.db import make_engine, make_session_factory, session_scope
from storeloop.errors import StoreError
from storeloop.inventory.locks import write_session
from storeloop.inventory.models import StockLevel, Warehouse
from storeloop.inventory.schemas import StockAdjustment
from storeloop.inventory.service import adjust_stock
from storeloop.migrate import upgrade
from storeloop.orders.checkout import CheckoutLine, checkout
from storeloop.orders.models import Order, OrderLine
from storeloop.pricing.service import create_offer
from storeloop.web.child_server import child_server

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SKUS = 200
PRICE = 9900
FLASH_PRICE = 5900
PROVINCES = ("广东", "浙江", "北京", "四川", "新疆")


@dataclass(frozen=True)
class Store:
    skus: list[int]
    flash_sku: int
    customers: list[int]
    tokens: list[str]


# --- databases ------------------------------------------------------------------------------


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh, migrated database URL, dropped afterwards (PostgreSQL)."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin_url = os.environ.get("STORELOOP_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    name = f"sl_checkout_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(factory: sessionmaker[Session], buyers: int, units: int) -> Store:
    with session_scope(factory) as session:
        category = Category(slug="bench", name="bench")
        session.add(category)
        session.flush()
        warehouses = [
            Warehouse(code="SH", name="上海仓", kind="central", province="上海", region="east"),
            Warehouse(code="GZ", name="广州仓", kind="central", province="广东", region="south"),
        ]
        session.add_all(warehouses)
        session.flush()
        skus = []
        for i in range(SKUS + 1):
            product = Product(category_id=category.id, name=f"P{i}")
            sku = Sku(product=product, code=f"B{i:04d}", name=f"S{i}", list_price=PRICE, cost=4000)
            session.add(sku)
            session.flush()
            skus.append(sku.id)
            for warehouse in warehouses if i < SKUS else warehouses[:1]:
                stock = 1_000_000 if i < SKUS else units
                adjust_stock(
                    session,
                    StockAdjustment(
                        sku_id=sku.id, warehouse_id=warehouse.id, quantity=stock, reason="receipt"
                    ),
                )
        create_offer(
            session,
            {
                "id": "flash",
                "kind": "flash_sale",
                "products": {"skus": [f"B{SKUS:04d}"]},
                "price": FLASH_PRICE,
                "total_quantity": units,
                "per_customer_limit": 1,
            },
        )
        people = [
            Customer(province=PROVINCES[i % len(PROVINCES)], region="east", channel="search")
            for i in range(buyers)
        ]
        session.add_all(people)
        session.flush()
        tokens = [issue_customer_token(session, person.id) for person in people]
        return Store(skus[:SKUS], skus[SKUS], [p.id for p in people], tokens)


# --- the server -----------------------------------------------------------------------------


def place(
    client: httpx.Client,
    token: str,
    lines: list[dict[str, int]],
    province: str,
    expected_total: int | None = None,
) -> int:
    body: dict[str, object] = {"lines": lines, "ship_province": province}
    if expected_total is not None:  # what the shopper was shown: refuse any other price
        body["expected_total"] = expected_total
    response = client.post(
        "/api/v1/checkout",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
    )
    if response.status_code >= 500:
        raise RuntimeError(f"server error {response.status_code}: {response.text[:300]}")
    return response.status_code


# --- 1. throughput --------------------------------------------------------------------------


@dataclass
class Throughput:
    orders: int
    refused: int
    seconds: float
    latencies: list[float]


def throughput(base: str, store: Store, clients: int, seconds: float) -> Throughput:
    stop = time.monotonic() + seconds
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def client_loop(n: int) -> None:
        rng = random.Random(n)
        mine: list[tuple[int, float]] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < stop:
                who = rng.randrange(len(store.tokens))
                lines = [
                    {"sku_id": sku, "quantity": rng.randint(1, 2)}
                    for sku in rng.sample(store.skus, rng.randint(1, 3))
                ]
                start = time.perf_counter()
                status = place(client, store.tokens[who], lines, PROVINCES[who % len(PROVINCES)])
                mine.append((status, time.perf_counter() - start))
        with lock:
            results.extend(mine)

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client_loop, range(clients)))
    elapsed = time.monotonic() - began
    placed = [latency for status, latency in results if status == 201]
    return Throughput(len(placed), len(results) - len(placed), elapsed, placed)


# --- 2. flash sale over HTTP ----------------------------------------------------------------


def race(
    n: int, attempt: Callable[[int], object], prepare: Callable[[int], None] | None = None
) -> tuple[list[object], float]:
    """``attempt(i)`` on n threads released together; the results and the wall time.
    ``prepare(i)`` runs in thread i before the release and is not timed."""
    barrier = threading.Barrier(n + 1)

    def run(i: int) -> object:
        if prepare is not None:
            prepare(i)
        barrier.wait()
        try:
            return attempt(i)
        except StoreError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        barrier.wait()
        start = time.perf_counter()
        results = [future.result() for future in futures]
        return results, time.perf_counter() - start


def flash_over_http(base: str, store: Store) -> tuple[int, int, float]:
    """Every buyer once, a tenth of them twice more from another connection."""
    who = store.tokens + store.tokens[: len(store.tokens) // 10]

    # Each buyer's client (an httpx.Client costs milliseconds of CPU to make) is made before
    # the release, so the timing is the server's, not the clients' setup. (Not connected yet:
    # uvicorn closes a connection idle for 5 s, and 550 clients take longer to get ready.)
    clients: dict[int, httpx.Client] = {}

    def connect(i: int) -> None:
        clients[i] = httpx.Client(base_url=base, timeout=120)

    def buy(i: int) -> int:
        try:
            line = {"sku_id": store.flash_sku, "quantity": 1}
            return place(clients[i], who[i], [line], "上海", expected_total=FLASH_PRICE)
        finally:
            clients[i].close()

    results, elapsed = race(len(who), buy, connect)
    return len(who), sum(1 for status in results if status == 201), elapsed


def flash_outcome(factory: sessionmaker[Session], sku: int) -> tuple[int, int, int]:
    """(units sold, customers with more than 1 unit at the flash price, units on hand) for the
    flash SKU; the limit is on flash-priced units, a customer may buy more at the list price."""
    with factory() as session:
        per_customer = session.execute(
            select(
                Order.customer_id,
                func.sum(OrderLine.quantity),
                func.sum(case((OrderLine.discount_amount > 0, OrderLine.quantity), else_=0)),
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.sku_id == sku)
            .group_by(Order.customer_id)
        ).all()
        on_hand = session.scalar(
            select(func.sum(StockLevel.on_hand)).where(StockLevel.sku_id == sku)
        )
    sold = sum(units for _, units, _ in per_customer)
    return sold, sum(1 for _, _, flash in per_customer if flash > 1), on_hand or 0


def reset_flash(factory: sessionmaker[Session], sku: int) -> None:
    """Put the flash SKU back as it was: no orders for it, nothing reserved, usage at zero."""
    with session_scope(factory) as session:
        ids = session.scalars(select(OrderLine.order_id).where(OrderLine.sku_id == sku)).all()
        listed = ",".join(str(i) for i in ids) or "NULL"
        for table in ("stock_reservations", "order_status_history", "idempotency_keys"):
            session.execute(text(f"DELETE FROM {table} WHERE order_id IN ({listed})"))
        session.execute(text("DELETE FROM outbox"))  # the bench reads no events
        session.execute(text(f"DELETE FROM order_lines WHERE order_id IN ({listed})"))
        session.execute(text(f"DELETE FROM orders WHERE id IN ({listed})"))
        session.execute(update(StockLevel).where(StockLevel.sku_id == sku).values(reserved=0))
        session.execute(text("UPDATE offer_usage SET uses = 0, units = 0, spent = 0"))
        session.execute(text("DELETE FROM offer_customer_usage"))


# --- 3. naive vs ours, without HTTP ---------------------------------------------------------


def naive_checkout(factory: sessionmaker[Session], customer: int, sku: int, at: datetime) -> bool:
    """Check, then act: read the free stock, and if there is some, write the reserved count
    computed from that read. Two buyers who read the same count both 'sell' the same unit."""
    with factory() as session:
        level = session.execute(
            select(StockLevel.id, StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.sku_id == sku
            )
        ).one()
    if level.on_hand - level.reserved < 1:
        return False
    with write_session(factory) as session:
        session.execute(
            update(StockLevel).where(StockLevel.id == level.id).values(reserved=level.reserved + 1)
        )
        order = Order(
            number=f"NV{uuid.uuid4().hex[:20].upper()}",
            customer_id=customer,
            status="pending_payment",
            channel="web",
            ship_province="上海",
            placed_at=at,
            goods_amount=FLASH_PRICE,
            discount_amount=0,
            shipping_amount=0,
            total_amount=FLASH_PRICE,
        )
        order.lines.append(OrderLine(sku_id=sku, quantity=1, unit_price=FLASH_PRICE))
        session.add(order)
    return True


def ours_vs_naive(url: str, store: Store, units: int) -> list[tuple[str, int, int, float]]:
    wide = {"pool_size": 60, "max_overflow": 0, "pool_timeout": 300}
    engine = make_engine(url, **({} if url.startswith("sqlite") else wide))
    factory = make_session_factory(engine)
    at = datetime.now(UTC)
    rows = []
    try:
        for name in ("ours", "naive"):
            reset_flash(factory, store.flash_sku)

            def attempt(i: int, name: str = name) -> object:
                customer = store.customers[i]
                if name == "naive":
                    return naive_checkout(factory, customer, store.flash_sku, at)
                checkout(
                    factory,
                    customer,
                    [CheckoutLine(store.flash_sku, 1)],
                    idempotency_key=f"{name}-{i}-{uuid.uuid4().hex}",
                    at=at,
                    reservation_ttl=timedelta(minutes=30),
                )
                return True

            results, elapsed = race(len(store.customers), attempt)
            accepted = sum(1 for r in results if r is True)
            sold, _, _ = flash_outcome(factory, store.flash_sku)
            rows.append((name, accepted, sold, elapsed))
    finally:
        engine.dispose()
    return rows


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--units", type=int, default=100)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; client and server on this machine"
    )
    for backend in args.backends:
        with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
            engine = make_engine(url)
            factory = make_session_factory(engine)
            store = seed(factory, args.buyers, args.units)
            with child_server(url) as child:
                base = child.base_url
                result = throughput(base, store, args.clients, args.seconds)
                lat = sorted(result.latencies)
                p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))] if lat else 0.0
                print(
                    f"{backend:>8} checkout  {args.clients} clients: "
                    f"{result.orders / result.seconds:7.1f} orders/s  "
                    f"p50 {statistics.median(lat) * 1000 if lat else 0:6.1f} ms  "
                    f"p99 {p99 * 1000:6.1f} ms  ({result.orders} placed, {result.refused} refused,"
                    f" {result.seconds:.1f} s)",
                    flush=True,
                )
                requests, placed, elapsed = flash_over_http(base, store)
                sold, over, on_hand = flash_outcome(factory, store.flash_sku)
                print(
                    f"{backend:>8} flash     {requests} requests from {args.buyers} buyers on "
                    f"{args.units} units: {elapsed:5.2f} s ({requests / elapsed:6.1f} req/s); "
                    f"{placed} placed, sold {sold} (stock {on_hand}), customers over the limit "
                    f"{over}",
                    flush=True,
                )
            for name, accepted, sold, elapsed in ours_vs_naive(url, store, args.units):
                verdict = "OVERSOLD" if sold > args.units else "ok"
                print(
                    f"{backend:>8} {name:>5}     {args.buyers} buyers, {args.units} units, "
                    "no HTTP: "
                    f"{elapsed:5.2f} s ({args.buyers / elapsed:6.1f} checkouts/s); "
                    f"accepted {accepted}, units sold {sold} — {verdict}",
                    flush=True,
                )
            engine.dispose()


if __name__ == "__main__":
    main()

"""Crash test: ``kill -9`` the server while checkouts are in flight, restart it, and check that
every acknowledged order is there, whole, and that the stock invariants hold — on both databases.

A real ``storeloop serve`` process on 127.0.0.1 takes checkouts from client threads; after some
have been acknowledged (201), the process is killed with SIGKILL mid-stream. After a restart on
the same database: each acknowledged order exists with its lines, reservation and ``order.created``
event; no order exists half-written; and retrying every request with its own ``Idempotency-Key``
returns the order it made, or makes it once if the crash came first.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeloop.customers.auth_service import issue_customer_token
from storeloop.db import session_scope
from storeloop.inventory.reservation_models import StockReservation
from storeloop.orders.checkout_models import OutboxEvent
from storeloop.orders.models import Order, OrderLine
from storeloop.web.child_server import child_server
from tests.orders.checkout_store import assert_stock_invariants, seed

CLIENTS = 8
REQUESTS = 120  # in all; the kill comes after about a third are acknowledged


def _checkout(client: httpx.Client, token: str, key: str, sku: int) -> httpx.Response:
    return client.post(
        "/api/v1/checkout",
        json={"lines": [{"sku_id": sku, "quantity": 1}], "ship_province": "浙江"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_mid_checkout_loses_no_acknowledged_order(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    store = seed(session_factory, stock=REQUESTS * 2, customers=CLIENTS)
    with session_scope(session_factory) as session:
        tokens = [issue_customer_token(session, customer) for customer in store.customers]
    acknowledged: dict[str, int] = {}  # idempotency key -> order id the server answered with
    sent: list[str] = []
    lock = threading.Lock()
    third = threading.Event()

    with child_server(db_url) as server:
        process, base = server.process, server.base_url

        def client_loop(n: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                for i in range(REQUESTS // CLIENTS):
                    key = f"crash-{n}-{i}"
                    with lock:
                        sent.append(key)
                    try:
                        response = _checkout(client, tokens[n], key, store.sku)
                    except httpx.TransportError:
                        return  # the server is gone
                    assert response.status_code == 201, response.text
                    with lock:
                        acknowledged[key] = response.json()["id"]
                        if len(acknowledged) >= REQUESTS // 3:
                            third.set()

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(client_loop, n) for n in range(CLIENTS)]
            assert third.wait(timeout=120), "too few checkouts were acknowledged"
            os.kill(process.pid, signal.SIGKILL)
            for future in futures:
                future.result()
    assert REQUESTS // 3 <= len(acknowledged) < REQUESTS, "the kill must land mid-stream"

    with session_factory() as session:
        orders = session.scalars(select(Order)).all()
        by_id = {order.id: order for order in orders}
        for order_id in acknowledged.values():
            assert order_id in by_id, f"acknowledged order {order_id} is lost"
        for order in orders:  # every stored order is whole: nothing half-written
            assert [(line.sku_id, line.quantity) for line in order.lines] == [(store.sku, 1)]
            reserved = session.scalar(
                select(func.sum(StockReservation.quantity)).where(
                    StockReservation.order_id == order.id
                )
            )
            assert reserved == 1
        created = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.topic == "order.created")
        ).all()
        assert sorted(event["order_id"] for event in created) == sorted(by_id)
    assert_stock_invariants(session_factory)

    with (
        child_server(db_url) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        for key in sent:
            n = int(key.split("-")[1])
            response = _checkout(client, tokens[n], key, store.sku)
            assert response.status_code in (200, 201), response.text
            if key in acknowledged:
                assert response.status_code == 200  # a replay, not a second order
                assert response.json()["id"] == acknowledged[key]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == len(sent)
        assert session.scalar(select(func.sum(OrderLine.quantity))) == len(sent)
    assert_stock_invariants(session_factory)

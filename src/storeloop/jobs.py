"""The store's periodic work: the sweeps that turn the passing of time into state changes.

Each sweep is a service function that is safe to run concurrently with checkouts, payments and
with itself (guarded UPDATEs, unique dedupe keys), so running them from a thread beside the web
server, from ``storeloop sweep`` in cron, or from several processes at once gives the same
result. In order: unpaid reservations expire (closing their orders and returning their points),
presale balances past their window close, ``order.unpaid_1h`` follow-ups are written, the outbox
is relayed to its in-database subscribers (points earned and reversed), and points past their
validity expire.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from storeloop.db import utcnow
from storeloop.loyalty.service import expire_points
from storeloop.orders.checkout import close_expired
from storeloop.orders.deposits import close_unpaid_balances
from storeloop.orders.followups import emit_unpaid_followups
from storeloop.orders.outbox_relay import default_handlers, relay_once

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepReport:
    closed_unpaid: int
    closed_balances: int
    followups: int
    relayed: int
    points_expired: int


def run_sweeps(session_factory: sessionmaker[Session], now: datetime) -> SweepReport:
    closed = close_expired(session_factory, now=now)
    balances = close_unpaid_balances(session_factory, now=now)
    followups = emit_unpaid_followups(session_factory, now)
    relayed = 0
    handlers = default_handlers()
    while batch := relay_once(session_factory, handlers, now=now):
        relayed += batch
    return SweepReport(
        len(closed), len(balances), len(followups), relayed, expire_points(session_factory, now)
    )


class Sweeper(threading.Thread):
    """Runs ``run_sweeps`` every ``every`` seconds until ``stop()``; a failing sweep is logged
    and retried next time, never allowed to end the loop (the server must keep serving)."""

    def __init__(self, session_factory: sessionmaker[Session], every: float) -> None:
        super().__init__(name="storeloop-sweeper", daemon=True)
        self._factory = session_factory
        self._every = every
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                report = run_sweeps(self._factory, utcnow())
            except Exception:
                log.exception("sweep failed; retrying in %s s", self._every)
                continue
            if any(astuple(report)):
                log.info("sweep: %s", report)

    def stop(self) -> None:
        self._stopped.set()

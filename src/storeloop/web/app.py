"""The FastAPI application factory: home page, health check and the /api/v1 routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from storeloop import __version__
from storeloop.analytics.api import router as analytics_router
from storeloop.catalog.api import router as catalog_router
from storeloop.customers.api import router as customers_router
from storeloop.customers.auth_api import router as customer_auth_router
from storeloop.db import make_engine, make_session_factory
from storeloop.events.api import router as events_router
from storeloop.inventory.api import router as inventory_router
from storeloop.loyalty.api import router as loyalty_router
from storeloop.orders.api import router as orders_router
from storeloop.orders.fulfilment_api import router as fulfilment_router
from storeloop.orders.storefront_api import router as storefront_router
from storeloop.pricing.api import router as pricing_router
from storeloop.settings import get_settings
from storeloop.web.errors import ERROR_RESPONSES, install_error_handlers
from storeloop.web.home import router as home_router

API_PREFIX = "/api/v1"

DESCRIPTION = """
The storeloop store API. Admin endpoints need `Authorization: Bearer <token>`
(`storeloop token create --name NAME` prints one); catalogue reads are public.
Every list takes `limit` (≤ 500) and `offset` and returns `{items, total, limit, offset}`;
every error is `{"error": {"code", "message", "details": [{"field", "message"}]}}`.
Money is integer minor units (fen) plus a currency. See docs/api.md.
"""


def create_app(engine: Engine | None = None) -> FastAPI:
    """Build the app on ``engine``, or on ``STORELOOP_DATABASE_URL`` when None.

    The schema must already be migrated (``storeloop db upgrade``). An engine passed in stays
    the caller's to dispose; one built here is disposed when the app shuts down.
    """
    owned = engine is None
    bound = engine if engine is not None else make_engine(get_settings().database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            bound.dispose()

    # FastAPIOffline serves Swagger UI and ReDoc from its package: /docs must work offline.
    app = FastAPIOffline(
        title="storeloop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.engine = bound
    app.state.session_factory = make_session_factory(bound)
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for router in (
        catalog_router,
        customers_router,
        inventory_router,
        orders_router,
        fulfilment_router,
        events_router,
        pricing_router,
        loyalty_router,
        analytics_router,
        customer_auth_router,
        storefront_router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(home_router)
    return app

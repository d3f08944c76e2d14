"""The home page (what the store holds, in Chinese and English) and the health check."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from storeloop import __version__
from storeloop.catalog import service as catalog
from storeloop.customers import service as customers
from storeloop.events import service as events
from storeloop.money import CURRENCY_EXPONENT, Money
from storeloop.orders import service as orders
from storeloop.web.deps import SessionDep
from storeloop.web.errors import error_response

router = APIRouter(include_in_schema=False)

_LABELS = {
    "categories": "类目 Categories",
    "products": "商品 Products",
    "skus": "SKU",
    "customers": "客户 Customers",
    "orders": "订单 Orders",
    "events": "行为事件 Events",
}


def format_money(money: Money) -> str:
    """¥1,234.56 for yuan (what an operator reads); other currencies as ``1234.56 USD``."""
    if money.currency != "CNY":
        return str(money)
    exponent = CURRENCY_EXPONENT["CNY"]
    units, fen = divmod(abs(money.amount), 10**exponent)
    sign = "-" if money.amount < 0 else ""
    return f"{sign}¥{units:,}.{fen:0{exponent}d}"


def _summary(session: Session) -> tuple[dict[str, int], list[Money]]:
    counts = {
        **catalog.counts(session),
        "customers": customers.count(session),
        "orders": orders.count(session),
        "events": events.count(session),
    }
    return counts, orders.paid_gmv(session)


@router.get("/", response_class=HTMLResponse)
def home(session: SessionDep) -> str:
    counts, gmv = _summary(session)
    rows = "".join(
        f"<tr><th>{escape(_LABELS[key])}</th><td>{value:,}</td></tr>"
        for key, value in counts.items()
    )
    gmv_text = " + ".join(format_money(m) for m in gmv) or format_money(Money(0))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>storeloop</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto}}
th{{text-align:left;padding-right:2rem}}td{{text-align:right}}</style></head>
<body><h1>storeloop {escape(__version__)}</h1>
<p>本店数据 · What the store holds</p>
<table>{rows}
<tr><th>已支付订单成交额 GMV (paid orders)</th><td id="gmv">{escape(gmv_text)}</td></tr></table>
<p><a href="/docs">API 文档 · API docs (OpenAPI)</a> ·
<a href="/api/v1/categories">/api/v1/categories</a> · <a href="/healthz">/healthz</a></p>
</body></html>"""


@router.get("/healthz", response_model=None)
def healthz(request: Request) -> dict[str, str] | JSONResponse:
    """Ok only if the database answers: a server that cannot reach its store is not healthy."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return error_response(503, "the database does not answer")
    return {"status": "ok"}

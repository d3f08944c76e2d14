"""``storeloop price CART.json --offers OFFERS.json [--at ISO_TIME] [--customer CUSTOMER.json]``.

Prints the priced cart as JSON. Bad input prints one line naming the file, the offer (or cart
line) and the field, and exits with code 2 — never a traceback.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from storeloop.pricing.engine import price_cart
from storeloop.pricing.errors import PricingInputError, from_validation_error
from storeloop.pricing.references import check_skus_known
from storeloop.pricing.result import PricedCart
from storeloop.pricing.schemas import Cart, Customer, OffersDocument

Model = TypeVar("Model", bound=BaseModel)


def price_command(
    cart: Annotated[
        Path,
        typer.Argument(metavar="CART.json", help="Lines, catalogue section, coupon codes."),
    ],
    offers: Annotated[
        Path,
        typer.Option("--offers", metavar="OFFERS.json", help="Offers, policy, shipping rule."),
    ],
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="ISO_TIME", help="When to price, with offset; default now."),
    ] = None,
    customer: Annotated[
        Path | None,
        typer.Option("--customer", metavar="CUSTOMER.json", help="Tier, birthday, usage so far."),
    ] = None,
) -> None:
    """Price a cart against offers and print the priced cart as JSON."""
    try:
        priced = price_files(cart, offers, at=at, customer=customer)
    except PricingInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(priced.to_json(), ensure_ascii=False, indent=2))


def price_files(
    cart: Path, offers: Path, *, at: str | None = None, customer: Path | None = None
) -> PricedCart:
    """The CLI without the terminal: load and cross-check the files, then price."""
    cart_model = load(cart, Cart)
    document = load(offers, OffersDocument)
    check_skus_known(document, cart_model.catalogue, str(offers))
    buyer = None if customer is None else load(customer, Customer)
    sources = {"cart": str(cart), "offers": str(offers)}
    try:
        return price_cart(cart_model, document, at=parse_at(at), customer=buyer)
    except PricingInputError as exc:
        raise PricingInputError(
            sources.get(exc.source, exc.source),
            exc.message,
            offer=exc.offer,
            line=exc.line,
            field=exc.field,
        ) from None


def load(path: Path, model: type[Model]) -> Model:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PricingInputError(str(path), f"cannot read the file: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise PricingInputError(
            str(path), f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise from_validation_error(exc, raw, str(path)) from None


def parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PricingInputError("--at", f"{text!r} is not an ISO 8601 time") from None
    if moment.utcoffset() is None:
        raise PricingInputError("--at", f"{text!r} needs a UTC offset, e.g. +08:00")
    return moment

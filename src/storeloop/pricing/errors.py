"""Bad input, reported as one line that names the file, the offer (or cart line) and the field.

An operator fixing a 2,000-offer file needs "offer 'tiers-tea': tiers[1].min_quantity: …", not a
Pydantic dump; the same message will be the API's 422 detail and the storage-time refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from storeloop.pricing.fields import FieldPath, FieldProblem


class PricingInputError(ValueError):
    def __init__(
        self,
        source: str,
        message: str,
        *,
        offer: str | None = None,
        line: str | None = None,
        field: str = "",
    ) -> None:
        self.source = source
        self.offer = offer
        self.line = line
        self.field = field
        self.message = message
        where = [source]
        if offer is not None:
            where.append(f"offer {offer!r}")
        if line is not None:
            where.append(f"line {line!r}")
        if field:
            where.append(field)
        super().__init__(f"{': '.join(where)}: {message}")


def format_path(path: FieldPath) -> str:
    """``("tiers", 1, "min_quantity")`` → ``tiers[1].min_quantity``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def from_validation_error(exc: ValidationError, raw: Any, source: str) -> PricingInputError:
    """Turn the first Pydantic error into a ``PricingInputError`` naming offer or line and field."""
    error = exc.errors()[0]
    path: list[str | int] = list(error["loc"])
    problem = error.get("ctx", {}).get("error")
    if isinstance(problem, FieldProblem):
        path.extend(problem.path)
        message = problem.message
    else:
        message = error["msg"]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path.append("kind")
    return _name_the_owner(path, message, raw, source)


def _name_the_owner(
    path: list[str | int], message: str, raw: Any, source: str
) -> PricingInputError:
    """Replace ``offers[3]`` by the offer's id and ``lines[2]`` by the line's SKU."""
    if len(path) >= 2 and path[0] == "offers" and isinstance(path[1], int):
        entry = _item(raw, "offers", path[1])
        offer_id = entry.get("id") if isinstance(entry.get("id"), str) else f"#{path[1]}"
        rest = path[2:]
        if rest and rest[0] == entry.get("kind"):
            rest = rest[1:]  # Pydantic puts the discriminator's value in the location
        return PricingInputError(source, message, offer=offer_id, field=format_path(tuple(rest)))
    if len(path) >= 2 and path[0] == "lines" and isinstance(path[1], int):
        sku = _item(raw, "lines", path[1]).get("sku")
        line = sku if isinstance(sku, str) else None
        return PricingInputError(source, message, line=line, field=format_path(tuple(path)))
    return PricingInputError(source, message, field=format_path(tuple(path)))


def _item(raw: Any, key: str, index: int) -> Mapping[str, Any]:
    items = raw.get(key) if isinstance(raw, Mapping) else None
    if isinstance(items, Sequence) and index < len(items) and isinstance(items[index], Mapping):
        return items[index]
    return {}

"""Bad input is refused with one line naming the offer (or cart line) and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from storeloop.pricing import PricingInputError
from storeloop.pricing.cli import price_command
from storeloop.pricing.schemas import parse_offer
from tests.pricing.builders import CATALOGUE

runner = CliRunner()
app = typer.Typer()
app.command("price")(price_command)


@app.callback()
def _group() -> None:
    """Registered as in storeloop.cli, where ``price`` is one command among several."""


GOOD_CART = {"catalogue": CATALOGUE, "lines": [{"sku": "TEA", "quantity": 1}]}
AT = "2025-06-18T10:00:00+08:00"


def _run(tmp_path: Path, offers: Any, cart: Any = GOOD_CART, *extra: str) -> tuple[int, str]:
    (tmp_path / "cart.json").write_text(json.dumps(cart))
    (tmp_path / "offers.json").write_text(json.dumps(offers))
    args = ["price", str(tmp_path / "cart.json"), "--offers", str(tmp_path / "offers.json")]
    result = runner.invoke(app, [*args, "--at", AT, *extra])
    return result.exit_code, result.stderr if result.exit_code else result.stdout


def _offer(**fields: Any) -> dict[str, Any]:
    return {"offers": [{"id": "bad-one", **fields}]}


TIERS_OUT_OF_ORDER = _offer(
    kind="quantity_tiers",
    tiers=[
        {"min_quantity": 3, "percent_off_bp": 2000},
        {"min_quantity": 2, "percent_off_bp": 1000},
    ],
)


@pytest.mark.parametrize(
    ("offers", "expected"),
    [
        (_offer(kind="half_price"), "offer 'bad-one': kind: "),
        (
            _offer(kind="limited_time", products={}, amount_off=-100),
            "offer 'bad-one': amount_off: ",
        ),
        (TIERS_OUT_OF_ORDER, "offer 'bad-one': tiers[1].min_quantity: 2 must be greater than"),
        (
            _offer(
                kind="spend_repeat",
                every=10000,
                amount_off=1000,
                starts_at="2025-06-20T00:00:00+08:00",
                ends_at="2025-06-01T00:00:00+08:00",
            ),
            "offer 'bad-one': ends_at: 2025-06-01T00:00:00+08:00 is not after starts_at",
        ),
        (
            _offer(
                kind="flash_sale", products={"skus": ["TEA", "NO-SUCH"]}, price=1, total_quantity=5
            ),
            "offer 'bad-one': products.skus[1]: unknown SKU 'NO-SUCH'",
        ),
        (
            _offer(kind="gift", condition={"min_spend": 100}, reward={"sku": "GHOST"}),
            "offer 'bad-one': reward.sku: unknown SKU 'GHOST'",
        ),
        (
            _offer(kind="spend_tiers", tiers=[{"min_spend": 9.9, "amount_off": 1}]),
            "offer 'bad-one': tiers[0].min_spend: Input should be a valid integer",
        ),
        (
            _offer(
                kind="coupon",
                amount_off=500,
                codes=[{"code": "SAVE5555"}],
                min_spend=0,
                mystery=True,
            ),
            "offer 'bad-one': mystery: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_offers_name_the_offer_and_the_field(
    tmp_path: Path, offers: dict[str, Any], expected: str
) -> None:
    code, output = _run(tmp_path, offers)
    assert code == 2
    assert output.count("\n") == 1, output
    assert output.startswith(f"error: {tmp_path / 'offers.json'}: {expected}")


def test_cart_line_naming_an_unknown_sku(tmp_path: Path) -> None:
    cart = {
        "catalogue": CATALOGUE,
        "lines": [{"sku": "TEA", "quantity": 1}, {"sku": "NOPE", "quantity": 2}],
    }
    code, output = _run(tmp_path, {"offers": []}, cart)
    assert code == 2
    assert "cart.json: line 'NOPE': lines[1].sku: unknown SKU 'NOPE'" in output


def test_deposit_for_an_unknown_presale_names_the_line(tmp_path: Path) -> None:
    cart = {
        "catalogue": CATALOGUE,
        "lines": [{"sku": "TEA", "quantity": 1, "deposit": {"offer": "ghost", "units": 1}}],
    }
    code, output = _run(tmp_path, {"offers": []}, cart)
    assert code == 2
    assert "cart.json: line 'TEA': deposit.offer: no presale offer 'ghost'" in output


def test_time_without_offset_and_broken_json_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "cart.json").write_text(json.dumps(GOOD_CART))
    (tmp_path / "offers.json").write_text("{not json")
    args = ["price", str(tmp_path / "cart.json"), "--offers", str(tmp_path / "offers.json")]
    broken = runner.invoke(app, args)
    assert broken.exit_code == 2
    assert "not valid JSON" in broken.stderr
    (tmp_path / "offers.json").write_text("{}")
    naive = runner.invoke(app, [*args, "--at", "2025-06-18T10:00:00"])
    assert naive.exit_code == 2
    assert naive.stderr == "error: --at: '2025-06-18T10:00:00' needs a UTC offset, e.g. +08:00\n"


def test_good_input_prints_the_priced_cart(tmp_path: Path) -> None:
    code, output = _run(tmp_path, {"offers": []})
    assert code == 0
    assert json.loads(output)["totals"]["to_pay"] == CATALOGUE["TEA"]["list_price"]


def test_one_offer_is_validated_for_storage_by_the_same_models() -> None:
    offer = parse_offer(
        {
            "id": "tea-2",
            "kind": "quantity_tiers",
            "tiers": [{"min_quantity": 2, "percent_off_bp": 1000}],
        }
    )
    assert offer.kind == "quantity_tiers"
    with pytest.raises(PricingInputError) as refused:
        parse_offer({"id": "tea-2", "kind": "quantity_tiers", "tiers": []}, source="POST /offers")
    assert (refused.value.offer, refused.value.field) == ("tea-2", "tiers")
    assert str(refused.value).startswith("POST /offers: offer 'tea-2': tiers: ")

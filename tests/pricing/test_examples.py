"""Every worked example of docs/pricing.md, run through the engine and through the CLI.

Each directory of docs/examples/pricing/ holds the inputs, ``command.txt`` (the exact command the
doc shows) and ``expected.json``. Both paths must print exactly the expected output, and the
figure the doc quotes for an example must be the one in its ``expected.json`` — so the doc can
never drift from the code. After an intended change of output, regenerate with
``STORELOOP_UPDATE_EXAMPLES=1 .venv/bin/pytest tests/pricing/test_examples.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from storeloop.pricing import Cart, Customer, OffersDocument, price_cart
from storeloop.pricing.cli import parse_at, price_command

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = sorted(path for path in (DOCS / "examples" / "pricing").iterdir() if path.is_dir())
UPDATE = os.environ.get("STORELOOP_UPDATE_EXAMPLES") == "1"

app = typer.Typer()
app.command("price")(price_command)


@app.callback()
def _group() -> None:
    """``price`` sits among other commands, as in storeloop.cli."""


def _arguments(example: Path) -> list[str]:
    """The command's arguments after ``storeloop``, with file names resolved in the example."""
    words = shlex.split((example / "command.txt").read_text())
    assert words[:2] == ["storeloop", "price"], words
    return [str(example / word) if word.endswith(".json") else word for word in words[1:]]


def _option(arguments: list[str], name: str) -> str | None:
    return arguments[arguments.index(name) + 1] if name in arguments else None


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_through_the_engine_and_the_cli(example: Path) -> None:
    arguments = _arguments(example)
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    customer = _option(arguments, "--customer")
    priced = price_cart(
        Cart.model_validate_json((example / "cart.json").read_text()),
        OffersDocument.model_validate_json((example / "offers.json").read_text()),
        at=parse_at(_option(arguments, "--at")),
        customer=None
        if customer is None
        else Customer.model_validate_json(Path(customer).read_text()),
    ).to_json()
    assert printed == priced
    expected_file = example / "expected.json"
    if UPDATE:
        expected_file.write_text(json.dumps(priced, ensure_ascii=False, indent=2) + "\n")
    assert priced == json.loads(expected_file.read_text())


def test_the_doc_quotes_every_example_with_its_real_figure() -> None:
    """Each example has a section in docs/pricing.md, headed by a link to its directory, that
    quotes "to pay **¥X**" for its total."""
    text = (DOCS / "pricing.md").read_text()
    for example in EXAMPLES:
        heading = re.search(rf"^### .*\(examples/pricing/{example.name}/\)$", text, re.MULTILINE)
        assert heading is not None, f"docs/pricing.md has no section for {example.name}"
        section = text[heading.end() :].split("\n#", 1)[0]
        quoted = re.search(r"to\s+pay\s+\*\*¥(\d+)\.(\d{2})\*\*", section, re.IGNORECASE)
        assert quoted is not None, f"no 'to pay **¥…**' after {example.name}"
        expected = json.loads((example / "expected.json").read_text())
        assert int(quoted[1]) * 100 + int(quoted[2]) == expected["totals"]["to_pay"], example.name

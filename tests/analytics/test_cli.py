from __future__ import annotations

import json
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from storeloop.analytics.baskets import association_rules
from storeloop.analytics.cli import analyze_app
from tests.analytics.conftest import CDNOW_MAP
from tests.analytics.test_baskets import generated_baskets

runner = CliRunner()
CDNOW_OPTIONS = [f"--map={name}={column}" for name, column in CDNOW_MAP.items()]


def test_clv_prints_the_published_cdnow_parameters_and_writes_predictions(
    cdnow_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clv.csv"
    result = runner.invoke(
        analyze_app,
        [
            "clv",
            str(cdnow_csv),
            *CDNOW_OPTIONS,
            "--time-unit=week",
            "--calibration-end=1997-09-30",
            "--horizon=39",
            "--params",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    params = json.loads(result.stdout)
    bg, gg = params["bgnbd"], params["gamma_gamma"]
    assert [f"{bg[k]:.3g}" for k in ("r", "alpha", "a", "b")] == ["0.243", "4.41", "0.793", "2.43"]
    assert round(bg["loglik"], 1) == -9582.4
    assert [f"{gg[k]:.3g}" for k in ("p", "q", "v")] == ["6.25", "3.74", "15.4"]
    predictions = pd.read_csv(out, dtype={"customer_id": str})
    assert list(predictions.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "probability_alive",
        "expected_purchases",
        "expected_average_spend",
        "expected_value",
    ]
    assert len(predictions) == 2357
    first = predictions.set_index("customer_id").loc["0001"]
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (
        2,
        30.43,
        38.86,
    )


def test_clv_without_out_or_params_writes_the_csv_to_standard_output(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "customer_id": rng.zipf(1.7, 2000) % 300,
            "ordered_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 180, 2000), unit="D"),
            "amount": np.round(rng.gamma(3, 40, 2000), 2),
        }
    )
    frame.to_csv(path, index=False)
    result = runner.invoke(
        analyze_app, ["clv", str(path), "--time-unit", "day", "--calibration-end", "2024-07-01"]
    )
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.startswith("customer_id,frequency,recency,T,monetary_value")
    assert len(rows) == frame["customer_id"].nunique()


def test_baskets_rules_round_trip(tmp_path: Path) -> None:
    baskets = generated_baskets(4, orders=500, skus=12)
    path = tmp_path / "lines.csv"
    baskets.rename(columns={"order_id": "单号", "sku": "货号"}).to_csv(path, index=False)
    out, together = tmp_path / "rules.csv", tmp_path / "together.csv"
    result = runner.invoke(
        analyze_app,
        [
            "baskets",
            str(path),
            "--map",
            "order_id=单号",
            "--map",
            "sku=货号",
            "--min-support",
            "0.03",
            "--min-confidence",
            "0.2",
            "--out",
            str(out),
            "--together",
            str(together),
            "--top-k",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert list(written.columns) == ["antecedents", "consequents", "support", "confidence", "lift"]
    expected = association_rules(
        ibis.duckdb.connect().create_table("b", baskets), min_support=0.03, min_confidence=0.2
    ).to_pandas()
    pd.testing.assert_frame_equal(written, expected, check_exact=False, rtol=1e-15)
    top = pd.read_csv(together)
    assert top.groupby("sku")["rank"].max().max() == 2


def invoke_error(args: list[str]) -> str:
    result = runner.invoke(analyze_app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,amount,sku\n"
        "o1,c1,2024-01-02,10,A\n"
        "o2,c1,2024-01-09,oops,B\n"
    )
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration-end", "2024-02-01", "--map", "amount=Total"], "no column 'Total'"),
        (["--calibration-end", "2024-02-01", "--map", "price=amount"], "'price' is not one of"),
        (["--calibration-end", "2024-02-01"], "column 'amount' (file column 'amount') at row 3"),
        (["--calibration-end", "2024-02-30"], "--calibration-end must be a YYYY-MM-DD date"),
        ([], "--calibration-end is required"),
        (["--calibration-end", "2024-02-01", "--time-unit", "month"], "--time-unit must be"),
        (["--calibration-end", "2024-02-01", "--horizon", "-3"], "--horizon must be positive"),
        (
            ["--calibration-end", "2024-02-01", "--time-unit", "day", "--period", "week"],
            "--period cannot be longer than --time-unit",
        ),
    ],
)
def test_clv_bad_input_is_one_line_and_exit_code_2(
    orders_csv: Path, args: list[str], message: str
) -> None:
    assert message in invoke_error(["clv", str(orders_csv), *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-support", "abc"], "--min-support must be a number, got 'abc'"),
        (["--min-confidence", "0"], "--min-confidence must be in (0, 1]"),
        (["--top-k", "0"], "--top-k must be at least 1"),
        (["--map", "sku=customer_id", "--map", "order_id=nope"], "has no column 'nope'"),
    ],
)
def test_baskets_bad_input_is_one_line_and_exit_code_2(
    orders_csv: Path, args: list[str], message: str
) -> None:
    assert message in invoke_error(["baskets", str(orders_csv), *args])


def test_baskets_name_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("order,sku\no1,A\n")
    line = invoke_error(["baskets", str(path)])
    assert "baskets needs column 'order_id', and lines.csv has none" in line

"""`storeloop analyze report`: the weekly review of an export or of the store, on either engine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from storeloop.analytics.cli import analyze_app
from storeloop.analytics.review_html import HTML_NAME
from tests.analytics.exports import write_export

runner = CliRunner()
SAME_ON_BOTH_ENGINES = (
    "kpis_weekly",
    "kpis_daily",
    "cohorts",
    "segments",
    "abc_xyz",
    "basket_rules",
)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("export") / "orders_export.csv")


def report(args: list[str], env: dict[str, str] | None = None) -> tuple[str, str]:
    result = runner.invoke(analyze_app, ["report", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_an_export_gets_the_review_it_can_have_and_says_what_it_skipped(
    export: Path, tmp_path: Path
) -> None:
    out = tmp_path / "review"
    stdout, stderr = report([str(export), "--out", str(out)])
    assert f"wrote {out / HTML_NAME}" in stdout
    assert (out / HTML_NAME).stat().st_size > 1_000_000  # plotly.js is inlined
    for skipped in ("funnel", "funnel_by_device", "persona_preferences", "kpis_weekly_by_category"):
        assert f"note: {skipped}: skipped: an order export has no" in stderr
        assert not (out / f"{skipped}.csv").exists()
    assert "note: kpis: uv, paying_visitors, conversion_rate empty" in stderr
    weekly = pd.read_csv(out / "kpis_weekly.csv")
    assert len(weekly) == 12 and weekly["uv"].isna().all() and weekly["orders"].sum() > 300
    assert weekly["returned_units"].sum() > 0 and weekly["refund_amount"].isna().all()
    rules = pd.read_csv(out / "basket_rules.csv")
    assert ("CASE-1", "FILM-1") in set(zip(rules["antecedents"], rules["consequents"], strict=True))
    assert set(pd.read_csv(out / "kpis_weekly_by_channel.csv")["channel"]) == {
        "search", "ads", "social"
    }  # fmt: skip
    assert len(pd.read_csv(out / "clv.csv")) == pd.read_csv(export)["customer_id"].nunique()


def test_the_store_database_gets_the_whole_review(seeded_url: str, tmp_path: Path) -> None:
    out = tmp_path / "review"
    # The store comes from STORELOOP_DATABASE_URL, as for every store command.
    _, stderr = report(
        ["--store", "--out", str(out), "--weeks", "4"], env={"STORELOOP_DATABASE_URL": seeded_url}
    )
    assert "skipped" not in stderr
    assert "Weekly review · 2026-10-26 – 2026-11-22" in (out / HTML_NAME).read_text("utf-8")
    funnel = pd.read_csv(out / "funnel.csv")
    assert list(funnel["event"]) == [
        "visit", "product_view", "add_to_cart", "checkout_start", "payment"
    ]  # fmt: skip
    assert funnel["visitors"].is_monotonic_decreasing and funnel["visitors"].iloc[-1] > 0
    assert len(pd.read_csv(out / "persona_preferences.csv")) > 0
    assert pd.read_csv(out / "kpis_weekly.csv")["uv"].gt(0).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x"], "give export FILEs or --store, not both and not neither"),
        (["EXPORT", "--store", "--out", "x"], "give export FILEs or --store"),
        (["EXPORT"], "--out is required"),
        (["EXPORT", "--out", "x", "--engine", "polars"], "--engine must be one of duckdb, spark"),
        (["EXPORT", "--out", "x", "--weeks", "0"], "--weeks must be at least 1"),
        (["EXPORT", "--out", "x", "--end", "2024-13-01"], "--end must be a date"),
        (["EXPORT", "--out", "x", "--map", "amount=Totl"], "no column 'Totl'"),
        (["--store", "--database-url", "sqlite:///nope.db", "--out", "x"], "no SQLite store"),
    ],
)
def test_bad_options_are_one_line_and_exit_code_2(
    export: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [str(export) if arg == "EXPORT" else arg for arg in args]
    result = runner.invoke(analyze_app, ["report", *args])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line


def test_a_bad_cell_names_its_column_and_row(tmp_path: Path) -> None:
    path = tmp_path / "orders_export.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,amount\n#1,c1,2024-03-04,25.00\n#2,c2,2024-03-05,¥25.00\n"
    )
    result = runner.invoke(analyze_app, ["report", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: column 'amount' (file column 'amount') at row 3 of orders_export.csv: "
        "'¥25.00' is not a decimal number such as 1299.50"
    )


def test_an_export_without_a_customer_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "orders_export.csv"
    path.write_text("order_id,ordered_at,amount\n#1,2024-03-04,25.00\n")
    result = runner.invoke(analyze_app, ["report", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "the report needs column 'customer_id', and orders_export.csv has none" in result.stderr


@pytest.mark.spark
def test_spark_gives_the_review_duckdb_gives(spark, export: Path, tmp_path: Path) -> None:
    """One code path: the same export reviewed on both engines, and its CLV fitted on both."""
    outs = {engine: tmp_path / engine for engine in ("duckdb", "spark")}
    for engine, out in outs.items():
        report([str(export), "--out", str(out), "--engine", engine, "--weeks", "8"])
    for name in SAME_ON_BOTH_ENGINES:
        pd.testing.assert_frame_equal(
            pd.read_csv(outs["duckdb"] / f"{name}.csv"),
            pd.read_csv(outs["spark"] / f"{name}.csv"),
            rtol=1e-12,
            obj=name,
        )
    clv = {engine: pd.read_csv(out / "clv.csv") for engine, out in outs.items()}
    summaries = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    pd.testing.assert_frame_equal(clv["duckdb"][summaries], clv["spark"][summaries], rtol=1e-12)
    # The optimiser stops within its tolerance of the optimum, and the engines' sums differ in
    # the last bits: the predictions agree to that tolerance, not to 1e-12.
    pd.testing.assert_frame_equal(clv["duckdb"], clv["spark"], rtol=1e-6)

    params = {}
    for engine in outs:
        result = runner.invoke(
            analyze_app,
            ["clv", str(export), "--calibration-end", "2024-06-23", "--params", "--engine", engine],
        )
        assert result.exit_code == 0, result.output
        params[engine] = json.loads(result.stdout.splitlines()[0])
    for model, values in params["duckdb"].items():
        assert values == pytest.approx(params["spark"][model], rel=1e-6), model

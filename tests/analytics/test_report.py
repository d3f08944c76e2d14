from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storeloop.analytics import clv
from storeloop.analytics.clv import prediction_schema
from storeloop.analytics.report import (
    ANOMALY_SCHEMA,
    NOTES_SCHEMA,
    weekly_review,
    write_review,
)
from tests.analytics.hand_store import HandStore, random_store


def test_weekly_review_tables_and_files(con, tmp_path: Path) -> None:
    review = weekly_review(random_store().tables(con), end=date(2024, 6, 23), weeks=2)
    assert set(review) == {
        "kpis_weekly",
        "kpis_daily",
        "kpis_weekly_by_channel",
        "kpis_weekly_by_category",
        "kpis_weekly_by_region",
        "cohorts",
        "segments",
        "persona_preferences",
        "abc_xyz",
        "basket_rules",
        "funnel",
        "funnel_by_channel",
        "funnel_by_device",
        "anomaly_scores",
        "anomalies",
        "clv",
        "notes",
    }
    # The two whole weeks ending on Sunday 23 June; the shop opened on 3 June.
    assert review["kpis_weekly"]["period"].to_pylist() == [date(2024, 6, 10), date(2024, 6, 17)]
    assert len(review["kpis_daily"]) == 14
    assert min(review["anomaly_scores"]["day"].to_pylist()) == date(2024, 6, 10)
    assert review["anomalies"].schema == ANOMALY_SCHEMA
    # Segments and customer value cover everyone who bought by the end.
    assert review["clv"].schema == prediction_schema(pa.int64()) and len(review["notes"]) == 0
    customers = len(review["clv"])
    assert sum(review["segments"]["customers"].to_pylist()) == customers > 20
    assert review["funnel"]["visitors"][0].as_py() > review["funnel"]["visitors"][4].as_py() > 0

    written = write_review(review, tmp_path / "review")
    assert len(written) == 2 * len(review)
    assert pq.read_table(tmp_path / "review" / "abc_xyz.parquet").equals(review["abc_xyz"])
    header = (tmp_path / "review" / "segments.csv").read_text().splitlines()[0]
    assert header.replace('"', "").split(",")[:2] == ["segment", "customers"]


def test_a_refused_model_leaves_a_note_not_a_failure(con, monkeypatch) -> None:
    def refuse(_summaries):
        raise ValueError("BG/NBD: not enough history")

    monkeypatch.setattr(clv, "fit_clv", refuse)  # as the review calls it
    review = weekly_review(random_store().tables(con), end=date(2024, 6, 23), weeks=1)
    assert review["clv"].schema == prediction_schema(pa.int64()) and len(review["clv"]) == 0
    assert review["notes"].schema == NOTES_SCHEMA
    assert review["notes"].to_pylist() == [{"table": "clv", "note": "BG/NBD: not enough history"}]


def test_weeks_must_be_positive(con) -> None:
    with pytest.raises(ValueError, match="weeks"):
        weekly_review(random_store().tables(con), end=date(2024, 6, 23), weeks=0)


def test_basket_rules_need_a_share_and_a_count_of_orders(con) -> None:
    """300 orders: a case with its film in 12, a mug with its coaster in 3. Both pairs clear
    the 0.2% share; only the first is bought together often enough to be a rule."""
    store = HandStore()
    start = datetime(2024, 6, 3, 10)
    pairs = [("CASE-1", "FILM-1")] * 12 + [("MUG-1", "COASTER-1")] * 3
    for number in range(1, 301):
        at = start + timedelta(hours=number)
        picked = pairs[number - 1] if number <= len(pairs) else (f"MISC-{number % 40}",)
        store.order(number, number % 50 + 1, at, [(sku, 1, 20.0) for sku in picked])
    rules = weekly_review(store.tables(con), end=date(2024, 6, 23), weeks=3)["basket_rules"]
    found = set(
        zip(rules["antecedents"].to_pylist(), rules["consequents"].to_pylist(), strict=True)
    )
    assert found == {("CASE-1", "FILM-1"), ("FILM-1", "CASE-1")}
    # With a floor of 3 orders the mug and its coaster are a rule too.
    rules = weekly_review(store.tables(con), end=date(2024, 6, 23), weeks=3, min_rule_orders=3)[
        "basket_rules"
    ]
    assert ("MUG-1", "COASTER-1") in set(
        zip(rules["antecedents"].to_pylist(), rules["consequents"].to_pylist(), strict=True)
    )

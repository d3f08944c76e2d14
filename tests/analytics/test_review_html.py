"""The weekly review page: one self-contained file, a figure per section, tables beside it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from plotly.offline import get_plotlyjs

from storeloop.analytics.report import weekly_review
from storeloop.analytics.review_html import HTML_NAME, SECTIONS, write_review_html
from tests.analytics.hand_store import random_store

REMOTE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//")
END = date(2024, 6, 23)


@pytest.fixture(scope="module")
def review() -> dict[str, pa.Table]:
    """Two weeks of the hand store's review, computed once for these tests."""
    return weekly_review(random_store().tables(ibis.duckdb.connect()), end=END, weeks=2)


def test_the_page_is_self_contained_with_a_figure_per_section(review, tmp_path: Path) -> None:
    page_path = write_review_html(review, tmp_path, end=END, weeks=2, source="hand store")
    assert page_path == tmp_path / HTML_NAME
    page = page_path.read_text(encoding="utf-8")
    assert REMOTE.search(page) is None  # nothing fetched from a network: it opens offline
    assert get_plotlyjs() in page  # the whole plotly.js bundle, inlined once
    assert page.count(get_plotlyjs()[:200]) == 1
    figures = re.findall(r'<div id="figure-([a-z_]+)" class="plotly-graph-div"', page)
    assert figures == [section.key for section in SECTIONS]
    for heading in ("KPI 趋势与异常 / KPI trends and anomalies", "同期群留存 / Cohort retention"):
        assert f"<h2>{heading}</h2>" in page
    assert 'href="segments.csv"' in page and 'href="segments.parquet"' in page


def test_every_table_is_written_as_csv_and_parquet_with_the_same_rows(
    review, tmp_path: Path
) -> None:
    write_review_html(review, tmp_path, end=END, weeks=2, source="hand store")
    for name, table in review.items():
        from_csv = pacsv.read_csv(tmp_path / f"{name}.csv")
        from_parquet = pq.read_table(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(from_parquet.to_pandas(), table.to_pandas(), obj=name)
        assert from_csv.column_names == table.column_names, name
        assert from_csv.num_rows == table.num_rows, name
    segments = pacsv.read_csv(tmp_path / "segments.csv").to_pylist()
    assert [(row["segment"], row["customers"]) for row in segments] == [
        (row["segment"], row["customers"]) for row in review["segments"].to_pylist()
    ]


def test_a_skipped_analysis_says_why_instead_of_a_figure(review, tmp_path: Path) -> None:
    notes = pa.Table.from_pylist(
        [{"table": "funnel", "note": "skipped: no events here"}], schema=review["notes"].schema
    )
    without_funnel = {name: t for name, t in review.items() if name != "funnel"} | {"notes": notes}
    page = write_review_html(without_funnel, tmp_path, end=END, weeks=2, source="x").read_text(
        encoding="utf-8"
    )
    assert 'id="figure-funnel"' not in page
    assert "Not produced — skipped: no events here" in page

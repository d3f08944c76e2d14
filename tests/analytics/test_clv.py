from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from storeloop.analytics.bgnbd import BgNbd, fit_bgnbd
from storeloop.analytics.canonical import load_transactions
from storeloop.analytics.clv import customer_summaries, fit_and_predict, fit_clv, predict_clv
from storeloop.analytics.gamma_gamma import GammaGamma, fit_gamma_gamma
from tests.analytics.conftest import CDNOW_DIR, CDNOW_MAP

# 2024-01-01 is a Monday.
HAND = pd.DataFrame(
    [
        ("a", datetime(2024, 1, 1, 9), 10.0),
        ("a", datetime(2024, 1, 1, 18), 5.0),  # same day as the first: one purchase of 15
        ("a", datetime(2024, 1, 4, 12), 20.0),
        ("a", datetime(2024, 1, 11, 8), 30.0),
        ("a", datetime(2024, 1, 16, 8), 99.0),  # after the calibration end: holdout
        ("b", datetime(2024, 1, 8, 23, 59), 40.0),
        ("c", datetime(2024, 1, 20), 7.0),  # first purchase after the end: not a customer yet
    ],
    columns=["customer_id", "ordered_at", "amount"],
)
END = date(2024, 1, 15)


def summaries_of(con, frame: pd.DataFrame, **options) -> dict[str, tuple]:
    table = con.create_table("hand", frame, overwrite=True)
    result = customer_summaries(table, **options).to_pyarrow().to_pylist()
    return {
        row["customer_id"]: (row["frequency"], row["recency"], row["T"], row["monetary_value"])
        for row in result
    }


def test_summaries_by_day(con) -> None:
    got = summaries_of(con, HAND, calibration_end=END, time_unit="day")
    # a: purchase days 0, 3, 10 → x = 2, t_x = 10, T = 14, repeat totals 20 and 30.
    assert got == {"a": (2, 10.0, 14.0, 25.0), "b": (0, 0.0, 7.0, 0.0)}


def test_summaries_by_day_measured_in_weeks(con) -> None:
    got = summaries_of(con, HAND, calibration_end=END, time_unit="week")
    assert got == {"a": (2, 10 / 7, 2.0, 25.0), "b": (0, 0.0, 1.0, 0.0)}


def test_summaries_by_calendar_week(con) -> None:
    got = summaries_of(con, HAND, calibration_end=END, time_unit="week", period="week")
    # a: weeks of Jan 1 (15 + 20) and Jan 8 (30); the end falls in the week of Jan 15.
    assert got == {"a": (1, 1.0, 2.0, 30.0), "b": (0, 0.0, 1.0, 0.0)}


def test_a_period_longer_than_the_unit_is_refused(con) -> None:
    table = con.create_table("hand", HAND, overwrite=True)
    with pytest.raises(ValueError, match="period cannot be longer"):
        customer_summaries(table, calibration_end=END, time_unit="day", period="week")


def lifetimes_summaries(frame: pd.DataFrame, end: date, **options) -> pd.DataFrame:
    return summary_data_from_transaction_data(
        frame,
        "customer_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(end),
        **options,
    ).sort_index()


def assert_same_summaries(ours, theirs: pd.DataFrame) -> None:
    ours = ours.to_pandas().set_index("customer_id").sort_index()
    assert list(ours.index) == list(theirs.index)
    columns = ["frequency", "recency", "T", "monetary_value"]
    np.testing.assert_allclose(ours[columns].to_numpy(), theirs[columns].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("options", "lifetimes_options"),
    [
        ({"time_unit": "day"}, {"freq": "D"}),
        ({"time_unit": "week"}, {"freq": "D", "freq_multiplier": 7}),
        ({"time_unit": "week", "period": "week"}, {"freq": "W"}),
    ],
)
def test_summaries_equal_lifetimes_on_generated_transactions(
    con, options: dict, lifetimes_options: dict
) -> None:
    rng = np.random.default_rng(7)
    n = 4000
    frame = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 600, n).astype(str),
            "ordered_at": pd.Timestamp("2023-01-02")
            + pd.to_timedelta(rng.integers(0, 400 * 24 * 60, n), unit="min"),
            "amount": rng.integers(100, 50000, n) / 100,
        }
    )
    end = date(2023, 12, 31)  # a Sunday: lifetimes' weeks then end with the calibration period
    ours = customer_summaries(con.create_table("generated", frame), calibration_end=end, **options)
    assert_same_summaries(ours, lifetimes_summaries(frame, end, **lifetimes_options))


def test_cdnow_summaries_from_the_export_equal_lifetimes_and_the_published_file(
    con, cdnow_raw: pd.DataFrame, cdnow_csv
) -> None:
    transactions = load_transactions([cdnow_csv], CDNOW_MAP, con)
    ours = customer_summaries(
        transactions.table, calibration_end=date(1997, 9, 30), time_unit="week"
    )
    frame = cdnow_raw.rename(
        columns={"customer": "customer_id", "date": "ordered_at", "dollars": "amount"}
    ).astype({"amount": float})
    theirs = lifetimes_summaries(frame, date(1997, 9, 30), freq="D", freq_multiplier=7)
    assert_same_summaries(ours, theirs)
    published = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv")
    ours_frame = ours.to_pandas().astype({"customer_id": int}).set_index("customer_id")
    ours_frame = ours_frame.sort_index()
    np.testing.assert_array_equal(ours_frame["frequency"], published["x"])
    np.testing.assert_allclose(ours_frame["recency"], published["t_x"], atol=0.005)
    np.testing.assert_allclose(ours_frame["T"], published["T"], atol=0.005)
    np.testing.assert_allclose(ours_frame["monetary_value"], published["zbar"], atol=0.005)


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


def test_cdnow_fit_from_raw_transactions_reproduces_the_published_parameters(
    con, cdnow_csv
) -> None:
    transactions = load_transactions([cdnow_csv], CDNOW_MAP, con)
    summaries = customer_summaries(
        transactions.table, calibration_end=date(1997, 9, 30), time_unit="week"
    )
    model = fit_clv(summaries)
    bg, gg = model.bgnbd, model.gamma_gamma
    assert [sig3(v) for v in (bg.r, bg.alpha, bg.a, bg.b)] == [0.243, 4.41, 0.793, 2.43]
    assert round(bg.loglik, 1) == -9582.4  # Fader, Hardie & Lee (2005), section 5
    assert [sig3(v) for v in (gg.p, gg.q, gg.v)] == [6.25, 3.74, 15.4]
    assert model.parameters()["bgnbd"]["loglik"] == bg.loglik


def test_cdnow_fit_from_the_summary_file_reproduces_the_published_parameters() -> None:
    summary = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv")
    bg = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    assert [round(v, 3) for v in (bg.r, bg.alpha, bg.a, bg.b)] == [0.243, 4.414, 0.793, 2.426]
    gg = fit_gamma_gamma(summary["x"], summary["zbar"])
    assert [round(v, 2) for v in (gg.p, gg.q, gg.v)] == [6.25, 3.74, 15.45]


def test_fits_equal_lifetimes_fits() -> None:
    summary = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv")
    ours = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    theirs = BetaGeoFitter().fit(summary["x"], summary["t_x"], summary["T"]).params_
    np.testing.assert_allclose(
        [ours.r, ours.alpha, ours.a, ours.b], theirs[["r", "alpha", "a", "b"]], rtol=1e-4
    )
    repeat = summary[summary["x"] > 0]
    ours_gg = fit_gamma_gamma(summary["x"], summary["zbar"])
    theirs_gg = GammaGammaFitter().fit(repeat["x"], repeat["zbar"]).params_
    np.testing.assert_allclose([ours_gg.p, ours_gg.q, ours_gg.v], theirs_gg, rtol=1e-6)


def test_predictions_equal_lifetimes_formulas_at_the_same_parameters() -> None:
    summary = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv")
    # Heavy buyers too, where the hypergeometric series needs Euler's transformation.
    extra = pd.DataFrame({"x": [60, 150], "t_x": [38.0, 38.5], "T": [38.86, 38.86], "zbar": 9})
    summary = pd.concat([summary, extra], ignore_index=True)
    x, t_x, age, m = summary["x"], summary["t_x"], summary["T"], summary["zbar"]
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    ours = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, loglik=0.0)
    np.testing.assert_allclose(
        ours.probability_alive(x, t_x, age),
        fitter.conditional_probability_alive(x, t_x, age),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        ours.expected_purchases(39, x, t_x, age),
        fitter.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, age),
        rtol=1e-10,
    )
    spender = GammaGammaFitter()
    spender.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    np.testing.assert_allclose(
        GammaGamma(p=6.25, q=3.74, v=15.44, loglik=0.0).expected_average_spend(x, m),
        spender.conditional_expected_average_profit(x, m),
        rtol=1e-12,
    )


def test_counting_identical_summaries_gives_the_same_fit() -> None:
    summary = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary.csv")
    counted = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
    assert len(counted) < len(summary)
    one_each = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    weighted = fit_bgnbd(counted["frequency"], counted["recency"], counted["T"], counted["n"])
    np.testing.assert_allclose(
        [weighted.r, weighted.alpha, weighted.a, weighted.b, weighted.loglik],
        [one_each.r, one_each.alpha, one_each.a, one_each.b, one_each.loglik],
        rtol=1e-6,
    )


def test_without_repeat_purchases_there_is_nothing_to_fit() -> None:
    with pytest.raises(ValueError, match="at least one customer with a repeat purchase"):
        fit_bgnbd([0, 0], [0, 0], [5, 9])
    with pytest.raises(ValueError, match="paid repeat purchase"):
        fit_gamma_gamma([0, 2], [0, 0])


def test_predictions_are_per_customer_in_customer_order(con) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in rng.zipf(1.6, n) % 400],
            "ordered_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "amount": np.round(rng.gamma(4, 30, n), 2),
        }
    )
    summaries = customer_summaries(
        con.create_table("t", frame), calibration_end=date(2024, 9, 1), time_unit="week"
    )
    table = predict_clv(summaries, fit_clv(summaries), horizon=13).to_pandas()
    customers = frame.loc[frame["ordered_at"] <= "2024-09-01", "customer_id"].unique()
    assert table["customer_id"].tolist() == sorted(customers)
    assert table["probability_alive"].between(0, 1).all()
    # This fit has a + b < 1, where the hypergeometric series of a one-off buyer is negative.
    assert (table["expected_purchases"] >= 0).all()
    np.testing.assert_allclose(
        table["expected_value"], table["expected_purchases"] * table["expected_average_spend"]
    )


def test_a_likelihood_rising_towards_infinite_parameters_is_an_error(con) -> None:
    """Clockwork customers whose every repeat purchase costs more than the last."""
    frame = pd.DataFrame(
        [
            (f"c{i:02d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=day), 10.0 + day)
            for i in range(30)
            for day in range(0, 60, 3 + i % 7)
        ],
        columns=["customer_id", "ordered_at", "amount"],
    )
    summaries = customer_summaries(con.create_table("t", frame), calibration_end=date(2024, 3, 1))
    with pytest.raises(ValueError, match="Gamma-Gamma maximum likelihood did not converge"):
        fit_clv(summaries)


def test_one_purchase_rate_for_everybody_is_refused(con) -> None:
    """Customers who buy like clockwork: r and α grow without bound, their ratio fixed."""
    rows = []
    for customer in range(40):
        for visit in range(customer % 5 + 1):
            day = 1 + (customer * 7 + visit * (customer % 9 + 3)) % 28
            month = 1 + visit * (customer % 3 + 1) % 6
            rows.append((f"c{customer}", pd.Timestamp(2024, month, day), 10.0))
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    summaries = customer_summaries(con.create_table("t", frame), calibration_end=date(2024, 7, 1))
    with pytest.raises(ValueError, match=r"BG/NBD: purchase rates do not differ enough"):
        fit_clv(summaries)


def test_fit_and_predict_holds_the_summaries_once_and_equals_the_two_steps(con, cdnow_csv) -> None:
    transactions = load_transactions([cdnow_csv], CDNOW_MAP, con)
    summaries = customer_summaries(
        transactions.table, calibration_end=date(1997, 9, 30), time_unit="week"
    )
    model, predictions = fit_and_predict(summaries, horizon=39)
    # The engine hands the distinct rows over in any order, and the sums follow it in the last
    # bits: the two fits agree to the optimiser's tolerance, not bit for bit.
    two_steps = fit_clv(summaries)
    for name, values in model.parameters().items():
        assert values == pytest.approx(two_steps.parameters()[name], rel=1e-6)
    expected = predict_clv(summaries, model, horizon=39)
    assert predictions.equals(expected)
    assert predictions.num_rows == 2357


def test_the_likelihoods_do_not_depend_on_how_rows_are_grouped() -> None:
    """The fits weigh distinct rows by their customers: the same customers one row each, or
    as counted rows, give the same parameters."""
    summary = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv")
    counted = summary.groupby(["x", "t_x", "T"]).size().reset_index(name="n")
    one_each = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    grouped = fit_bgnbd(counted["x"], counted["t_x"], counted["T"], counted["n"])
    np.testing.assert_allclose(
        [one_each.r, one_each.alpha, one_each.a, one_each.b],
        [grouped.r, grouped.alpha, grouped.a, grouped.b],
        rtol=1e-6,
    )
    assert grouped.loglik == pytest.approx(one_each.loglik, rel=1e-12)

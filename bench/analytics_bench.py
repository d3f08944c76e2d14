"""The analytics engine against the pandas tools an analyst uses today, on the same generated store.

    .venv/bin/python bench/analytics_bench.py [--customers N --days N --seed N] [--data DIR]
        [--only clv,baskets,rfm,store,review,events] [--repeat N] [--min-support S ...]
        [--skip-peers] [--skip-events] [--peer-timeout SECONDS] [--peer-memory GIB]
        [--duckdb-memory SIZE] [--threads N] [--markdown FILE]

The store comes from the demo generator (``storeloop.demo``) and is written to Parquet once, in
a directory under /tmp keyed by its configuration, and reused by later runs. The default
(1,500,000 customers over 2,480 days, seed 42) gives about 10.2 million order lines, 9.5 million
of them in paid orders; the generator's customers buy about four times each, so a million
customers alone would give only 6.8 million lines. The event stream is not written for this
store (it would be about 380 million rows); the steps that need events (visitor KPIs, funnel)
run on the large preset, which ``seed_store`` writes with its events, halved until they
complete.

Every step runs in its own subprocess, so its peak memory (ru_maxrss) is its own and a crash
ends only that step. Each worker imports pandas, PyArrow, SciPy and Ibis/DuckDB before its first
timer (``warm_imports``), so no timed step pays for an import, on either side.

- ours: CLV (``customer_summaries`` + ``fit_and_predict``, then step by step), association
  rules and "bought together", RFM segments, and the store analyses without a peer (KPIs,
  cohorts, ABC × XYZ, personas, anomalies, funnel) and the whole weekly review
  (``report.weekly_review`` with its files);
- theirs: lifetimes (``summary_data_from_transaction_data``, ``BetaGeoFitter``,
  ``GammaGammaFitter`` and its predictions), mlxtend (``TransactionEncoder`` one-hot,
  ``apriori(max_len=3)``, ``association_rules``; by default and with ``low_memory=True``) and a
  pandas groupby RFM written to the same definitions as ours.

Ours runs twice for each peer, and each is compared with the same peer run:

- **compute only, on the same in-memory data** (``ours-*-memory``): ours gets the very rows the
  peer works on, read by the peer's own pandas code (paid orders: integer ids, shop-clock
  time, integer fen; or paid lines: order id, SKU code), handed to DuckDB as Arrow. Reading
  them and the hand-over are timed but left out of both sides' compute time; mlxtend's
  one-hot table and basket lists are left out of its compute time too (they are its input);
- **from the Parquet store, loading included for both** (``ours-*``): ours through
  ``read_store_parquet`` (DuckDB views over the files, so the reading is inside the analysis),
  the peer from its pandas reading of the same files.

A peer runs under a memory limit (RLIMIT_AS) and a time limit. When it fails, it is run again on
a store of half the customers (customer_id % 2^k == 0, every table cut to match), then a
quarter, … until it completes; ours runs on that same smaller store too, so each ratio and
equality check compares equal inputs. Results must be equal, or the run exits with status 1
after printing the table: CLV parameters to 3 significant figures, the summaries exactly
(recency and T to 1e-9, the mean amount to 1e-9 relative), the predictions to
``PREDICTION_RTOL``; rules as identical sets with support, confidence and lift to
``RULE_ATOL``; RFM scores, segments and flags per customer, exactly. Figures go to
docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from storeloop.demo.seed import PRESETS, SeedConfig

DEFAULT_ROOT = Path(tempfile.gettempdir()) / "storeloop-analytics-bench"
DEFAULT_CUSTOMERS = 1_500_000
DEFAULT_DAYS = 2_480
"""The generator knows the Chinese New Year from 2020 on, so about 6.8 years is the longest
history ending on its default end date."""
END: date = SeedConfig().end_date
"""The generator's last day of history: the RFM ``as_of`` and the CLV calibration end."""
HORIZON_WEEKS = 52.0
MIN_SUPPORTS = (0.0005, 0.00005)
"""The first is the issue's range; the second is low enough for frequent triples to exist."""
MIN_CONFIDENCE = 0.1
SHOP_TIMEZONE = "Asia/Shanghai"
STORE_TABLES = ("orders", "order_lines", "customers", "skus", "products", "categories", "returns")
"""The tables a subset store needs: those ``read_store_parquet`` reads, events excepted."""
MAX_HALVINGS = 10
PREDICTION_RTOL = 1e-5
"""CLV predictions: the two fits stop within their tolerances of the same optimum (parameters
agree to 3 significant figures, in practice to about 1e-6), and the predictions follow."""
RULE_ATOL = 1e-9
"""Rules: identical sets; support, confidence and lift within this (absolute)."""


# --------------------------------------------------------------------------------------------
# Data: the generated store, cached under /tmp, and its customer subsets.


def store_directory(root: Path, config: SeedConfig, events: bool) -> Path:
    suffix = "-events" if events else ""
    return root / f"store-c{config.customers}-d{config.days}-s{config.seed}{suffix}"


def ensure_store(root: Path, config: SeedConfig, *, events: bool) -> tuple[Path, dict[str, Any]]:
    """Generate the store once; a directory without its completion marker is generated again.

    With events the whole of ``seed_store`` runs (it writes the event stream to Parquet);
    without, the same generator and Parquet writer for every table but the events — the
    rows are the same either way, each part of the store having its own random stream.
    """
    directory = store_directory(root, config, events)
    marker = directory / "_complete.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if "paid_lines" not in info:
            info |= paid_counts(directory)
            marker.write_text(json.dumps(info, indent=1))
        return directory, info
    if directory.exists():
        shutil.rmtree(directory)
    clock = time.perf_counter()
    if events:
        from storeloop.demo.seed import seed_store

        rows = seed_store(None, config, parquet_dir=directory, progress=False).rows
    else:
        from storeloop.demo.generate import TABLES, generate_store
        from storeloop.demo.load import ParquetSink

        store = generate_store(config)
        sink = ParquetSink(directory)
        rows = {}
        for name in TABLES:
            sink.write(name, store.tables[name])
            rows[name] = store.tables[name].num_rows
        sink.close()
        del store
    info = {"rows": rows, "seconds": time.perf_counter() - clock, "config": config_text(config)}
    info |= paid_counts(directory)
    marker.write_text(json.dumps(info, indent=1))
    return directory, info


def config_text(config: SeedConfig) -> str:
    return f"{config.customers:,} customers, {config.days:,} days, seed {config.seed}"


def paid_counts(directory: Path) -> dict[str, int]:
    """Rows the analyses see: paid orders, their lines and the customers who bought."""
    import duckdb

    orders, lines = directory / "orders.parquet", directory / "order_lines.parquet"
    con = duckdb.connect()
    paid_orders, buyers = con.execute(
        f"SELECT count(*), count(DISTINCT customer_id) FROM '{orders}' WHERE paid_at IS NOT NULL"
    ).fetchone()
    (paid_lines,) = con.execute(
        f"SELECT count(*) FROM '{lines}' WHERE order_id IN "
        f"(SELECT id FROM '{orders}' WHERE paid_at IS NOT NULL)"
    ).fetchone()
    return {"paid_orders": paid_orders, "paid_lines": paid_lines, "buyers": buyers}


def subset_store(directory: Path, divisor: int) -> Path:
    """The customers whose id is a multiple of ``divisor``, with their orders, lines and returns;
    the catalogue whole. Written once next to the store."""
    if divisor == 1:
        return directory
    target = directory / f"subset-{divisor}"
    marker = target / "_complete.json"
    if marker.exists():
        return target
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    target.mkdir(exist_ok=True)
    kept = {}
    customers = pq.read_table(directory / "customers.parquet")
    kept["customers"] = customers.filter(_multiple(customers["id"], divisor))
    orders = pq.read_table(directory / "orders.parquet")
    kept["orders"] = orders.filter(_multiple(orders["customer_id"], divisor))
    lines = pq.read_table(directory / "order_lines.parquet")
    kept["order_lines"] = lines.filter(pc.is_in(lines["order_id"], kept["orders"]["id"]))
    returns = pq.read_table(directory / "returns.parquet")
    kept["returns"] = returns.filter(pc.is_in(returns["order_id"], kept["orders"]["id"]))
    for name in STORE_TABLES:
        if name in kept:
            pq.write_table(kept[name], target / f"{name}.parquet")
        else:
            shutil.copyfile(directory / f"{name}.parquet", target / f"{name}.parquet")
    marker.write_text(json.dumps(paid_counts(target)))
    return target


def _multiple(ids: Any, divisor: int) -> Any:
    import pyarrow as pa

    return pa.array(ids.to_numpy() % divisor == 0)


# --------------------------------------------------------------------------------------------
# Workers: each runs in its own process and writes result.json (+ its result tables) to --out.


STEP = "step: "
"""A worker prints this before each timed step, so a killed worker's log names the step."""


class Timer:
    """Named wall-clock seconds, in the order the steps ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        print(f"{STEP}{name}", flush=True)
        clock = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - clock


def _duckdb(threads: int | None, memory: str) -> Any:
    import ibis

    options: dict[str, Any] = {"memory_limit": memory}
    if threads:
        options["threads"] = threads
    return ibis.duckdb.connect(**options)


def warm_imports() -> None:
    """Import what either side uses before any timer starts, so no step pays for an import.

    pandas (which ``pyarrow.dataset`` also imports), PyArrow's Parquet reader, SciPy's
    optimiser, Ibis with its DuckDB backend: about 2 s on this machine, the same for both
    sides, and no part of either tool's work on the data.
    """
    import duckdb  # noqa: F401
    import ibis
    import pandas  # noqa: F401
    import pyarrow.dataset
    import pyarrow.parquet  # noqa: F401
    import scipy.optimize
    import scipy.special  # noqa: F401

    ibis.duckdb.connect().disconnect()


def _store_tables(args: argparse.Namespace, timer: Timer) -> tuple[Any, Any]:
    """The store tables as every analysis reads them, and the DuckDB connection holding them.

    ``read_store_parquet`` reads nothing itself on DuckDB: each query reads the columns it
    needs from the files, so the reading is inside each analysis's time, not in "load".
    """
    from storeloop.analytics.store import read_store_parquet

    data, con = args.data, _duckdb(args.threads, args.duckdb_memory)
    with timer("load"):
        return read_store_parquet(data, con), con


def _memory_orders(args: argparse.Namespace, timer: Timer) -> tuple[Any, Any]:
    """The peers' in-memory paid orders (:func:`_pandas_orders`, the same rows and types), as a
    DuckDB table: integer customer_id, ordered_at on the shop clock, and the amount in exact
    decimal yuan from the integer fen (as the store loader gives it)."""
    import pyarrow as pa

    from storeloop.analytics.store import _money

    con = _duckdb(args.threads, args.duckdb_memory)
    with timer("load"):
        frame = _pandas_orders(args.data)
    with timer("to_arrow"):
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        held = con.create_table("orders", arrow)
        orders = held.select("customer_id", "ordered_at", amount=_money(held.fen))
    return orders, con


def worker_ours_clv(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from storeloop.analytics.bgnbd import fit_bgnbd
    from storeloop.analytics.clv import customer_summaries, fit_and_predict
    from storeloop.analytics.gamma_gamma import fit_gamma_gamma

    if args.source == "memory":
        orders, _con = _memory_orders(args, timer)
    else:
        tables, _con = _store_tables(args, timer)
        orders = tables.orders
    summaries = customer_summaries(orders, calibration_end=END, time_unit="week", period="day")
    # As `storeloop analyze clv` runs it: summaries computed once and held by the engine while
    # both fits count their distinct rows and the predictions read them.
    with timer("clv"):
        model, predictions = fit_and_predict(summaries, HORIZON_WEEKS)
    pq.write_table(predictions, out / "clv.parquet")
    # Where that time goes, step by step, on a second computation.
    with timer("summaries"):
        held = summaries.cache()
    with timer("fit_bgnbd"):
        bg = held.group_by(["frequency", "recency", "T"]).aggregate(customers=held.count())
        bg = bg.to_pyarrow()
        columns = ("frequency", "recency", "T", "customers")
        bgnbd = fit_bgnbd(*(bg[c].to_numpy().astype(float) for c in columns))
    with timer("fit_gamma_gamma"):
        repeat = held.filter((held.frequency > 0) & (held.monetary_value > 0))
        gg = repeat.group_by(["frequency", "monetary_value"]).aggregate(customers=repeat.count())
        gg = gg.to_pyarrow()
        columns = ("frequency", "monetary_value", "customers")
        gamma_gamma = fit_gamma_gamma(*(gg[c].to_numpy().astype(float) for c in columns))
    with timer("predict"):
        from storeloop.analytics.clv import ClvModel, predict_clv

        predict_clv(held, ClvModel(bgnbd, gamma_gamma), HORIZON_WEEKS)
    return {
        "params": model.parameters(),
        "params_step_by_step": ClvModel(bgnbd, gamma_gamma).parameters(),
        "customers": predictions.num_rows,
        "distinct_bgnbd_rows": bg.num_rows,
        "distinct_gamma_gamma_rows": gg.num_rows,
        "repeat_customers": int(sum(gg["customers"].to_pylist())),
    }


def worker_ours_baskets(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from storeloop.analytics.baskets import RULE_COLUMNS, association_rules, bought_together

    if args.source == "memory":
        con = _duckdb(args.threads, args.duckdb_memory)
        with timer("load"):
            frame = _pandas_lines(args.data)
        with timer("to_arrow"):
            lines = con.create_table("lines", pa.Table.from_pandas(frame, preserve_index=False))
            lines = lines.rename(sku="code")
    else:
        tables, _con = _store_tables(args, timer)
        lines = tables.order_lines
    info: dict[str, Any] = {}
    for support in args.min_support:
        with timer(f"rules@{support:g}"):
            rules = association_rules(lines, min_support=support, min_confidence=MIN_CONFIDENCE)
            rules = rules.select(*RULE_COLUMNS).to_pyarrow()
        pq.write_table(rules, out / f"rules-{support:g}.parquet")
        info[f"rules@{support:g}"] = rules.num_rows
    if args.source != "memory":
        with timer("bought_together"):
            together = bought_together(lines, top_k=5).to_pyarrow()
        info["bought_together_rows"] = together.num_rows
    return info


def worker_ours_rfm(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from storeloop.analytics.segments import rfm

    if args.source == "memory":
        orders, _con = _memory_orders(args, timer)
    else:
        tables, _con = _store_tables(args, timer)
        orders = tables.orders
    with timer("rfm"):
        segments = rfm(orders, as_of=END).to_pyarrow()
    columns = ["customer_id", "r_score", "f_score", "m_score", "segment", "churn_risk"]
    pq.write_table(segments.select([*columns, "dormant", "vip"]), out / "rfm.parquet")
    return {"customers": segments.num_rows}


def worker_ours_store(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    """The analyses without a peer, each on its own so one failure does not hide the others."""
    tables, _con = _store_tables(args, timer)
    info: dict[str, Any] = {"errors": {}}
    steps: list[tuple[str, Callable[[], Any]]] = []
    try:
        from storeloop.analytics.kpis import kpis

        steps += [
            ("kpis_day", lambda: kpis(tables, grain="day").to_pyarrow()),
            *(
                (f"kpis_week_by_{by}", lambda by=by: kpis(tables, grain="week", by=by).to_pyarrow())
                for by in ("channel", "device", "category", "region")
            ),
        ]
    except ImportError as error:
        info["errors"]["kpis"] = f"not importable: {error}"
    try:
        from storeloop.analytics.cohorts import cohorts

        steps.append(("cohorts", lambda: cohorts(tables.orders).to_pyarrow()))
    except ImportError as error:
        info["errors"]["cohorts"] = f"not importable: {error}"
    try:
        from storeloop.analytics.abc_xyz import abc_xyz

        year = END - timedelta(days=364)
        steps.append(("abc_xyz", lambda: abc_xyz(tables.order_lines, start=year, end=END)))
    except ImportError as error:
        info["errors"]["abc_xyz"] = f"not importable: {error}"
    try:
        from storeloop.analytics.personas import persona_preferences

        steps.append(("personas", lambda: persona_preferences(tables, as_of=END).to_pyarrow()))
    except ImportError as error:
        info["errors"]["personas"] = f"not importable: {error}"
    try:
        from storeloop.analytics.anomalies import find_anomalies

        steps.append(("anomalies", lambda: find_anomalies(tables)))
    except ImportError as error:
        info["errors"]["anomalies"] = f"not importable: {error}"
    for name, step in steps:
        try:
            with timer(name):
                result = step()
                if name == "abc_xyz":
                    result = result.to_pyarrow()
            info[name] = _size(result)
        except Exception as error:  # recorded; the other analyses still run
            info["errors"][name] = f"{type(error).__name__}: {error}"[:500]
            timer.seconds.pop(name, None)
    return info


def worker_ours_events(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    """The analyses of the event stream: daily KPIs with visitors, and the funnel."""
    from storeloop.analytics.funnels import funnel
    from storeloop.analytics.kpis import kpis

    tables, _con = _store_tables(args, timer)
    info: dict[str, Any] = {}
    with timer("kpis_day_with_visitors"):
        info["kpis_day_with_visitors"] = kpis(tables, grain="day").to_pyarrow().num_rows
    with timer("funnel"):
        info["funnel"] = funnel(tables.events).to_pyarrow().num_rows
    with timer("funnel_by_device"):
        info["funnel_by_device"] = funnel(tables.events, by=["device"]).to_pyarrow().num_rows
    return info


def worker_ours_review(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    """The whole weekly review (``report.weekly_review``) with its files, as shipped."""
    from storeloop.analytics.report import last_whole_week_end, weekly_review, write_review

    tables, _con = _store_tables(args, timer)
    end = last_whole_week_end(tables)
    with timer("weekly_review"):
        review = weekly_review(tables, end=end)
    with timer("write_review"):
        written = write_review(review, out / "review")
    shutil.rmtree(out / "review", ignore_errors=True)
    return {
        "end": end.isoformat(),
        "tables": {name: table.num_rows for name, table in review.items()},
        "files": len(written),
        "notes": review["notes"].to_pylist() if "notes" in review else [],
    }


def _size(result: Any) -> Any:
    if hasattr(result, "num_rows"):
        return result.num_rows
    if hasattr(result, "anomalies"):
        return {"flagged": len(result.anomalies)}
    return None


def _pandas_orders(data: Path) -> Any:
    """Paid orders as an analyst reads them: the store's integer ids as the file has them,
    shop-clock times, integer fen."""
    import pandas as pd

    orders = pd.read_parquet(
        data / "orders.parquet",
        columns=["id", "customer_id", "total_amount", "placed_at", "paid_at"],
    )
    paid = orders[orders["paid_at"].notna()]
    return pd.DataFrame(
        {
            "order_id": paid["id"].to_numpy(),
            "customer_id": paid["customer_id"].to_numpy(),
            "ordered_at": paid["placed_at"].dt.tz_convert(SHOP_TIMEZONE).dt.tz_localize(None),
            "fen": paid["total_amount"].to_numpy(),
        }
    )


def worker_lifetimes(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    with timer("load"):
        orders = _pandas_orders(args.data)
        orders["amount"] = orders["fen"] / 100
    with timer("summary"):
        summary = summary_data_from_transaction_data(
            orders,
            "customer_id",
            "ordered_at",
            monetary_value_col="amount",
            observation_period_end=pd.Timestamp(END),
            freq="D",
            freq_multiplier=7,
        )
    # Kept (untimed) so a later failure still leaves the steps that completed to compare.
    summary.reset_index().to_parquet(out / "summary.parquet")
    with timer("fit_bgnbd"):
        bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    bg = bgf.params_
    (out / "bgnbd.json").write_text(json.dumps({k: float(bg[k]) for k in ("r", "alpha", "a", "b")}))
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    with timer("fit_gamma_gamma"):
        ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    x, t_x, age, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    with timer("predict"):
        alive = bgf.conditional_probability_alive(x, t_x, age)
        purchases = bgf.conditional_expected_number_of_purchases_up_to_time(
            HORIZON_WEEKS, x, t_x, age
        )
        spend = ggf.conditional_expected_average_profit(x, m)
        value = purchases * spend
    table = summary.assign(
        probability_alive=alive,
        expected_purchases=purchases,
        expected_average_spend=spend,
        expected_value=value,
    ).reset_index()
    table.to_parquet(out / "clv.parquet")
    bg, gg = bgf.params_, ggf.params_
    return {
        "params": {
            "bgnbd": {
                "r": float(bg["r"]),
                "alpha": float(bg["alpha"]),
                "a": float(bg["a"]),
                "b": float(bg["b"]),
                "loglik": float(bgf._negative_log_likelihood_ * -len(summary)),
            },
            "gamma_gamma": {"p": float(gg["p"]), "q": float(gg["q"]), "v": float(gg["v"])},
        },
        "customers": len(summary),
        "transactions": len(orders),
    }


def _pandas_lines(data: Path) -> Any:
    """Lines of paid orders as an analyst reads them: order id and SKU code."""
    import pandas as pd

    paid = _pandas_orders(data)["order_id"]
    lines = pd.read_parquet(data / "order_lines.parquet", columns=["order_id", "sku_id"])
    skus = pd.read_parquet(data / "skus.parquet", columns=["id", "code"])
    lines = lines[lines["order_id"].isin(paid)]
    return lines.merge(skus, left_on="sku_id", right_on="id")[["order_id", "code"]]


def _pandas_baskets(lines: Any) -> list[list[str]]:
    """Each order's distinct SKUs, as the lists TransactionEncoder takes."""
    return lines.drop_duplicates().groupby("order_id")["code"].agg(list).tolist()


def worker_mlxtend(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    import pandas as pd
    from mlxtend.frequent_patterns import apriori, association_rules
    from mlxtend.preprocessing import TransactionEncoder

    with timer("load"):
        lines = _pandas_lines(args.data)
    with timer("baskets"):
        baskets = _pandas_baskets(lines)
    del lines
    with timer("one_hot"):
        encoder = TransactionEncoder()
        onehot = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
    info: dict[str, Any] = {"baskets": len(baskets), "skus": onehot.shape[1]}
    del baskets
    for support in args.min_support:
        with timer(f"apriori@{support:g}"):
            itemsets = apriori(
                onehot,
                min_support=support,
                use_colnames=True,
                max_len=3,
                low_memory=args.low_memory,
            )
        with timer(f"association_rules@{support:g}"):
            rules = association_rules(
                itemsets,
                num_itemsets=len(onehot),
                metric="confidence",
                min_threshold=MIN_CONFIDENCE,
            )
        table = pd.DataFrame(
            {
                "antecedents": ["|".join(sorted(s)) for s in rules["antecedents"]],
                "consequents": ["|".join(sorted(s)) for s in rules["consequents"]],
                "support": rules["support"].to_numpy(),
                "confidence": rules["confidence"].to_numpy(),
                "lift": rules["lift"].to_numpy(),
            }
        )
        table.to_parquet(out / f"rules-{support:g}.parquet")
        info[f"rules@{support:g}"] = len(table)
        info[f"itemsets@{support:g}"] = len(itemsets)
    return info


def worker_pandas_rfm(args: argparse.Namespace, out: Path, timer: Timer) -> dict[str, Any]:
    """RFM with pandas groupby, to the definitions of ``storeloop.analytics.segments.rfm``.

    Scores are quintiles of customers with ties kept together: score = 1 + ⌊5·r/n⌋, r the number
    of customers ranked strictly before (``rank(method="min") - 1``), cut at k·n/5 with
    ``pd.cut``. ``pd.qcut`` cannot give this: on the many tied frequencies its quantile edges
    repeat (an error, or fewer groups with ``duplicates="drop"``), and ``qcut(rank(method=
    "first"))``, the usual way round, splits tied customers between scores by row order.
    """
    import numpy as np
    import pandas as pd

    from storeloop.analytics.segments import (
        CHURN_RISK_DAYS,
        DORMANT_DAYS,
        SEGMENTS,
        VIP_SHARE,
    )  # the constants only: the segment grid and thresholds, so both sides use the same ones

    with timer("load"):
        orders = _pandas_orders(args.data)
    with timer("rfm"):
        orders["day"] = orders["ordered_at"].dt.normalize()
        kept = orders[orders["day"] <= pd.Timestamp(END)]
        per = kept.groupby("customer_id").agg(
            last_order=("day", "max"), frequency=("order_id", "size"), fen=("fen", "sum")
        )
        per["recency_days"] = (pd.Timestamp(END) - per["last_order"]).dt.days
        per["monetary"] = per["fen"] / 100
        per["aov"] = per["monetary"] / per["frequency"]
        n = len(per)

        def quintile(values: pd.Series, ascending: bool) -> pd.Series:
            before = values.rank(method="min", ascending=ascending) - 1
            edges = [k * n / 5 for k in range(5)] + [math.inf]
            return pd.cut(before, edges, right=False, labels=[1, 2, 3, 4, 5]).astype(int)

        per["r_score"] = quintile(per["recency_days"], ascending=False)
        per["f_score"] = quintile(per["frequency"], ascending=True)
        per["m_score"] = quintile(per["fen"], ascending=True)
        per["vip"] = (per["aov"].rank(method="min", ascending=False) - 1) < n * VIP_SHARE
        segment = np.full(n, None, dtype=object)
        r, f = per["r_score"].to_numpy(), per["f_score"].to_numpy()
        for name, (r_low, r_high), (f_low, f_high) in reversed(SEGMENTS):
            cell = (r >= r_low) & (r <= r_high) & (f >= f_low) & (f <= f_high)
            segment[cell] = name
        per["segment"] = segment
        per["churn_risk"] = per["recency_days"] >= CHURN_RISK_DAYS
        per["dormant"] = per["recency_days"] >= DORMANT_DAYS
        per = per.reset_index().sort_values("customer_id")
    columns = ["customer_id", "r_score", "f_score", "m_score", "segment", "churn_risk"]
    per[[*columns, "dormant", "vip"]].to_parquet(out / "rfm.parquet", index=False)
    return {"customers": n}


WORKERS: dict[str, Callable[[argparse.Namespace, Path, Timer], dict[str, Any]]] = {
    "ours-clv": worker_ours_clv,
    "ours-clv-memory": worker_ours_clv,
    "ours-baskets": worker_ours_baskets,
    "ours-baskets-memory": worker_ours_baskets,
    "ours-rfm": worker_ours_rfm,
    "ours-rfm-memory": worker_ours_rfm,
    "ours-store": worker_ours_store,
    "ours-events": worker_ours_events,
    "ours-review": worker_ours_review,
    "lifetimes": worker_lifetimes,
    "mlxtend": worker_mlxtend,
    "mlxtend-low-memory": worker_mlxtend,
    "pandas-rfm": worker_pandas_rfm,
}


def run_worker(args: argparse.Namespace) -> None:
    warnings.filterwarnings("ignore")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    args.data = Path(args.data)
    args.low_memory = args.worker == "mlxtend-low-memory"
    args.source = "memory" if args.worker.endswith("-memory") and "ours" in args.worker else "store"
    warm_imports()
    timer = Timer()
    try:
        info = WORKERS[args.worker](args, out, timer)
    except Exception as error:
        # The steps that completed, for the report to set against ours; the run still fails.
        partial = {"seconds": timer.seconds, "error": f"{type(error).__name__}: {error}"}
        (out / "partial.json").write_text(json.dumps(partial, indent=1, default=str))
        raise
    result = {
        "seconds": timer.seconds,
        "info": info,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (out / "result.json").write_text(json.dumps(result, indent=1, default=str))


# --------------------------------------------------------------------------------------------
# The parent: runs the workers, halves a failing peer's store, compares, prints the table.


@dataclass
class Run:
    worker: str
    divisor: int
    ok: bool
    seconds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    maxrss_mb: float = 0.0
    wall: float = 0.0
    failure: str = ""
    out: Path = Path()
    paid_lines: int = 0
    buyers: int = 0


class Bench:
    def __init__(self, args: argparse.Namespace, data: Path, results: Path) -> None:
        self.args = args
        self.data = data
        self.results = results
        self.runs: dict[tuple[str, int], Run] = {}
        """The run of each (worker, divisor); with repeats, the median of its samples."""
        self.samples: dict[tuple[str, int], list[Run]] = {}

    def run(
        self,
        worker: str,
        divisor: int = 1,
        *,
        peer: bool = False,
        data: Path | None = None,
        support: float | None = None,
        sample: int = 0,
    ) -> Run:
        """One worker process; ``support`` runs a basket worker at that min_support only;
        ``sample`` > 0 is a repetition, kept among the samples of the first run."""
        name = worker if support is None else f"{worker}@{support:g}"
        key = (name, divisor)
        if data is None and key in self.runs and sample == 0:
            return self.runs[key]
        source = data or subset_store(self.data, divisor)
        counts = json.loads((source / "_complete.json").read_text())
        out = self.results / (f"{name}-{divisor}" if data is None else f"{name}-{data.name}")
        if sample:
            out = out.with_name(f"{out.name}-r{sample}")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            worker,
            "--data",
            str(source),
            "--out",
            str(out),
            "--min-support",
            *(str(s) for s in ([support] if support is not None else self.args.min_support)),
            "--duckdb-memory",
            self.args.duckdb_memory,
        ]
        if self.args.threads:
            command += ["--threads", str(self.args.threads)]
        limit = int(self.args.peer_memory * 2**30) if peer else None
        timeout = self.args.peer_timeout if peer else self.args.ours_timeout
        print(
            f"  {name} on {counts['paid_lines']:,} paid lines (1/{divisor}) … "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        run = _spawn(command, out, limit, timeout, self.args.memory_guard)
        run.worker, run.divisor = name, divisor
        run.paid_lines, run.buyers = counts["paid_lines"], counts["buyers"]
        status = f"{run.wall:.1f} s, {run.maxrss_mb:,.0f} MB" + (
            "" if run.ok else f", {run.failure}"
        )
        print(f"    {'ok' if run.ok else 'FAILED'}: {status}", flush=True)
        if data is None and sample == 0:
            self.runs[key] = run
            self.samples[key] = [run]
        elif data is None:
            self.samples[key].append(run)
        return run

    def repeat_group(
        self, ours: list[str], peer: str, divisor: int, support: float | None = None
    ) -> None:
        """Run ours and the peer again, alternately, to ``--repeat`` samples each; their runs
        become the medians (per step) of the samples, so one burst of the other engineers' work
        on this shared machine does not decide a ratio."""
        peer_key = (peer if support is None else f"{peer}@{support:g}", divisor)
        keys = [(worker, divisor) for worker in ours]
        for sample in range(1, self.args.repeat):
            for worker, key in zip(ours, keys, strict=True):
                if len(self.samples[key]) <= sample:
                    self.run(worker, divisor, sample=sample)
            if len(self.samples[peer_key]) <= sample:
                self.run(peer, divisor, peer=True, support=support, sample=sample)
        for key in (*keys, peer_key):
            self.runs[key] = _median_run(self.samples[key])

    def peer_until_done(
        self, peer: str, ours: list[str], support: float | None = None
    ) -> list[Run]:
        """The peer at full size, then on halved stores until it completes; ours (each of its
        workers) at that size."""
        attempts = []
        for halvings in range(MAX_HALVINGS + 1):
            divisor = 2**halvings
            attempt = self.run(peer, divisor, peer=True, support=support)
            attempts.append(attempt)
            if attempt.ok:
                done = [self.run(worker, divisor).ok for worker in ours]
                if all(done) and self.args.repeat > 1:
                    self.repeat_group(ours, peer, divisor, support)
                    attempts[-1] = self.runs[(attempt.worker, divisor)]
                break
        return attempts

    def paired(self, ours: str, theirs: Run) -> Run | None:
        """Our run of ``ours`` on the store the peer's run completed on."""
        return self.runs.get((ours, theirs.divisor))


def _median_run(samples: list[Run]) -> Run:
    """The first sample with each step's median seconds over the samples that completed."""
    done = [run for run in samples if run.ok]
    if not done:
        return samples[0]
    first = done[0]
    seconds = {
        step: statistics.median(run.seconds[step] for run in done if step in run.seconds)
        for step in first.seconds
    }
    spread = {
        step: [
            min(run.seconds.get(step, math.inf) for run in done),
            max(run.seconds.get(step, 0.0) for run in done),
        ]
        for step in first.seconds
    }
    return Run(
        first.worker,
        first.divisor,
        ok=True,
        seconds=seconds,
        info=first.info | {"samples": len(done), "spread": spread},
        maxrss_mb=max(run.maxrss_mb for run in done),
        wall=statistics.median(run.wall for run in done),
        out=first.out,
        paid_lines=first.paid_lines,
        buyers=first.buyers,
    )


def _available_memory() -> int:
    """MemAvailable of the machine, in bytes."""
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 1 << 62


def _spawn(
    command: list[str], out: Path, memory: int | None, timeout: float, guard_gib: float
) -> Run:
    def limits() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    log = (out / "log.txt").open("w")
    clock = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=limits, start_new_session=True
    )
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    # The machine is shared: a worker is stopped before it can push others into the OOM killer.
    guarded = threading.Event()
    done = threading.Event()

    def guard() -> None:
        while not done.wait(0.5):
            if _available_memory() < guard_gib * 2**30:
                guarded.set()
                os.killpg(process.pid, signal.SIGKILL)
                return

    watcher = threading.Thread(target=guard, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    run = Run("", 0, ok=False, wall=time.perf_counter() - clock, out=out)
    run.maxrss_mb = usage.ru_maxrss / 1024
    result = out / "result.json"
    if process.returncode == 0 and result.exists():
        data = json.loads(result.read_text())
        run.ok, run.seconds, run.info = True, data["seconds"], data["info"]
        return run
    if (out / "partial.json").exists():
        run.seconds = json.loads((out / "partial.json").read_text())["seconds"]
    text = (out / "log.txt").read_text(errors="replace")
    steps = [line[len(STEP) :] for line in text.splitlines() if line.startswith(STEP)]
    during = f" during {steps[-1]}" if steps else ""
    if guarded.is_set():
        run.failure = (
            f"stopped by the memory guard{during} (machine below {guard_gib:g} GiB available, "
            f"worker at {run.maxrss_mb / 1024:.1f} GiB)"
        )
    elif timed_out.is_set():
        run.failure = f"over the {timeout / 60:.0f}-minute time limit{during}"
    elif (
        "MemoryError" in text
        or "Unable to allocate" in text
        or "bad_alloc" in text
        or "Out of Memory" in text
    ):
        last = [line for line in text.splitlines() if "rror" in line or "allocate" in line]
        reason = last[-1].strip().removeprefix("numpy._core._exceptions._ArrayMemoryError: ")
        run.failure = f"out of memory{during}" + (f" ({reason[:110]})" if last else "")
    else:
        tail = [line for line in text.splitlines() if line.strip()][-1:] or ["no output"]
        run.failure = f"exit {process.returncode}: {tail[0][:200]}"
    return run


# --------------------------------------------------------------------------------------------
# Equality checks.


def same_3sf(ours: float, theirs: float) -> bool:
    """Equal to 3 significant figures: within half a unit of the third figure of ours."""
    if ours == theirs:
        return True
    unit = 10 ** (math.floor(math.log10(abs(ours))) - 2)
    return abs(ours - theirs) <= unit / 2


def compare_clv(ours: Run, theirs: Run) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    names = {"bgnbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "v")}
    a, b = ours.info["params"], theirs.info["params"]
    params = {
        f"{name}": (a[model][name], b[model][name])
        for model, keys in names.items()
        for name in keys
    }
    equal_params = all(same_3sf(x, y) for x, y in params.values())
    worst = max(abs(x - y) / abs(x) for x, y in params.values())
    left = pd.read_parquet(ours.out / "clv.parquet")
    right = pd.read_parquet(theirs.out / "clv.parquet")
    merged = left.merge(right, on="customer_id", suffixes=("", "_theirs"), how="outer")
    both = merged.dropna(subset=["frequency", "frequency_theirs"])
    summaries_equal = (
        len(both) == len(left) == len(right)
        and (both["frequency"] == both["frequency_theirs"]).all()
        and np.allclose(both["recency"], both["recency_theirs"], rtol=0, atol=1e-9)
        and np.allclose(both["T"], both["T_theirs"], rtol=0, atol=1e-9)
        and np.allclose(both["monetary_value"], both["monetary_value_theirs"], rtol=1e-9, atol=0)
    )
    differences = {}
    for column in ("probability_alive", "expected_purchases", "expected_average_spend"):
        x, y = both[column].to_numpy(), both[f"{column}_theirs"].to_numpy()
        finite = np.isfinite(y)
        rel = np.abs(x[finite] - y[finite]) / np.maximum(np.abs(x[finite]), 1e-300)
        differences[column] = {
            "max_rel": float(rel.max()) if rel.size else None,
            "theirs_not_finite": int((~finite).sum()),
        }
    predictions_equal = all(
        d["theirs_not_finite"] == 0 and (d["max_rel"] or 0.0) <= PREDICTION_RTOL
        for d in differences.values()
    )
    return {
        "params": params,
        "params_equal_3sf": equal_params,
        "params_max_rel": worst,
        "summaries_equal": bool(summaries_equal),
        "predictions": differences,
        "equal": bool(equal_params and summaries_equal and predictions_equal),
    }


def compare_clv_partial(ours: Run, theirs: Run) -> dict[str, Any]:
    """The summaries and the BG/NBD parameters of a lifetimes run that failed later."""
    import numpy as np
    import pandas as pd

    mine = ours.info["params"]["bgnbd"]
    theirs_params = json.loads((theirs.out / "bgnbd.json").read_text())
    params = {name: (mine[name], theirs_params[name]) for name in ("r", "alpha", "a", "b")}
    left = pd.read_parquet(ours.out / "clv.parquet")
    right = pd.read_parquet(theirs.out / "summary.parquet")
    both = left.merge(right, on="customer_id", suffixes=("", "_theirs"))
    summaries_equal = (
        len(both) == len(left) == len(right)
        and (both["frequency"] == both["frequency_theirs"]).all()
        and np.allclose(both["recency"], both["recency_theirs"], rtol=0, atol=1e-9)
        and np.allclose(both["T"], both["T_theirs"], rtol=0, atol=1e-9)
        and np.allclose(both["monetary_value"], both["monetary_value_theirs"], rtol=1e-9, atol=0)
    )
    equal_params = all(same_3sf(x, y) for x, y in params.values())
    return {
        "params": params,
        "params_max_rel": max(abs(x - y) / abs(x) for x, y in params.values()),
        "summaries_equal": bool(summaries_equal),
        "equal": bool(equal_params and summaries_equal),
    }


def compare_rules(ours: Run, theirs: Run, support: float) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    name = f"rules-{support:g}.parquet"
    left, right = pd.read_parquet(ours.out / name), pd.read_parquet(theirs.out / name)
    keys = ["antecedents", "consequents"]
    merged = left.merge(right, on=keys, how="outer", suffixes=("", "_theirs"), indicator=True)
    same_set = bool((merged["_merge"] == "both").all()) and len(left) == len(right)
    gaps = {
        metric: float(
            np.max(np.abs(merged[metric] - merged[f"{metric}_theirs"]).to_numpy(), initial=0.0)
        )
        for metric in ("support", "confidence", "lift")
    }
    # A rule in one set only whose confidence is min_confidence to rounding: the two sides
    # round the same ratio of counts differently (ours divides supports, mlxtend multiplies
    # them back by the number of baskets first), and the filter falls either way.
    only = merged[merged["_merge"] != "both"]
    confidence = only["confidence"].fillna(only["confidence_theirs"])
    at_threshold = int((abs(confidence - MIN_CONFIDENCE) <= 1e-12).sum())
    return {
        "rules": len(left),
        "rules_theirs": len(right),
        "only_ours": int((merged["_merge"] == "left_only").sum()),
        "only_theirs": int((merged["_merge"] == "right_only").sum()),
        "differing_at_min_confidence": at_threshold,
        "triple_rules": int(
            (left["antecedents"].str.count(r"\|") + left["consequents"].str.count(r"\|"))
            .eq(1)
            .sum()
        ),
        "same_set": same_set,
        "max_abs_difference": gaps,
        "equal": same_set and all(gap <= RULE_ATOL for gap in gaps.values()),
    }


def compare_rfm(ours: Run, theirs: Run) -> dict[str, Any]:
    import pandas as pd

    left, right = (
        pd.read_parquet(ours.out / "rfm.parquet"),
        pd.read_parquet(theirs.out / "rfm.parquet"),
    )
    merged = left.merge(right, on="customer_id", how="outer", suffixes=("", "_theirs"))
    columns = ["r_score", "f_score", "m_score", "segment", "churn_risk", "dormant", "vip"]
    mismatches = {
        column: int((merged[column].astype(str) != merged[f"{column}_theirs"].astype(str)).sum())
        for column in columns
    }
    counts_equal = (
        left["segment"]
        .value_counts()
        .sort_index()
        .equals(right["segment"].value_counts().sort_index())
    )
    return {
        "customers": len(left),
        "customers_theirs": len(right),
        "segment_counts_equal": bool(counts_equal),
        "mismatches": mismatches,
        "equal": len(left) == len(right) and not any(mismatches.values()),
        "segments": left["segment"].value_counts().to_dict(),
    }


# --------------------------------------------------------------------------------------------
# The report.


@dataclass
class Row:
    step: str
    ours: Run | None
    ours_seconds: float | None
    theirs: Run | None
    theirs_seconds: float | None
    equal: str
    note: str = ""


def _total(run: Run, *names: str) -> float:
    return sum(run.seconds.get(name, 0.0) for name in names)


def format_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def format_ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or theirs is None:
        return "—"
    return f"{theirs / ours:.1f}×"


def size_text(run: Run | None) -> str:
    if run is None:
        return "—"
    return f"{run.paid_lines / 1e6:.2f} M lines / {run.buyers / 1e6:.3f} M cust." + (
        f" (1/{run.divisor})" if run.divisor > 1 else ""
    )


def markdown(rows: list[Row]) -> str:
    lines = [
        "| step | size (paid lines / buying customers) | ours s | theirs s | theirs ÷ ours | equal "
        "| peak MB ours / theirs |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        run = row.theirs if row.theirs is not None else row.ours
        peaks = " / ".join(
            f"{r.maxrss_mb:,.0f}" if r is not None else "—" for r in (row.ours, row.theirs)
        )
        lines.append(
            f"| {row.step} | {size_text(run)} | {format_seconds(row.ours_seconds)} "
            f"| {format_seconds(row.theirs_seconds)} "
            f"| {format_ratio(row.ours_seconds, row.theirs_seconds)} | {row.equal} | {peaks} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    if args.worker:
        run_worker(args)
        return
    config = SeedConfig(customers=args.customers, days=args.days, seed=args.seed)
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    started = datetime.now()
    load_before = os.getloadavg()
    print(
        f"analytics bench · {started:%Y-%m-%d %H:%M} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · load average {_loads(load_before)}",
        flush=True,
    )
    if args.data:
        data = Path(args.data)
        if not (data / "_complete.json").exists():
            (data / "_complete.json").write_text(json.dumps(paid_counts(data)))
        info = json.loads((data / "_complete.json").read_text())
    else:
        clock = time.perf_counter()
        data, info = ensure_store(root, config, events=False)
        print(f"store: {data} ({time.perf_counter() - clock:.0f} s)", flush=True)
    print(
        f"  {info['paid_lines']:,} paid order lines, {info['paid_orders']:,} paid orders, "
        f"{info['buyers']:,} buying customers",
        flush=True,
    )
    sections = set(args.only.split(","))
    results = root / "results" / (data.name + (f"-threads{args.threads}" if args.threads else ""))
    bench = Bench(args, data, results)
    rows: list[Row] = []
    comparisons: dict[str, Any] = {}

    if "clv" in sections:
        # CLV ------------------------------------------------------------------------------------
        bench.run("ours-clv")
        clv_runs = (
            []
            if args.skip_peers
            else bench.peer_until_done("lifetimes", ["ours-clv", "ours-clv-memory"])
        )
        theirs = clv_runs[-1] if clv_runs and clv_runs[-1].ok else None
        for failed in clv_runs[:-1] if theirs else clv_runs:
            rows.append(_failure_row("CLV (lifetimes)", failed))
            if "fit_bgnbd" in failed.seconds and (failed.out / "bgnbd.json").exists():
                # The steps lifetimes completed before it failed, against ours on that store.
                ours = bench.run("ours-clv-memory", failed.divisor)
                if ours.ok:
                    compared = compare_clv_partial(ours, failed)
                    comparisons[f"clv until lifetimes failed (1/{failed.divisor})"] = compared
                    rows += [
                        Row("CLV summaries (until lifetimes failed)", ours,
                            ours.seconds["summaries"], failed, failed.seconds["summary"],
                            "identical" if compared["summaries_equal"] else "NO"),
                        Row("BG/NBD fit (until lifetimes failed)", ours, ours.seconds["fit_bgnbd"],
                            failed, failed.seconds["fit_bgnbd"],
                            f"{'yes' if compared['equal'] else 'NO'} (r, α, a, b within "
                            f"{compared['params_max_rel']:.1e} relative)"),
                        Row("Gamma-Gamma fit: ours; lifetimes raised after this long", ours,
                            ours.seconds["fit_gamma_gamma"], failed,
                            failed.seconds.get("fit_gamma_gamma"), "—"),
                    ]  # fmt: skip
        if theirs:
            memory = bench.paired("ours-clv-memory", theirs)
            store = bench.runs.get(("ours-clv", theirs.divisor))
            for label, ours in (("same in-memory orders", memory), ("from the store", store)):
                if ours is None or not ours.ok:
                    continue
                compared = compare_clv(ours, theirs)
                comparisons[f"clv ({label})"] = compared
                equal = _clv_equal_text(compared)
                compute = _total(theirs, "summary", "fit_bgnbd", "fit_gamma_gamma", "predict")
                if label == "same in-memory orders":
                    rows += [
                        Row("CLV summaries", ours, ours.seconds["summaries"], theirs,
                            theirs.seconds["summary"], _summaries_text(compared)),
                        Row("BG/NBD fit (ours: distinct rows counted + MLE)", ours,
                            ours.seconds["fit_bgnbd"], theirs, theirs.seconds["fit_bgnbd"], equal),
                        Row("Gamma-Gamma fit (ours: distinct rows counted + MLE)", ours,
                            ours.seconds["fit_gamma_gamma"], theirs,
                            theirs.seconds["fit_gamma_gamma"], equal),
                        Row("CLV predictions", ours, ours.seconds["predict"], theirs,
                            theirs.seconds["predict"], _prediction_text(compared)),
                        Row("**CLV, compute only** (summaries, both fits, predictions; "
                            "same in-memory orders, loading excluded for both)", ours,
                            ours.seconds["clv"], theirs, compute, equal),
                    ]  # fmt: skip
                else:
                    rows.append(
                        Row("**CLV from the Parquet store, loading included for both**", ours,
                            _total(ours, "load", "clv"), theirs, theirs.seconds["load"] + compute,
                            equal)
                    )  # fmt: skip
        elif bench.runs[("ours-clv", 1)].ok:
            ours = bench.runs[("ours-clv", 1)]
            rows.append(
                Row("CLV from the store", ours, _total(ours, "load", "clv"), None, None, "—")
            )

    if "baskets" in sections:
        # Baskets --------------------------------------------------------------------------------
        bench.run("ours-baskets")
        for peer in [] if args.skip_peers else ["mlxtend", "mlxtend-low-memory"]:
            for support in args.min_support:
                runs = bench.peer_until_done(peer, ["ours-baskets", "ours-baskets-memory"], support)
                done = runs[-1] if runs[-1].ok else None
                for failed in runs[:-1] if done else runs:
                    rows.append(_failure_row(f"rules @ {support:g} ({peer})", failed))
                if done is None:
                    continue
                memory = bench.paired("ours-baskets-memory", done)
                store = bench.runs.get(("ours-baskets", done.divisor))
                step = f"rules@{support:g}"
                counting = _total(done, f"apriori@{support:g}", f"association_rules@{support:g}")
                for label, ours in (("same in-memory lines", memory), ("from the store", store)):
                    if ours is None or not ours.ok:
                        continue
                    compared = compare_rules(ours, done, support)
                    comparisons[f"rules {peer} {support:g} ({label})"] = compared
                    equal = _rules_equal_text(compared)
                    if label == "same in-memory lines":
                        rows.append(
                            Row(f"rules @ {support:g}, compute only ({peer}: apriori + "
                                "association_rules on its one-hot table; ours: "
                                "association_rules on the same in-memory lines)", ours,
                                ours.seconds[step], done, counting, equal)
                        )  # fmt: skip
                    else:
                        rows.append(
                            Row(f"**rules @ {support:g} from the Parquet store, all included** "
                                f"({peer}: loading, baskets, one-hot, apriori, rules)", ours,
                                _total(ours, "load", step), done, sum(done.seconds.values()),
                                equal)
                        )  # fmt: skip
        ours_baskets = bench.runs[("ours-baskets", 1)]
        if args.skip_peers and ours_baskets.ok:
            for support in args.min_support:
                seconds = _total(ours_baskets, "load", f"rules@{support:g}")
                rows.append(Row(f"rules @ {support:g}", ours_baskets, seconds, None, None, "—"))
        if ours_baskets.ok:
            rows.append(
                Row("bought together (top 5 per SKU; no peer)", ours_baskets,
                    ours_baskets.seconds["bought_together"], None, None, "—")
            )  # fmt: skip

    if "rfm" in sections:
        # RFM ------------------------------------------------------------------------------------
        bench.run("ours-rfm")
        rfm_runs = (
            []
            if args.skip_peers
            else bench.peer_until_done("pandas-rfm", ["ours-rfm", "ours-rfm-memory"])
        )
        done = rfm_runs[-1] if rfm_runs and rfm_runs[-1].ok else None
        for failed in rfm_runs[:-1] if done else rfm_runs:
            rows.append(_failure_row("RFM (pandas)", failed))
        if done:
            memory = bench.paired("ours-rfm-memory", done)
            store = bench.runs.get(("ours-rfm", done.divisor))
            for label, ours in (("same in-memory orders", memory), ("from the store", store)):
                if ours is None or not ours.ok:
                    continue
                compared = compare_rfm(ours, done)
                comparisons[f"rfm ({label})"] = compared
                equal = _rfm_equal_text(compared)
                if label == "same in-memory orders":
                    rows.append(
                        Row("**RFM segments, compute only** (same in-memory orders, loading "
                            "excluded for both)", ours, ours.seconds["rfm"], done,
                            done.seconds["rfm"], equal)
                    )  # fmt: skip
                else:
                    rows.append(
                        Row("**RFM from the Parquet store, loading included for both**", ours,
                            _total(ours, "load", "rfm"), done, _total(done, "load", "rfm"), equal)
                    )  # fmt: skip

    if "store" in sections:
        # Ours only ------------------------------------------------------------------------------
        store = bench.run("ours-store")
        if store.ok:
            for name, seconds in store.seconds.items():
                if name != "load":
                    rows.append(Row(f"{name} (no peer)", store, seconds, None, None, "—"))
            for name, error in store.info.get("errors", {}).items():
                rows.append(
                    Row(f"{name} (no peer): FAILED {error[:120]}", store, None, None, None, "—")
                )
    if "review" in sections:
        review = bench.run("ours-review")
        rows += _ours_rows(review, "whole weekly review (report.weekly_review), no events")
    if "events" in sections and not args.skip_events:
        for worker in ("ours-events", "ours-review"):
            customers = args.events_customers
            while customers >= 10_000:
                events_config = SeedConfig(
                    customers=customers, days=args.events_days, seed=args.seed
                )
                clock = time.perf_counter()
                events_data, events_info = ensure_store(root, events_config, events=True)
                print(f"events store: {events_data} ({time.perf_counter() - clock:.0f} s)")
                run = bench.run(worker, data=events_data)
                events = events_info["rows"].get("events", 0)
                label = f"{customers / 1000:,.0f} k customers, {events / 1e6:.1f} M events"
                rows += _ours_rows(run, f"{worker}, {label}")
                if run.ok or "memory" not in run.failure:
                    break  # halved for memory only: a smaller store does not answer time
                customers //= 2

    table = markdown(rows)
    print()
    print(table)
    print()
    print(json.dumps(comparisons, indent=1, default=str))
    load_after = os.getloadavg()
    print(f"load average before {_loads(load_before)}, after {_loads(load_after)}")
    summary = {
        "started": started.isoformat(timespec="seconds"),
        "load_before": load_before,
        "load_after": load_after,
        "data": str(data),
        "store": info,
        "table": table,
        "comparisons": comparisons,
        "runs": {
            f"{w}/{d}": {
                "ok": r.ok,
                "seconds": r.seconds,
                "info": r.info,
                "maxrss_mb": r.maxrss_mb,
                "wall": r.wall,
                "failure": r.failure,
                "paid_lines": r.paid_lines,
                "buyers": r.buyers,
            }
            for (w, d), r in bench.runs.items()
        },
    }
    (results / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    print(f"results: {results}")
    unequal = [name for name, compared in comparisons.items() if compared and not compared["equal"]]
    if unequal:
        print(f"NOT EQUAL: {', '.join(unequal)}: the ratios above do not compare equal results")
        sys.exit(1)


def _ours_rows(run: Run, label: str) -> list[Row]:
    """Rows of an analysis without a peer: each timed step, or the failure."""
    if not run.ok:
        return [
            Row(
                f"{label}: FAILED, {run.failure} after {run.wall:.0f} s", run, None, None, None, "—"
            )
        ]
    rows = [
        Row(f"{name} ({label})", run, seconds, None, None, "—")
        for name, seconds in run.seconds.items()
    ]
    rows += [
        Row(f"{name} ({label}): FAILED {error[:120]}", run, None, None, None, "—")
        for name, error in run.info.get("errors", {}).items()
    ]
    return rows


def _failure_row(step: str, failed: Run) -> Row:
    return Row(
        f"{step}: FAILED, {failed.failure} after {failed.wall:.0f} s", None, None, failed, None, "—"
    )


def _clv_equal_text(compared: dict[str, Any] | None) -> str:
    if compared is None:
        return "—"
    verdict = "yes" if compared["params_equal_3sf"] else "NO"
    return f"{verdict} (parameters within {compared['params_max_rel']:.1e} relative)"


def _summaries_text(compared: dict[str, Any] | None) -> str:
    if compared is None:
        return "—"
    return "identical" if compared["summaries_equal"] else "NO"


def _rules_equal_text(compared: dict[str, Any]) -> str:
    text = f"{'yes' if compared['equal'] else 'NO'} ({compared['rules']:,} rules"
    text += f", {compared['triple_rules']:,} from triples)"
    if not compared["same_set"]:
        text += (
            f"; {compared['only_theirs']:,} only in theirs, {compared['only_ours']:,} only in "
            f"ours, {compared['differing_at_min_confidence']:,} of them with confidence = "
            "min_confidence exactly"
        )
    return text


def _rfm_equal_text(compared: dict[str, Any]) -> str:
    if compared["equal"]:
        return f"identical ({compared['customers']:,} customers)"
    mismatched = ", ".join(f"{k} {v}" for k, v in compared["mismatches"].items() if v)
    return f"NO ({mismatched})"


def _prediction_text(compared: dict[str, Any] | None) -> str:
    if compared is None:
        return "—"
    worst = max((d["max_rel"] or 0.0) for d in compared["predictions"].values())
    broken = sum(d["theirs_not_finite"] for d in compared["predictions"].values())
    text = f"within {worst:.1e} relative"
    return text + (f"; theirs not finite for {broken:,}" if broken else "")


def _loads(loads: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in loads)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="where stores and results go")
    parser.add_argument("--data", help="an existing store snapshot (Parquet) instead of generating")
    parser.add_argument("--min-support", type=float, nargs="+", default=list(MIN_SUPPORTS))
    parser.add_argument("--skip-peers", action="store_true", help="time ours only")
    parser.add_argument(
        "--only",
        default="clv,baskets,rfm,store,review,events",
        help="comma-separated sections to run (default: all)",
    )
    parser.add_argument("--skip-events", action="store_true", help="no store with events")
    parser.add_argument(
        "--events-customers",
        type=int,
        default=PRESETS["large"].customers,
        help="customers of the store with events (halved until the event analyses complete)",
    )
    parser.add_argument("--events-days", type=int, default=PRESETS["large"].days)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="samples of each ours/peer pair that completes (alternated; medians reported)",
    )
    parser.add_argument("--peer-timeout", type=float, default=20 * 60, help="seconds per peer run")
    parser.add_argument("--ours-timeout", type=float, default=30 * 60, help="seconds per run")
    parser.add_argument("--peer-memory", type=float, default=14.0, help="GiB address space")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument(
        "--duckdb-memory",
        default="6GB",
        help="DuckDB memory_limit for ours (it spills beyond; the Arrow tables the store loader "
        "holds come on top)",
    )
    parser.add_argument(
        "--memory-guard",
        type=float,
        default=1.0,
        help="stop a worker when the machine has fewer GiB available than this",
    )
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()

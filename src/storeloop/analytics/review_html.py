"""The weekly review (S3.1) as one self-contained HTML page, next to its tables.

The review is read in a meeting room and mailed around, often where there is no network, so the
page carries everything it needs: plotly.js is inlined from the installed ``plotly`` package
(never a CDN), and the figures' data is in the page. The page only draws the tables that
:func:`~storeloop.analytics.report.weekly_review` computed; the same figures are in the CSV and
Parquet files written beside it, which the page links to. Headings are in Chinese and English.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import plotly.graph_objects as go
import pyarrow as pa
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from storeloop.analytics.abc_xyz import POLICIES
from storeloop.analytics.report import review_start, write_review

HTML_NAME = "weekly_review.html"
TREND_KPIS: dict[str, str] = {
    "gmv": "GMV 成交额",
    "orders": "订单数 orders",
    "uv": "访客数 UV",
    "conversion_rate": "转化率 conversion",
    "aov": "客单价 AOV",
    "repurchase_rate": "复购率 repurchase",
    "return_rate_units": "退货率 return rate (units)",
}
"""The KPIs charted as trends, in this order, with their bilingual labels."""
GLANCE: dict[str, str] = {
    "gmv": "GMV 成交额",
    "orders": "订单数 Orders",
    "paying_customers": "付款客户 Paying customers",
    "aov": "客单价 AOV",
    "uv": "访客数 UV",
    "conversion_rate": "转化率 Conversion",
    "repurchase_rate": "复购率 Repurchase rate",
    "return_rate_units": "退货率 Return rate (units)",
}
PERCENTAGES = frozenset({"conversion_rate", "repurchase_rate", "return_rate_units"})
TOP_RULES = 15
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    """中文 / English."""
    draw: Callable[[Mapping[str, pa.Table]], go.Figure | str]
    """The figure, or why there is none (a skipped analysis, an empty table)."""


def write_review_html(
    review: Mapping[str, pa.Table], directory: Path, *, end: date, weeks: int, source: str
) -> Path:
    """Write every table (CSV and Parquet) and the page that charts them; the page's path."""
    files = write_review(review, directory)
    page = render_review(
        review, end=end, weeks=weeks, source=source, files=[path.name for path in files]
    )
    path = directory / HTML_NAME
    path.write_text(page, encoding="utf-8")
    return path


def render_review(
    review: Mapping[str, pa.Table], *, end: date, weeks: int, source: str, files: list[str]
) -> str:
    """The page: a glance at the last week, one figure per section, notes, links to files."""
    start = review_start(end, weeks)
    body = [
        f"<h1>每周数据复盘 / Weekly review · {start} – {end}</h1>",
        f"<p class=source>数据来源 / Source: {html.escape(source)}</p>",
        _glance(review.get("kpis_weekly")),
    ]
    for section in SECTIONS:
        drawn = section.draw(review)
        body.append(f"<section id={section.key}><h2>{html.escape(section.title)}</h2>")
        if isinstance(drawn, go.Figure):
            drawn.update_layout(template="plotly_white", margin={"t": 40, "l": 60, "r": 20})
            body.append(
                drawn.to_html(
                    full_html=False,
                    include_plotlyjs=False,
                    div_id=f"figure-{section.key}",
                    config=PLOTLY_CONFIG,
                )
            )
        else:
            body.append(f"<p class=missing>{html.escape(drawn)}</p>")
        body.append("</section>")
    body += [_notes(review.get("notes")), _file_list(files)]
    return PAGE.format(title=f"Weekly review {end}", plotlyjs=get_plotlyjs(), body="\n".join(body))


def _rows(table: pa.Table) -> list[dict]:
    """Rows with decimals as floats: plotly charts numbers, and money here is for reading."""
    return [
        {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}
        for row in table.to_pylist()
    ]


def _missing(review: Mapping[str, pa.Table], name: str) -> str | None:
    """Why ``name`` is not drawn: the note that skipped it, or None when it is there."""
    if name in review:
        return None
    notes = review.get("notes")
    reasons = [n["note"] for n in notes.to_pylist() if n["table"] == name] if notes else []
    return f"未生成 / Not produced — {'; '.join(reasons) or 'no data'}"


def _trends(review: Mapping[str, pa.Table]) -> go.Figure | str:
    """Daily KPI values against their same-weekday baseline; flagged days in red with the cause."""
    scores = _rows(review["anomaly_scores"])
    shown = [kpi for kpi in TREND_KPIS if any(row["kpi"] == kpi for row in scores)]
    if not shown:
        return "无每日数据 / No daily KPIs in the range"
    causes = {(a["day"], a["kpi"]): _cause_text(a) for a in _rows(review["anomalies"])}
    figure = make_subplots(
        rows=len(shown),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        subplot_titles=[TREND_KPIS[kpi] for kpi in shown],
    )
    for index, kpi in enumerate(shown, start=1):
        series = [row for row in scores if row["kpi"] == kpi]
        days = [row["day"] for row in series]
        figure.add_trace(
            go.Scatter(x=days, y=[r["value"] for r in series], name=kpi, mode="lines"),
            row=index,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=days,
                y=[r["baseline"] for r in series],
                name=f"{kpi} baseline 基线",
                mode="lines",
                line={"dash": "dot", "color": "grey"},
            ),
            row=index,
            col=1,
        )
        flagged = [r for r in series if r["flagged"]]
        figure.add_trace(
            go.Scatter(
                x=[r["day"] for r in flagged],
                y=[r["value"] for r in flagged],
                name=f"{kpi} anomaly 异常",
                mode="markers",
                marker={"color": "crimson", "size": 10, "symbol": "x"},
                text=[causes.get((r["day"], kpi), "") for r in flagged],
                hovertemplate="%{x}: %{y}<br>%{text}<extra></extra>",
            ),
            row=index,
            col=1,
        )
    figure.update_layout(height=220 * len(shown), showlegend=False)
    return figure


def _cause_text(anomaly: dict) -> str:
    parts = [f"z = {anomaly['z']:.1f}"]
    if anomaly["cause_dimension"]:
        parts.append(
            f"可能原因 likely cause: {anomaly['cause_dimension']} = {anomaly['cause_segment']}"
            f" ({anomaly['cause_explained']:.0%} of the change)"
        )
    if anomaly["funnel_step"]:
        parts.append(f"漏斗 funnel: {anomaly['funnel_step']} {anomaly['funnel_step_change']:+.0%}")
    return "<br>".join(parts)


def _funnel(review: Mapping[str, pa.Table]) -> go.Figure | str:
    reason = _missing(review, "funnel")
    if reason:
        return reason
    steps = _rows(review["funnel"])
    if not steps:
        return "区间内无事件 / No events in the range"
    return go.Figure(
        go.Funnel(
            y=[row["event"] for row in steps],
            x=[row["visitors"] for row in steps],
            textinfo="value+percent initial+percent previous",
        )
    )


def _cohorts(review: Mapping[str, pa.Table]) -> go.Figure | str:
    rows = _rows(review["cohorts"])
    if not rows:
        return "无订单 / No orders"
    cohorts = sorted({row["cohort"] for row in rows})
    months = list(range(max(row["months_since"] for row in rows) + 1))
    cell = {(row["cohort"], row["months_since"]): row["retention"] for row in rows}
    z = [[cell.get((cohort, month)) for month in months] for cohort in cohorts]
    return go.Figure(
        go.Heatmap(
            z=z,
            x=months,
            y=[cohort.strftime("%Y-%m") for cohort in cohorts],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            text=[[f"{v:.0%}" if v is not None else "" for v in line] for line in z],
            texttemplate="%{text}",
            hovertemplate="cohort %{y}, month +%{x}: %{text}<extra></extra>",
        ),
        layout={
            "xaxis_title": "首单后月数 / months since first order",
            "yaxis_title": "首单月份 / cohort",
            "yaxis_autorange": "reversed",
            "height": 200 + 22 * len(cohorts),
        },
    )


def _segments(review: Mapping[str, pa.Table]) -> go.Figure | str:
    rows = _rows(review["segments"])
    if not rows:
        return "无客户 / No customers"
    return go.Figure(
        go.Bar(
            x=[row["segment"] for row in rows],
            y=[row["customers"] for row in rows],
            customdata=[
                [row["share"], row["churn_risk"], row["dormant"], row["vip"]] for row in rows
            ],
            hovertemplate="%{x}: %{y} customers (%{customdata[0]:.0%})<br>churn risk 流失风险"
            " %{customdata[1]}, dormant 沉睡 %{customdata[2]}, VIP %{customdata[3]}"
            "<extra></extra>",
        ),
        layout={"yaxis_title": "客户数 / customers"},
    )


def _abc_xyz(review: Mapping[str, pa.Table]) -> go.Figure | str:
    reason = _missing(review, "abc_xyz")
    if reason:
        return reason
    rows = _rows(review["abc_xyz"])
    if not rows:
        return "区间内无销售 / No sales in the range"
    classes, demand = ["A", "B", "C"], ["X", "Y", "Z"]
    count = {(a, x): 0 for a in classes for x in demand}
    share = {(a, x): 0.0 for a in classes for x in demand}
    for row in rows:
        count[row["abc"], row["xyz"]] += 1
        share[row["abc"], row["xyz"]] += row["revenue_share"] or 0.0
    return go.Figure(
        go.Heatmap(
            z=[[count[a, x] for x in demand] for a in classes],
            x=["X 稳定 steady", "Y 波动 variable", "Z 偶发 sporadic"],
            y=[f"{a} · {POLICIES[a]}" for a in classes],
            colorscale="Oranges",
            text=[[f"{count[a, x]} SKUs · {share[a, x]:.0%}" for x in demand] for a in classes],
            texttemplate="%{text}",
            hovertemplate="%{y} × %{x}: %{text} of revenue<extra></extra>",
        ),
        layout={"yaxis_autorange": "reversed", "height": 360},
    )


def _basket_rules(review: Mapping[str, pa.Table]) -> go.Figure | str:
    reason = _missing(review, "basket_rules")
    if reason:
        return reason
    rules = _rows(review["basket_rules"])[:TOP_RULES]
    if not rules:
        return "没有达到最小支持度的规则 / No rule reaches the minimum support"
    rules.reverse()  # the best at the top of a horizontal bar chart
    return go.Figure(
        go.Bar(
            x=[rule["lift"] for rule in rules],
            y=[f"{rule['antecedents']} → {rule['consequents']}" for rule in rules],
            orientation="h",
            customdata=[[rule["support"], rule["confidence"]] for rule in rules],
            hovertemplate="%{y}<br>lift %{x:.2f}, support %{customdata[0]:.2%},"
            " confidence %{customdata[1]:.0%}<extra></extra>",
        ),
        layout={"xaxis_title": "提升度 / lift", "height": 160 + 26 * len(rules)},
    )


def _clv(review: Mapping[str, pa.Table]) -> go.Figure | str:
    rows = _rows(review["clv"])
    if not rows:
        return "未拟合 / No model — see the notes below"
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[
            "存活概率 / probability alive",
            "未来一年预期价值 / expected value, next 52 weeks",
        ],
    )
    figure.add_trace(
        go.Histogram(x=[row["probability_alive"] for row in rows], nbinsx=20), row=1, col=1
    )
    figure.add_trace(
        go.Histogram(x=[row["expected_value"] for row in rows], nbinsx=40), row=1, col=2
    )
    figure.update_layout(showlegend=False, yaxis_title="客户数 / customers")
    return figure


SECTIONS: tuple[Section, ...] = (
    Section("trends", "KPI 趋势与异常 / KPI trends and anomalies", _trends),
    Section("funnel", "转化漏斗 / Funnel", _funnel),
    Section("cohorts", "同期群留存 / Cohort retention", _cohorts),
    Section("segments", "客户分群 / Customer segments (RFM)", _segments),
    Section("abc_xyz", "ABC × XYZ 矩阵 / ABC × XYZ matrix", _abc_xyz),
    Section("baskets", "购物篮关联规则 / Top basket rules", _basket_rules),
    Section("clv", "客户终身价值 / Customer lifetime value", _clv),
)


def _glance(weekly: pa.Table | None) -> str:
    """The last week's headline KPIs next to the week before."""
    rows = _rows(weekly) if weekly is not None else []
    if not rows:
        return ""
    last, before = rows[-1], rows[-2] if len(rows) > 1 else None
    cells = []
    for name, label in GLANCE.items():
        value = last.get(name)
        if value is None:
            continue
        change = ""
        if before and before.get(name):
            change = f"<small>{value / before[name] - 1:+.1%} 环比 WoW</small>"
        shown = f"{value:.1%}" if name in PERCENTAGES else f"{value:,.2f}".removesuffix(".00")
        cells.append(f"<div class=kpi><span>{label}</span><b>{shown}</b>{change}</div>")
    title = f"<h2>本周概览 / Week of {last['period']} at a glance</h2>"
    return f"<section id=glance>{title}<div class=kpis>{''.join(cells)}</div></section>"


def _notes(notes: pa.Table | None) -> str:
    items = [
        f"<li><code>{html.escape(row['table'])}</code>: {html.escape(row['note'])}</li>"
        for row in (notes.to_pylist() if notes is not None else [])
    ]
    if not items:
        return ""
    return f"<section id=notes><h2>说明 / Notes</h2><ul>{''.join(items)}</ul></section>"


def _file_list(files: list[str]) -> str:
    links = " ".join(f'<a href="{html.escape(name)}">{html.escape(name)}</a>' for name in files)
    return f"<section id=files><h2>数据文件 / Data files</h2><p>{links}</p></section>"


PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; }}
section {{ margin-bottom: 2.5rem; }}
.kpis {{ display: flex; flex-wrap: wrap; gap: 0.75rem; }}
.kpi {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 9rem; }}
.kpi span {{ display: block; font-size: 0.8rem; color: #666; }}
.kpi b {{ font-size: 1.3rem; margin-right: 0.4rem; }}
.missing, .source {{ color: #777; }}
#files a {{ margin-right: 0.6rem; }}
</style>
<script type="text/javascript">{plotlyjs}</script>
</head>
<body>
{body}
</body>
</html>
"""

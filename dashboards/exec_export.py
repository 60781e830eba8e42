"""Executive trends as files: a PNG of the small multiples and a PDF for a quarterly review.

Drawn on the server with matplotlib (Agg, no browser, no display): every measure (rows) per team
and the organisation (columns) across the quarters, each panel a sparkline with a gap and a grey
× where a quarter has no shown figure, and the last change's marker coloured by what the measure
means (green better, vermillion worse, grey unchanged; the marker's shape says the same). The
PDF adds a title page with the period and the privacy note, and the table of the selected
quarter (value, change, n or the reason). Input: the rows of `exec_trends.rows` only, which
already leave out what the privacy floor hides.
"""
from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from . import access  # noqa: E402
from .exec_trends import ARROWS, MEASURES, ORGANISATION  # noqa: E402

COLOURS = {"better": "#009E73", "worse": "#D55E00", "same": "#8a97a6", "neutral": "#8a97a6", "": "#0072B2"}
MARKERS = {"better": "^", "worse": "v", "same": "o", "neutral": "o", "": "o"}
LINE = "#0072B2"
MUTED = "#52606d"


def privacy_note() -> str:
    return (f"Privacy: a team with fewer than {access.MIN_GROUP} people in a quarter is hidden for that quarter "
            "and left out of the organisation's figure; no individual appears. A figure below its minimum "
            "sample shows 'too few: n=…, needs …'. Colours follow what each measure means, not how teams compare; "
            "teams are in alphabetical order.")


def _index(trend_rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in trend_rows:
        out.setdefault((r["measure_key"], r["scope"]), []).append(r)
    return out


def _matrix(fig, trend_rows: list[dict[str, Any]], quarters: list[str], scopes: list[str], top: float = 0.93) -> None:
    """Sparkline grid on `fig`: one row per measure, one column per scope."""
    by = _index(trend_rows)
    n_rows, n_cols = len(MEASURES), len(scopes)
    grid = fig.add_gridspec(n_rows, n_cols + 1, left=0.02, right=0.99, top=top, bottom=0.04, hspace=0.35,
                            wspace=0.15, width_ratios=[2.6] + [1] * n_cols)
    for c, scope in enumerate(scopes):
        ax = fig.add_subplot(grid[0, c + 1])
        ax.set_title(scope, fontsize=7, pad=8)
        ax.axis("off")
    for r, (area, key, label, kind, _better) in enumerate(MEASURES):
        ax = fig.add_subplot(grid[r, 0])
        ax.axis("off")
        ax.text(0, 0.5, label, fontsize=6.5, va="center", ha="left")
        mkey = f"{area}.{key}"
        values = [x["value"] for s in scopes for x in by.get((mkey, s), []) if x["value"] is not None]
        hi = max(values) if values else 1.0
        for c, scope in enumerate(scopes):
            ax = fig.add_subplot(grid[r, c + 1])
            rs = {x["quarter"]: x for x in by.get((mkey, scope), [])}
            ys = [rs[q]["value"] if q in rs and rs[q]["value"] is not None else float("nan") for q in quarters]
            xs = list(range(len(quarters)))
            ax.plot(xs, ys, color=LINE, linewidth=1, marker="o", markersize=1.2)  # dots: a lone quarter shows
            for x, q in zip(xs, quarters):
                cell = rs.get(q)
                if cell is None or cell["value"] is None:
                    ax.plot([x], [0], marker="x", color="#8a97a6", markersize=2.5, linewidth=0)
                elif x == len(quarters) - 1:
                    ax.plot([x], [cell["value"]], marker=MARKERS[cell["direction"]], markersize=3.5,
                            color=COLOURS[cell["direction"]], markerfacecolor="white" if cell["partial"] else None)
            last = rs.get(quarters[-1])
            if last is not None:
                ax.text(len(quarters) - 0.6, hi * 0.5, _short(last, kind), fontsize=5, va="center", ha="left",
                        color=COLOURS[last["direction"]] if last["value"] is not None else MUTED)
            ax.set_xlim(-0.5, len(quarters) + 1.8)
            ax.set_ylim(0, hi * 1.15 if hi else 1)
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ("top", "right", "left"):
                ax.spines[side].set_visible(False)
            ax.spines["bottom"].set_color("#e5ebf2")


def _short(cell: dict[str, Any], kind: str) -> str:
    if cell["value"] is None:
        return "n/a"
    v = cell["value"]
    text = f"{v * 100:.0f}%" if kind == "pct" else (f"{v:.1f}" if kind in ("days", "num") else f"{int(v)}")
    return text + ARROWS[cell["direction"]]


def _scopes(trend_rows: list[dict[str, Any]]) -> list[str]:
    teams = sorted({r["scope"] for r in trend_rows if r["scope"] != ORGANISATION})
    return teams + ([ORGANISATION] if any(r["scope"] == ORGANISATION for r in trend_rows) else [])


def _title(fig, quarters: list[str], subtitle: str) -> None:
    partial = " (the last quarter is partial: figures to date)" if subtitle else ""
    fig.text(0.02, 0.985, f"Culture trends by team, {quarters[0]} – {quarters[-1]}{partial}", fontsize=10,
             va="top", weight="bold")


def png_bytes(trend_rows: list[dict[str, Any]], quarters: list[str]) -> bytes:
    """The small multiples of every measure per team and the organisation, as PNG."""
    scopes = _scopes(trend_rows)
    fig = plt.figure(figsize=(2.2 + 1.05 * len(scopes), 9.5), dpi=150)
    _title(fig, quarters, "partial" if any(r["partial"] for r in trend_rows) else "")
    _matrix(fig, trend_rows, quarters, scopes)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _table_page(pdf: PdfPages, trend_rows: list[dict[str, Any]], quarter: str, scopes: list[str]) -> None:
    fig = plt.figure(figsize=(11.69, 8.27))
    fig.text(0.03, 0.96, f"All measures, {quarter}: value, change from the previous quarter, sample",
             fontsize=11, weight="bold", va="top")
    cells, colours = [], []
    by = {(r["measure_key"], r["scope"]): r for r in trend_rows if r["quarter"] == quarter}
    for area, key, label, _kind, _b in MEASURES:
        row, row_c = [label], ["white"]
        for s in scopes:
            r = by.get((f"{area}.{key}", s))
            if r is None:
                row.append("—")
                row_c.append("white")
            elif r["value"] is None:
                row.append(r["reason"].replace("hidden: ", "hidden:\n"))
                row_c.append("#f0f4f8")
            else:
                n = f" n={r['n']}" if r["n"] is not None else ""
                row.append(f"{r['text']} {r['change']}{ARROWS[r['direction']]}\n{n.strip()}")
                row_c.append({"better": "#e3f4ee", "worse": "#fbe9df"}.get(r["direction"], "white"))
        cells.append(row)
        colours.append(row_c)
    ax = fig.add_axes([0.02, 0.08, 0.96, 0.84])
    ax.axis("off")
    table = ax.table(cellText=cells, cellColours=colours, colLabels=["measure"] + scopes, loc="upper left",
                     cellLoc="left", colWidths=[0.2] + [0.8 / max(len(scopes), 1)] * len(scopes))
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)
    table.scale(1, 2.1)
    fig.text(0.03, 0.03, "Green: better by what the measure means; vermillion: worse; ▲▼ say the same.",
             fontsize=7, color=MUTED)
    pdf.savefig(fig)
    plt.close(fig)


def pdf_bytes(trend_rows: list[dict[str, Any]], quarters: list[str], generated: str) -> bytes:
    """A quarterly-review PDF: title, period and privacy note, the small multiples, the quarter's table."""
    scopes = _scopes(trend_rows)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": f"Teamflow culture trends {quarters[0]} to {quarters[-1]}",
                                 "Creator": "Teamflow"}) as pdf:
        fig = plt.figure(figsize=(11.69, 8.27))
        fig.text(0.05, 0.85, "Teamflow: culture trends by team", fontsize=24, weight="bold")
        fig.text(0.05, 0.78, f"Quarters {quarters[0]} to {quarters[-1]} ({len(quarters)} quarters)", fontsize=14)
        if any(r["partial"] for r in trend_rows):
            fig.text(0.05, 0.74, f"{quarters[-1]} has not ended: its figures are to date.", fontsize=11, color=MUTED)
        fig.text(0.05, 0.68, f"Teams: {', '.join(s for s in scopes if s != ORGANISATION)}", fontsize=11, wrap=True)
        fig.text(0.05, 0.56, privacy_note(), fontsize=11, wrap=True, va="top")
        fig.text(0.05, 0.08, f"Generated {generated} from the Teamflow executive page.", fontsize=9, color=MUTED)
        pdf.savefig(fig)
        plt.close(fig)
        fig = plt.figure(figsize=(11.69, 8.27))
        _title(fig, quarters, "partial" if any(r["partial"] for r in trend_rows) else "")
        _matrix(fig, trend_rows, quarters, scopes)
        pdf.savefig(fig)
        plt.close(fig)
        _table_page(pdf, trend_rows, quarters[-1], scopes)
    return buf.getvalue()

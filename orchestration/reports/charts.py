"""The report's charts as PNG bytes, drawn with matplotlib in a Chinese-capable font.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so drawing a report
changes no global state of the process (the nightly load shares it).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Sequence
from functools import lru_cache

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .data import DispatchData, Row

LOG = logging.getLogger(__name__)

# Simplified-Chinese faces first: the report is read in Gansu.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK JP",
    "AR PL UMing CN",
)
FONT_FILE_HINTS = ("cjk", "wqy", "sourcehan", "simhei", "msyh", "pingfang", "uming")

DPI = 144
INK = "#1f2d3d"
PERSONS_COLOR = "#c0392b"
FOCUS_COLOR = "#e67e22"
VILLAGES_COLOR = "#2c6fbb"
GAPS_COLOR = "#7d3c98"
TARGET_COLOR = "#d5dbe3"


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font that has Chinese glyphs, or None (with a warning).

    matplotlib's font list is cached on disk and does not see fonts installed after it was
    built, so the font folders are scanned once more before giving up.
    """
    found = _known_cjk_font()
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(hint in path.lower() for hint in FONT_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = _known_cjk_font()
    if found is None:
        LOG.warning(
            "no CJK font found (install fonts-noto-cjk): Chinese in the report's charts "
            "will show as empty boxes"
        )
    return found


def _known_cjk_font() -> str | None:
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _style() -> dict[str, object]:
    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        # The CJK fonts lack U+2212, matplotlib's minus sign; use the ASCII hyphen.
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#8a96a3",
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "font.size": 10,
    }


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        if cjk_font() is None:
            # Already said once in cjk_font(); not once more for every missing character.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        # No timestamp or software tag: the same data gives the same bytes.
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                       metadata={"Software": None})
    return buffer.getvalue()


def _thousands(axes: Axes) -> None:
    axes.yaxis.set_major_formatter(lambda value, _position: f"{value:,.0f}")


def progress_chart(data: DispatchData) -> bytes:
    """(a) Progress to zero per tier: persons, villages and open "3+1" gaps by month.

    A hollow marker is a month in which not every county of the tier reported, so its total
    is lower than the truth; the tick labels say how many reported.
    """
    with rc_context(_style()):
        figure = Figure(figsize=(13, 4.4), layout="constrained")
        persons, villages, gaps = figure.subplots(1, 3)
        months = data.months
        # How many reported is in the table under the chart; a tick holds only the month.
        ticks = [f"{int(m[5:])}月" for m in months]
        full = [row["counties_missing"] == 0 for row in data.overview]
        province = {row["period"]: row for row in data.province_trend}
        focus_full = [province.get(m, {}).get("counties_reporting") == 8 for m in months]

        _line(persons, months, [r["unlifted_persons"] for r in data.overview], full,
              PERSONS_COLOR, "75县未脱贫人口 unlifted (75 counties)")
        _line(persons, months, [province.get(m, {}).get("persons_remaining") for m in months],
              focus_full, FOCUS_COLOR, "8个挂牌县剩余 remaining (8 counties)")
        persons.set_title("未脱贫人口（人） persons not yet lifted", loc="left", fontsize=11)

        _line(villages, months, [r["focus_villages_remaining"] for r in data.overview],
              [True] * len(months), VILLAGES_COLOR, "394村未退出 of the 394 villages")
        _line(villages, months, [province.get(m, {}).get("villages_remaining") for m in months],
              focus_full, FOCUS_COLOR, "8个挂牌县未退出 in the 8 counties")
        villages.set_title("未退出贫困村（个） villages not yet exited", loc="left", fontsize=11)

        _line(gaps, months, [province.get(m, {}).get("open_gaps") for m in months],
              focus_full, GAPS_COLOR, "8个挂牌县 the 8 counties")
        gaps.set_title('"3+1"未清零问题（个） open gaps', loc="left", fontsize=11)

        for axes in (persons, villages, gaps):
            axes.set_xticks(range(len(months)), ticks, fontsize=9)
            axes.set_ylim(bottom=0)
            axes.grid(axis="y", color="#e3e7ec")
            _thousands(axes)
            axes.set_axisbelow(True)
            # Below the plot: above it the legend would hide the months that matter.
            if axes.get_legend_handles_labels()[0]:
                axes.legend(fontsize=8, frameon=False, loc="upper center",
                            bbox_to_anchor=(0.5, -0.2), ncols=1)
        figure.suptitle("空心点：当月有县未报送，合计偏低  hollow marker: some counties did not "
                        "report, so the total is low", fontsize=8, color="#5b6b7b", x=0.99,
                        ha="right")
        return _png(figure)


def _line(axes: Axes, months: Sequence[str], values: Sequence[object], complete: Sequence[bool],
          color: str, label: str) -> None:
    points = [(i, float(v), ok) for i, (v, ok) in enumerate(zip(values, complete, strict=True))
              if v is not None]
    if not points:
        return
    axes.plot([p[0] for p in points], [p[1] for p in points], color=color, linewidth=2,
              label=label)
    for index, value, ok in points:
        axes.plot(index, value, "o", color=color, markersize=6,
                  markerfacecolor=color if ok else "white", markeredgewidth=1.5)
    last_index, last_value, _ = points[-1]
    axes.annotate(f"{last_value:,.0f}", (last_index, last_value), textcoords="offset points",
                  xytext=(0, 8), ha="center", fontsize=9, color=color, fontweight="bold")


def counties_chart(province: list[Row]) -> bytes:
    """(c) The 8 counties against their 附件1 targets: persons and villages still open."""
    with rc_context(_style()):
        figure = Figure(figsize=(13, 4.2), layout="constrained")
        persons, villages = figure.subplots(1, 2, sharey=True)
        names = [row["county_name"] for row in province]
        rows = range(len(province))
        _target_bars(persons, rows, province, "target_persons", "persons_remaining",
                     PERSONS_COLOR, "人")
        persons.set_title("未脱贫人口 persons: 目标 target vs 剩余 remaining", loc="left",
                          fontsize=11)
        _target_bars(villages, rows, province, "target_villages_to_exit", "villages_remaining",
                     VILLAGES_COLOR, "村")
        villages.set_title("贫困村退出 villages: 目标 target vs 未退出 remaining", loc="left",
                           fontsize=11)
        persons.set_yticks(list(rows), names)
        persons.invert_yaxis()
        for axes in (persons, villages):
            axes.grid(axis="x", color="#e3e7ec")
            axes.set_axisbelow(True)
            axes.xaxis.set_major_formatter(lambda value, _position: f"{value:,.0f}")
            axes.legend(fontsize=8, frameon=False, loc="lower right")
        return _png(figure)


def _target_bars(axes: Axes, rows: range, province: list[Row], target: str, remaining: str,
                 color: str, unit: str) -> None:
    targets = [row[target] or 0 for row in province]
    axes.barh(list(rows), targets, color=TARGET_COLOR, height=0.7, label="目标 target (附件1)")
    left = [row[remaining] if row["reported"] else 0 for row in province]
    axes.barh(list(rows), [v or 0 for v in left], color=color, height=0.42,
              label="剩余 remaining")
    scale = max(targets) if targets and max(targets) else 1
    for index, row in zip(rows, province, strict=True):
        if not row["reported"]:
            text = "本月未报送 not reported"
        else:
            text = f"{row[remaining]:,}{unit} / {row[target]:,}{unit}"
        axes.text(max(targets[index], 0) + scale * 0.01, index, text, va="center", fontsize=8,
                  color=INK)
    axes.set_xlim(0, scale * 1.32)

"""Bar charts as plain SVG, drawn on the server: readable without JavaScript, the same bytes for
the same data on every run, every bar labelled for screen readers (<title> and aria-label).

Our own few dozen lines rather than a chart library: the pages need horizontal bars and nothing
else, a Vega-Lite renderer would add a large binary dependency and tens of milliseconds per chart,
and text in SVG is drawn by the browser with its own fonts, so Korean labels need nothing special.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 640
LABEL_WIDTH = 330
BAR_HEIGHT = 16
GAP = 6
GROUP_GAP = 12
COLOURS = ("#9db4c0", "#2b6777", "#c96f53")  # series 0, 1, 2: muted, strong, contrast


@dataclass(frozen=True)
class Bar:
    label: str        # what the bar is (shown left of it)
    value: float
    text: str         # the value as people read it, with its unit ("44건", "15%")
    series: int = 0   # colour: 0 before / average, 1 after / growth


def _number(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bar_chart(title: str, groups: list[list[Bar]], *, shared_scale: bool = True) -> str:
    """An SVG of horizontal bars in groups (a before/after pair is a group of two).  With
    ``shared_scale`` every bar uses one scale; otherwise each group is scaled to its own largest
    value (for pairs of different units).  Negative values are drawn as zero-length bars."""
    rows = sum(len(g) for g in groups)
    height = 28 + rows * (BAR_HEIGHT + GAP) + max(0, len(groups) - 1) * GROUP_GAP + 8
    plot = WIDTH - LABEL_WIDTH - 70
    top_all = max([b.value for g in groups for b in g] + [0]) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" role="group" aria-label="{escape(title)}" class="chart">',
           f'<title>{escape(title)}</title>',
           f'<text x="0" y="16" class="chart-title" font-size="14" font-weight="bold">{escape(title)}</text>']
    y = 28
    for index, group in enumerate(groups):
        if index:
            y += GROUP_GAP
        top = top_all if shared_scale else (max([b.value for b in group] + [0]) or 1)
        for bar in group:
            length = max(0.0, bar.value) / top * plot
            name = f"{bar.label}: {bar.text}"
            out.append(f'<g role="img" aria-label="{escape(name)}"><title>{escape(name)}</title>'
                       f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end" '
                       f'font-size="12">{escape(_clip(bar.label))}</text>'
                       f'<rect x="{LABEL_WIDTH}" y="{y}" width="{_number(length)}" height="{BAR_HEIGHT}" '
                       f'fill="{COLOURS[bar.series % len(COLOURS)]}"/>'
                       f'<text x="{_number(LABEL_WIDTH + length + 4)}" y="{y + BAR_HEIGHT - 4}" '
                       f'font-size="12">{escape(bar.text)}</text></g>')
            y += BAR_HEIGHT + GAP
    out.append("</svg>")
    return "".join(out)


def _clip(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"

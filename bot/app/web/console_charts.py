"""Charts of the metrics page as SVG documents, drawn on the server with matplotlib.

matplotlib 3.5.3 is already installed and pinned (a dependency of Rasa, in constraints.txt and now
named in requirements.txt), renders SVG without a browser, and keeps text as text
(``svg.fonttype: none``), so no script and no new package is needed. Its SVG uses ``style``
attributes, which the console page's CSP (``style-src 'self'``) would block inline: each chart is
served as its own ``image/svg+xml`` response and shown with ``<img>`` (``console_metrics``).

Only the object-oriented API is used (``Figure``, never ``pyplot``'s global state), matplotlib is
imported on first use (about a second, not at the web process's start), and drawing holds a lock
because rcParams are process-wide. Blocking: call from a worker thread.
"""

from __future__ import annotations

import io
import re
import textwrap
import threading
from typing import Any, Sequence, Tuple

BLUE, GREEN, ORANGE, GREY = "#0b4f8a", "#1e6b34", "#b35900", "#5b6470"
STATUS_COLOURS = ("#0b4f8a", "#6c8ebf", "#b35900", "#8a6d00", "#1e6b34", "#a4161a", "#5b6470")
WIDTH, ROW_HEIGHT = 6.0, 0.55  # inches (the SVG scales to its box: legible on a 390 px phone too)
LABEL_LENGTH, LINE_LENGTH = 52, 26
EMPTY_TEXT = "Sin datos en este período"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_lock = threading.Lock()
_RC = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable, legible when zoomed
    "svg.hashsalt": "consola-metricas",  # the same data draws the same file
    "font.family": "DejaVu Sans",
    "font.size": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": GREY,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
}


def label(text: str, length: int = LABEL_LENGTH) -> str:
    """Text fit for a chart label: no control characters, cut to ``length``, ``$`` never read as mathtext."""
    flat = " ".join(_CONTROL.sub(" ", text or "").split())
    if len(flat) > length:
        flat = flat[: length - 1] + "…"
    return flat.replace("$", r"\$")


def tick(text: str) -> str:
    """A bar's label on at most two lines of ``LINE_LENGTH`` characters (cut with an ellipsis)."""
    lines = textwrap.wrap(label(text), LINE_LENGTH) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: LINE_LENGTH - 1] + "…"]
    return "\n".join(lines)


def _title(figure: Any, text: str) -> None:
    figure.suptitle(label(text, 80), x=0.01, ha="left", fontweight="bold", fontsize=13)


def _figure(height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), dpi=72, layout="constrained")


def _svg(figure: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _draw(height: float, paint: Any) -> str:
    import matplotlib

    with _lock, matplotlib.rc_context(_RC):
        figure = _figure(height)
        paint(figure)
        return _svg(figure)


def _empty(axes: Any) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", color=GREY, transform=axes.transAxes)


def stacked_days(
    title: str, days: Sequence[str], series: Sequence[Tuple[str, Sequence[int], str]], tick_every: int = 1
) -> str:
    """Vertical bars per day, one stacked segment per ``(name, values, colour)`` series, with a legend."""

    def paint(figure: Any) -> None:
        _title(figure, title)
        axes = figure.subplots()
        if not days or not any(any(values) for _, values, _ in series):
            _empty(axes)
            return
        bottom = [0] * len(days)
        for name, values, colour in series:
            axes.bar(range(len(days)), values, bottom=bottom, color=colour, label=label(name), width=0.8)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        step = max(1, tick_every)
        axes.set_xticks(list(range(0, len(days), step)))
        axes.set_xticklabels([label(days[i]) for i in range(0, len(days), step)], rotation=60, ha="right")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(loc="upper left", frameon=False, ncol=len(series), fontsize=11)
        axes.margins(y=0.2)

    return _draw(3.8, paint)


def donut(title: str, parts: Sequence[Tuple[str, int, str]]) -> str:
    """A ring with one wedge per ``(name, value, colour)``, the share of each in its legend."""

    def paint(figure: Any) -> None:
        _title(figure, title)
        total = sum(value for _, value, _ in parts)
        if not total:
            _empty(figure.subplots())
            return
        ring, key = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
        shown = [(n, v, c) for n, v, c in parts if v]
        wedges, _texts = ring.pie(
            [v for _, v, _ in shown],
            colors=[c for _, _, c in shown],
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.38, "edgecolor": "white"},
        )
        ring.set_aspect("equal")
        key.set_axis_off()
        names = [tick(f"{n}: {v} ({100 * v / total:.1f} %)".replace(".", ",")) for n, v, _ in shown]
        key.legend(wedges, names, loc="center left", frameon=False)

    return _draw(3.2, paint)


def horizontal_bars(title: str, items: Sequence[Tuple[str, float]], colour: str = BLUE, unit: str = "") -> str:
    """One horizontal bar per ``(name, value)``, the first on top, each with its value at its end."""

    def paint(figure: Any) -> None:
        _title(figure, title)
        axes = figure.subplots()
        if not items:
            _empty(axes)
            return
        positions = list(range(len(items)))
        values = [value for _, value in items]
        axes.barh(positions, values, color=colour, height=0.65)
        axes.set_yticks(positions)
        axes.set_yticklabels([tick(name) for name, _ in items])
        axes.invert_yaxis()
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_xlim(0, max(values) * 1.15 or 1)
        for y, value in zip(positions, values, strict=True):
            axes.text(value, y, f" {_number(value)}{unit}", va="center", color="#1b1f24")

    return _draw(max(2.0, 1.0 + ROW_HEIGHT * len(items)), paint)


def stacked_bars(title: str, rows: Sequence[str], segments: Sequence[Tuple[str, Sequence[int]]]) -> str:
    """Horizontal bars per row (the first on top), stacked by ``(name, values per row)`` segments."""

    def paint(figure: Any) -> None:
        _title(figure, title)
        axes = figure.subplots()
        if not rows:
            _empty(axes)
            return
        positions = list(range(len(rows)))
        left = [0] * len(rows)
        for index, (name, values) in enumerate(segments):
            colour = STATUS_COLOURS[index % len(STATUS_COLOURS)]
            axes.barh(positions, values, left=left, color=colour, label=label(name), height=0.65)
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_yticks(positions)
        axes.set_yticklabels([tick(name) for name in rows])
        axes.invert_yaxis()
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)

    return _draw(max(2.4, 1.6 + ROW_HEIGHT * len(rows)), paint)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def every(count: int, most: int = 16) -> int:
    """The step between day labels so that at most ``most`` are written."""
    return max(1, -(-count // most))

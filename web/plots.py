"""Figures for the pages, drawn server-side with matplotlib (SVG text, no script, no CDN)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def interval_chart(
    rows: Sequence[tuple[str, float, float, float]],
    title: str,
    threshold: float | None = None,
    reference: float | None = None,
    axis: str = "",
) -> str:
    """A horizontal chart of estimates with their 95 % intervals (label, value, low, high),
    a dashed line at ``threshold`` (the floor to clear) and a dotted one at ``reference``;
    returns the SVG document."""
    height = 1.4 + 0.5 * max(1, len(rows))
    fig, ax = plt.subplots(figsize=(8, height))
    labels = [r[0] for r in rows]
    y = list(range(len(rows)))
    values = [r[1] for r in rows]
    lows = [r[1] - r[2] for r in rows]
    highs = [r[3] - r[1] for r in rows]
    ax.errorbar(values, y, xerr=[lows, highs], fmt="o", color="#0b5394", ecolor="#5b7fa6",
                capsize=3)  # fmt: skip
    if threshold is not None:
        ax.axvline(threshold, color="#a4161a", linestyle="--", linewidth=1, label="seuil")
    if reference is not None:
        ax.axvline(reference, color="#4a4a4a", linestyle=":", linewidth=1, label="parité")
    ax.set_yticks(y, labels, fontsize=11)
    ax.tick_params(axis="x", labelsize=10)
    if axis:
        ax.set_xlabel(axis, fontsize=10)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=12)
    ax.grid(axis="x", alpha=0.3)
    if threshold is not None or reference is not None:
        ax.legend(fontsize=10, loc="lower right")
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    svg = out.getvalue()
    return svg[svg.index("<svg") :]

"""Figures of what the CNNs learned: filters beside their kernels, and an event's attribution."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecnn.telemetry.laps.schema import ON_OFF

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from telecnn.explain.attribution import Attribution
    from telecnn.explain.filters import FilterReport

FILTER_COLOUR, KERNEL_COLOUR = "tab:blue", "tab:orange"
#: Seconds of lap shown before and after an explained event.
CONTEXT_S = 6.0


def plot_filters(report: FilterReport) -> Figure:
    """Every first-layer filter beside the classic kernel it resembles most.

    Trace filters: one row per filter, one column per input channel; the taps as bars and the
    kernel (scaled to the filter's norm and sign) as a line. Image filters: each 3x3 filter
    beside its kernel, on one colour scale per pair.
    """
    if report.weights.ndim == 3:
        return _trace_filters(report)
    return _image_filters(report)


def _trace_filters(report: FilterReport) -> Figure:
    """One panel per input channel; in it every filter's taps (a blue line, one row per filter)
    and its closest kernel scaled to the filter (orange, dashed), labelled at the right."""
    from matplotlib.figure import Figure

    n_filters, n_channels, length = report.weights.shape
    spacing = float(np.abs(report.weights).max()) * 1.3 or 1.0
    fig = Figure(figsize=(2.7 * n_channels, 0.28 * n_filters + 1.4), layout="constrained")
    axes = fig.subplots(1, n_channels, squeeze=False, sharey=True)[0]
    taps = np.arange(length)
    for row_index, row in enumerate(report.table.itertuples()):
        c = report.channels.index(row.channel)
        ax, w = axes[c], report.weights[row.filter, c]
        kernel = report.template(row_index) * np.sign(row.correlation or 1.0)
        scaled = kernel / (np.linalg.norm(kernel) or 1.0) * np.linalg.norm(w)
        y = -row.filter * spacing
        ax.axhline(y, color="0.85", lw=0.5, zorder=0)
        ax.plot(taps, y + scaled, color=KERNEL_COLOUR, lw=1.0, ls="--")
        ax.plot(taps, y + w, color=FILTER_COLOUR, lw=1.4, marker="o", ms=2)
        strong = abs(row.correlation) >= 0.8
        ax.text(
            length - 0.6, y, f"{row.kernel} {row.correlation:+.2f}", fontsize=6.5, va="center",
            fontweight="bold" if strong else "normal", color="black" if strong else "0.45",
        )  # fmt: skip
    for c, name in enumerate(report.channels):
        axes[c].set_title(name, fontweight="bold")
        axes[c].set_xlim(-0.3, length + 2.2)
        axes[c].set_xticks(taps)
        axes[c].set_xlabel("tap")
    axes[0].set_yticks([-f * spacing for f in range(n_filters)], [str(f) for f in range(n_filters)])
    axes[0].set_ylabel("filter")
    fig.suptitle(
        "First-layer filters of the event CNN (blue) and the closest classic kernel (orange, "
        "scaled), by input channel\nlabel: kernel and signed correlation (bold when |r| >= 0.8; "
        "negative: the kernel inverted)",
        fontsize=10,
    )
    return fig


def _image_filters(report: FilterReport) -> Figure:
    from matplotlib.figure import Figure

    n = report.weights.shape[0]
    cols = 4
    rows = -(-n // cols)
    fig = Figure(figsize=(2.6 * cols, 1.5 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, 2 * cols, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, row in enumerate(report.table.itertuples()):
        w = report.weights[row.filter, 0]
        kernel = report.template(k) * np.sign(row.correlation or 1.0)
        scaled = kernel / (np.abs(kernel).max() or 1.0) * np.abs(w).max()
        limit = float(np.abs(w).max()) or 1.0
        left, right = axes[k // cols, 2 * (k % cols)], axes[k // cols, 2 * (k % cols) + 1]
        left.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
        right.imshow(scaled, cmap="RdBu_r", vmin=-limit, vmax=limit)
        left.set_title(f"filter {row.filter}", fontsize=8)
        right.set_title(f"{row.kernel} {row.correlation:+.2f}", fontsize=8)
    fig.suptitle(
        "First-layer filters (left) beside the closest classic kernel (right, signed, same scale)",
        fontsize=10,
    )
    return fig


def plot_attribution(why: Attribution, context_s: float = CONTEXT_S) -> Figure:
    """The channels around the event (lines) and each sample's attribution (bars: red raises the
    event's probability, blue lowers it), one panel per channel, the event shaded."""
    from matplotlib.figure import Figure

    e = why.event
    keep = (why.grid >= e["start_time"] - context_s) & (why.grid <= e["end_time"] + context_s)
    t = why.grid[keep]
    n = len(why.channels)
    fig = Figure(figsize=(11, 1.7 * n + 1.0), layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    limit = float(np.abs(why.attribution[:, keep]).max()) or 1.0
    shares = why.shares
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.1
    for i, (ax, name) in enumerate(zip(axes, why.channels, strict=True)):
        attr = why.attribution[i, keep]
        twin = ax.twinx()
        twin.axvspan(e["start_time"], e["end_time"], color="0.9", zorder=0)
        twin.bar(t, attr, width=step, color=np.where(attr >= 0, "tab:red", "tab:blue"), alpha=0.6)
        twin.set_ylim(-limit * 1.05, limit * 1.05)
        twin.set_yticks([])
        ax.plot(t, why.values[i, keep], color="black", lw=1.2, zorder=3)
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        if name in ("Brake", "DRS"):  # on/off channels
            ax.set_ylim(-0.1, 1.1)
            ax.set_yticks([0, 1], ON_OFF[name])
        ax.set_ylabel(f"{name}\n{shares[name]:.0%}", rotation=0, ha="right", va="center")
    axes[-1].set_xlabel("time in lap (s)")
    fig.suptitle(
        f"Why the CNN marked {why.event_type} at {e['start_time']:.1f}-{e['end_time']:.1f} s "
        f"({why.lap.meta.label()}): p {why.probability:.2f} against {why.baseline_probability:.2f}"
        " on a flat lap\nintegrated gradients per sample (red raises, blue lowers the "
        "probability); left: each channel's share",
        fontsize=10,
    )
    return fig

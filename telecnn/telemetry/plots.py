"""Figures of a lap (stacked channels against distance with events shaded, and the track map)
and of laps compared (speed and time gap along the reference lap)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from telecnn.telemetry.schema import CHANNEL_KIND, CHANNELS, POINT_EVENTS, Lap, taxonomy_order

if TYPE_CHECKING:
    from telecnn.telemetry.compare import Comparison

#: One colour per event type, shared by every figure.
EVENT_COLORS: dict[str, str] = {
    "braking": "tab:red",
    "lift_coast": "tab:orange",
    "clipping": "tab:olive",
    "drs": "tab:green",
    "upshift": "tab:blue",
    "downshift": "tab:purple",
    "wheelspin": "tab:brown",
    "lockup": "black",
}
UNITS = {
    "Speed": "km/h",
    "Throttle": "%",
    "RPM": "rpm",
    "nGear": "gear",
    "Brake": "on",
    "DRS": "code",
}


def plot_lap(lap: Lap, events: pd.DataFrame | None = None, title: str | None = None) -> Any:
    """The lap's channels stacked against distance (time without it) with ``events`` shaded per
    type (the rule events when None), and the X/Y track map coloured by speed when present."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if events is None:
        from telecnn.telemetry.rules import rule_events

        events = rule_events(lap)
    data = lap.data
    channels = [c for c in CHANNELS if c in data.columns]
    use_distance = "Distance" in data.columns
    x = data["Distance" if use_distance else "Time"].to_numpy(dtype=float)
    has_map = {"X", "Y"} <= set(data.columns)
    rows = max(len(channels), 1)
    fig = plt.figure(figsize=(15 if has_map else 11, 1.5 * rows + 1.2))
    grid = fig.add_gridspec(rows, 2 if has_map else 1, width_ratios=[2.2, 1] if has_map else None)
    axes = []
    for i, name in enumerate(channels):
        ax = fig.add_subplot(grid[i, 0], sharex=axes[0] if axes else None)
        draw = ax.step if CHANNEL_KIND[name] == "discrete" else ax.plot
        kwargs = {"where": "post"} if draw == ax.step else {}
        draw(x, data[name].to_numpy(dtype=float), color="0.15", lw=1.0, **kwargs)
        ax.set_ylabel(f"{name}\n({UNITS.get(name, '')})", fontsize=8)
        ax.tick_params(labelsize=7)
        if i < len(channels) - 1:
            ax.tick_params(labelbottom=False)
        axes.append(ax)
    if not axes:
        axes.append(fig.add_subplot(grid[0, 0]))
    axes[-1].set_xlabel("distance (m)" if use_distance else "time (s)")
    key = "distance" if use_distance else "time"
    shown = _shade(axes, events, key)
    handles = [Patch(color=EVENT_COLORS.get(e, "gray"), alpha=0.5, label=e) for e in shown]
    if handles:
        axes[0].legend(
            handles=handles,
            loc="upper center",
            ncol=len(handles),
            fontsize=7,
            bbox_to_anchor=(0.5, 1.45),
            frameon=False,
        )
    if has_map:
        _track_map(fig.add_subplot(grid[:, 1]), lap, events)
    fig.suptitle(title or lap.meta.label(), fontsize=10, y=1.0)
    fig.tight_layout()
    return fig


def _shade(axes: list[Any], events: pd.DataFrame, key: str) -> list[str]:
    shown = []
    if events is None or len(events) == 0:
        return shown
    for name in taxonomy_order(events["event"]):
        rows = events[events["event"] == name]
        color = EVENT_COLORS.get(name, "gray")
        starts = rows[f"start_{key}"].to_numpy(dtype=float)
        ends = rows[f"end_{key}"].to_numpy(dtype=float)
        for ax in axes:
            for a, b in zip(starts, ends, strict=True):
                if np.isnan(a):
                    continue
                if name in POINT_EVENTS:
                    ax.axvline(a, color=color, lw=0.6, alpha=0.5)
                else:
                    ax.axvspan(a, max(b, a + 1e-6), color=color, alpha=0.25, lw=0)
        shown.append(name)
    return shown


def _track_map(ax: Any, lap: Lap, events: pd.DataFrame) -> None:
    data = lap.data
    xs, ys = data["X"].to_numpy(dtype=float), data["Y"].to_numpy(dtype=float)
    color = data["Speed"].to_numpy(dtype=float) if "Speed" in data else None
    ax.plot(xs, ys, color="0.8", lw=4, zorder=1)
    points = ax.scatter(xs, ys, c=color, cmap="viridis", s=8, zorder=2)
    if color is not None:
        ax.figure.colorbar(points, ax=ax, fraction=0.04, label="Speed (km/h)")
    t = data["Time"].to_numpy(dtype=float)
    if events is not None and len(events):
        for name in set(events["event"]):
            if name in POINT_EVENTS:
                continue
            at = events.loc[events["event"] == name, "start_time"].to_numpy(dtype=float)
            ex, ey = np.interp(at, t, xs), np.interp(at, t, ys)
            ax.scatter(
                ex,
                ey,
                marker="o",
                s=40,
                facecolors="none",
                edgecolors=EVENT_COLORS.get(name, "gray"),
                lw=1.5,
                zorder=3,
                label=name,
            )
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best", title="event starts", title_fontsize=7)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("track map", fontsize=9)


def plot_comparison(laps: list[Lap], comparison: Comparison) -> Any:
    """Each lap's speed along the reference lap's distance, its zones of the compared event
    drawn bold and the reference's numbered; below, each lap's time gap to the reference."""
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(13, 6.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]}
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (lap, label) in enumerate(zip(laps, comparison.labels, strict=True)):
        color = colors[k % len(colors)]
        d, t = comparison.aligned[k], lap.data["Time"].to_numpy(dtype=float)
        speed = lap.data["Speed"].to_numpy(dtype=float) if "Speed" in lap.data else None
        if speed is not None:
            top.plot(d, speed, color=color, lw=1.0, label=label)
            for row in comparison.events[k].itertuples():
                inside = (t >= row.start_time) & (t <= row.end_time)
                top.plot(d[inside], speed[inside], color=color, lw=3.0, alpha=0.8)
        if k:
            bottom.plot(comparison.distance, comparison.gaps[label], color=color, lw=1.2)
    for row in comparison.events[0].itertuples():
        top.annotate(
            str(row.Index + 1),
            (row.start_distance, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    top.set_ylabel("Speed (km/h)")
    top.legend(fontsize=8, loc="lower right")
    top.set_title(
        f"{comparison.event} zones (bold, numbered on the reference), "
        f"against {comparison.labels[0]}",
        fontsize=9,
        pad=14,
    )
    bottom.axhline(0.0, color="0.3", lw=0.8)
    bottom.set_ylabel(f"gap to {comparison.labels[0]} (s)", fontsize=8)
    bottom.set_xlabel(f"distance along {comparison.labels[0]} (m)")
    fig.tight_layout()
    return fig

"""Figures of a lap (stacked channels against distance with events shaded, and the track map)
and of laps compared (speed, each lap's zones and the time gap along the reference lap)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.progress import progress_bar
from telecnn.telemetry.analysis.compare import unique_labels
from telecnn.telemetry.analysis.file_names import safe_names
from telecnn.telemetry.analysis.tables import lap_title, session_name
from telecnn.telemetry.analysis.team_colors import team_color
from telecnn.telemetry.laps.schema import (
    CHANNEL_KIND,
    CHANNELS,
    DRS_OPEN_CODES,
    ON_OFF,
    POINT_EVENTS,
    SIM_ONLY_EVENTS,
    Lap,
    taxonomy_order,
)

if TYPE_CHECKING:
    from telecnn.telemetry.analysis.compare import Comparison

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
}
#: Channels drawn as off/on steps (DRS from fastf1's codes: open or not).
#: The least width an event is shaded with, as a share of the x axis (a 0.1 s wheelspin
#: would be a hairline).
MIN_SPAN_SHARE = 0.004


def _channel_values(data: pd.DataFrame, name: str) -> np.ndarray:
    values = data[name].to_numpy(dtype=float)
    if name == "DRS":
        return np.isin(values, list(DRS_OPEN_CODES)).astype(float)
    return values


def plot_lap(lap: Lap, events: pd.DataFrame | None = None, title: str | None = None) -> Any:
    """The lap's channels stacked against distance (time without it) with ``events`` shaded per
    type (the rule events when None; shifts drawn in the gear panel), corner numbers over the
    top panel where the circuit is known, and the X/Y track map coloured by speed with the
    corners, the start/finish line and the direction of travel."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if events is None:
        from telecnn.telemetry.events.rules import rule_events

        events = rule_events(lap)
    data = lap.data
    channels = [c for c in CHANNELS if c in data.columns]
    use_distance = "Distance" in data.columns
    x = data["Distance" if use_distance else "Time"].to_numpy(dtype=float)
    has_map = {"X", "Y"} <= set(data.columns)
    rows = max(len(channels), 1)
    ratio = _map_ratio(lap) if has_map else 1.0
    fig = plt.figure(figsize=(11 + (4.5 if has_map else 0), 1.45 * rows + 1.4))
    grid = fig.add_gridspec(
        rows,
        2 if has_map else 1,
        width_ratios=[2.4, max(0.9, min(1.6, ratio))] if has_map else None,
    )
    axes: dict[str, Any] = {}
    for i, name in enumerate(channels):
        ax = fig.add_subplot(grid[i, 0], sharex=next(iter(axes.values()), None))
        values = _channel_values(data, name)
        if CHANNEL_KIND[name] == "discrete":
            ax.step(x, values, where="post", color="0.15", lw=1.0)
        else:
            ax.plot(x, values, color="0.15", lw=1.0)
        if name in ON_OFF:
            ax.set_yticks([0, 1], ON_OFF[name])
            ax.set_ylim(-0.15, 1.15)
            ax.set_ylabel(name, fontsize=8)
        else:
            ax.set_ylabel(f"{name}\n({UNITS.get(name, '')})", fontsize=8)
        ax.tick_params(labelsize=7)
        if i < len(channels) - 1:
            ax.tick_params(labelbottom=False)
        axes[name] = ax
    if not axes:
        axes["none"] = fig.add_subplot(grid[0, 0])
    panels = list(axes.values())
    panels[-1].set_xlabel("distance (m)" if use_distance else "time (s)")
    key = "distance" if use_distance else "time"
    shift_axis = axes.get("nGear") or axes.get("RPM") or panels[0]
    shown = _shade(panels, shift_axis, events, key, float(np.ptp(x)) if len(x) else 1.0)
    handles = [_legend_patch(Patch, e, lap) for e in shown]
    if handles:
        panels[0].legend(
            handles=handles,
            loc="lower center",
            ncol=len(handles),
            fontsize=7,
            bbox_to_anchor=(0.5, 1.0 if lap.corners is None or not use_distance else 1.12),
            frameon=False,
        )
    if use_distance:
        _corner_labels(panels[0], lap)
    if has_map:
        _track_map(fig.add_subplot(grid[:, 1]), lap, events)
    fig.suptitle(title or lap_title(lap), fontsize=10)
    fig.tight_layout()
    return fig


def _legend_patch(patch: Any, event: str, lap: Lap) -> Any:
    label = f"{event} (unconfirmed)" if event in SIM_ONLY_EVENTS and lap.truth is None else event
    return patch(color=EVENT_COLORS.get(event, "gray"), alpha=0.5, label=label)


def _map_ratio(lap: Lap) -> float:
    """Width over height of the track map."""
    x, y = lap.columns["X"].astype(float), lap.columns["Y"].astype(float)
    width, height = float(np.nanmax(x) - np.nanmin(x)), float(np.nanmax(y) - np.nanmin(y))
    return width / height if height > 0 else 1.0


def _shade(
    axes: list[Any], shift_axis: Any, events: pd.DataFrame, key: str, span: float
) -> list[str]:
    """Shade interval events on every panel and draw point events (shifts) on one."""
    shown = []
    if events is None or len(events) == 0:
        return shown
    least = MIN_SPAN_SHARE * span
    for name in taxonomy_order(events["event"]):
        rows = events[events["event"] == name]
        color = EVENT_COLORS.get(name, "gray")
        starts = rows[f"start_{key}"].to_numpy(dtype=float)
        ends = rows[f"end_{key}"].to_numpy(dtype=float)
        for a, b in zip(starts, ends, strict=True):
            if np.isnan(a):
                continue
            if name in POINT_EVENTS:
                shift_axis.axvline(a, color=color, lw=0.8, alpha=0.7)
                continue
            strong = name in SIM_ONLY_EVENTS  # short: drawn darker to be seen
            for ax in axes:
                ax.axvspan(a, max(b, a + least), color=color, alpha=0.45 if strong else 0.22, lw=0)
        shown.append(name)
    return shown


def _corner_labels(ax: Any, lap: Lap, distances: np.ndarray | None = None) -> None:
    """Corner numbers above the panel, at each corner's distance along the lap (those a
    partial lap does not pass left out), in rows where neighbours would overlap."""
    if lap.corners is None:
        return
    from telecnn.telemetry.analysis.corners import corner_distances

    at = corner_distances(lap, lap.corners) if distances is None else distances
    known = np.isfinite(at)
    names, at = lap.corners["corner"].to_numpy()[known], at[known]
    rows = label_rows(at, names, ax)
    for label, d, row in zip(names, at, rows, strict=True):
        _label_above(ax, label, d, "center", color="0.25", row=row)
        ax.axvline(d, color="0.6", lw=0.5, ls=":")


#: Points a corner label's text takes per character, and the gap left between two labels.
LABEL_POINTS_PER_CHAR = 4.6
LABEL_GAP_POINTS = 3.0


def label_rows(at: np.ndarray, names: np.ndarray, ax: Any) -> np.ndarray:
    """The row (0: just above the panel, 1: above that...) of each label at ``at`` (data
    units) so that no two labels in a row overlap on the axes' current width."""
    left, right = ax.get_xlim()
    width_points = ax.get_window_extent().width * 72.0 / ax.figure.dpi
    per_unit = width_points / max(right - left, 1e-9)
    half = np.array([len(str(n)) for n in names]) * LABEL_POINTS_PER_CHAR / 2 + LABEL_GAP_POINTS
    rows = np.zeros(len(at), dtype=np.int64)
    ends: list[float] = []  # each row's rightmost label edge, in points
    for k in np.argsort(at, kind="stable"):
        centre = (at[k] - left) * per_unit
        row = next((r for r, end in enumerate(ends) if centre - half[k] >= end), len(ends))
        if row == len(ends):
            ends.append(-np.inf)
        ends[row] = centre + half[k]
        rows[k] = row
    return rows


def _label_above(ax: Any, text: str, x: float, ha: str, color: str = "black", row: int = 0) -> None:
    """A small label just above the panel at ``x`` (data units), in row ``row``."""
    ax.annotate(
        text,
        (x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 2 + 8 * row),
        textcoords="offset points",
        ha=ha,
        va="bottom",
        fontsize=7,
        color=color,
    )


def _track_map(ax: Any, lap: Lap, events: pd.DataFrame) -> None:
    data = lap.data
    xs, ys = data["X"].to_numpy(dtype=float), data["Y"].to_numpy(dtype=float)
    color = data["Speed"].to_numpy(dtype=float) if "Speed" in data else None
    ax.plot(xs, ys, color="0.85", lw=5, zorder=1, solid_capstyle="round")
    points = ax.scatter(xs, ys, c=color, cmap="viridis", s=7, zorder=2)
    if color is not None:
        ax.figure.colorbar(points, ax=ax, fraction=0.04, pad=0.02, label="Speed (km/h)")
    t = data["Time"].to_numpy(dtype=float)
    if events is not None and len(events):
        for name in taxonomy_order(events["event"]):
            if name in POINT_EVENTS:
                continue
            at = events.loc[events["event"] == name, "start_time"].to_numpy(dtype=float)
            ax.scatter(
                np.interp(at, t, xs),
                np.interp(at, t, ys),
                marker="o",
                s=42,
                facecolors="none",
                edgecolors=EVENT_COLORS.get(name, "gray"),
                lw=1.5,
                zorder=3,
                label=name,
            )
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best", title="event starts", title_fontsize=7)
    _start_and_direction(ax, xs, ys)
    if lap.corners is not None and np.isfinite(lap.corners[["X", "Y"]].to_numpy(float)).all():
        _map_corners(ax, lap.corners, xs, ys)
    ax.set_aspect("equal", adjustable="box")
    pad_x, pad_y = 0.06 * np.ptp(xs), 0.06 * np.ptp(ys)
    ax.set_xlim(np.nanmin(xs) - pad_x, np.nanmax(xs) + pad_x)
    ax.set_ylim(np.nanmin(ys) - pad_y, np.nanmax(ys) + pad_y)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("track map", fontsize=9)


def _start_and_direction(ax: Any, xs: np.ndarray, ys: np.ndarray) -> None:
    """The start/finish line across the track at the first sample, and an arrow a little
    further on showing which way the lap runs."""
    if len(xs) < 8:
        return
    ahead = max(4, len(xs) // 40)
    dx, dy = xs[ahead] - xs[0], ys[ahead] - ys[0]
    norm = float(np.hypot(dx, dy)) or 1.0
    half = 0.035 * max(np.ptp(xs), np.ptp(ys))
    nx, ny = -dy / norm * half, dx / norm * half
    ax.plot([xs[0] - nx, xs[0] + nx], [ys[0] - ny, ys[0] + ny], color="black", lw=2.5, zorder=4)
    ax.annotate(
        "",
        xy=(xs[2 * ahead], ys[2 * ahead]),
        xytext=(xs[ahead], ys[ahead]),
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
        zorder=4,
    )
    ax.annotate("start/finish", (xs[0] + nx, ys[0] + ny), fontsize=7, ha="center", va="bottom")


def _map_corners(ax: Any, corners: pd.DataFrame, xs: np.ndarray, ys: np.ndarray) -> None:
    """Corner labels beside the track, pushed away from its centre."""
    cx, cy = float(np.nanmean(xs)), float(np.nanmean(ys))
    push = 0.05 * max(np.ptp(xs), np.ptp(ys))
    for row in corners.itertuples():
        away = np.array([row.X - cx, row.Y - cy])
        away = away / (np.hypot(*away) or 1.0) * push
        ax.annotate(
            row.corner,
            (row.X + away[0], row.Y + away[1]),
            fontsize=7,
            ha="center",
            va="center",
            color="0.1",
            zorder=5,
        )


def lap_colors(laps: list[Lap]) -> list[str]:
    """A colour per lap: its team's (fastf1's colours) where the team is known and not taken
    by an earlier lap of another driver, else matplotlib's cycle."""
    import matplotlib.pyplot as plt

    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    out, used = [], {}
    for k, lap in enumerate(laps):
        color = team_color(lap.meta.team, lap.meta.year)
        if color is None or used.get(color, lap.meta.driver) != lap.meta.driver:
            color = cycle[k % len(cycle)]
        used.setdefault(color, lap.meta.driver)
        out.append(color)
    return out


def plot_comparison(laps: list[Lap], comparison: Comparison) -> Any:
    """Each lap's speed along the reference lap's distance (the reference's zones shaded and
    labelled by corner), a strip of every lap's zones, and each lap's time gap to the
    reference (+ is slower)."""
    import matplotlib.pyplot as plt

    fig, (top, strip, bottom) = plt.subplots(
        3,
        1,
        figsize=(13, 7.5),
        sharex=True,
        gridspec_kw={"height_ratios": [2.4, 0.3 + 0.18 * len(laps), 1.1]},
    )
    colors = lap_colors(laps)
    color = EVENT_COLORS.get(comparison.event, "gray")
    for row in comparison.events[0].itertuples():
        top.axvspan(row.start_distance, row.end_distance, color=color, alpha=0.15, lw=0)
    for k, (lap, label) in enumerate(zip(laps, comparison.labels, strict=True)):
        d = comparison.aligned[k]
        if "Speed" in lap.data:
            top.plot(
                d, lap.data["Speed"].to_numpy(dtype=float), color=colors[k], lw=1.1, label=label
            )
        spans = [
            (r.start_distance, r.end_distance - r.start_distance)
            for r in comparison.events[k].itertuples()
        ]
        strip.broken_barh(spans, (k - 0.4, 0.8), color=colors[k], alpha=0.8)
        if k:
            bottom.plot(comparison.distance, comparison.gaps[label], color=colors[k], lw=1.2)
    _zone_labels(top, comparison)
    top.set_ylabel("Speed (km/h)")
    top.legend(fontsize=8, loc="lower right")
    top.set_title(
        f"{comparison.event} zones of {comparison.labels[0]} shaded; each lap's below",
        fontsize=9,
        pad=14,
    )
    strip.set_yticks(range(len(laps)), comparison.labels, fontsize=7)
    strip.set_ylim(len(laps) - 0.5, -0.5)
    strip.set_ylabel(comparison.event, fontsize=8)
    bottom.axhline(0.0, color="0.3", lw=0.8)
    bottom.set_ylabel(f"gap to {comparison.labels[0]}\n(s, + = slower)", fontsize=8)
    bottom.set_xlabel(f"distance along {comparison.labels[0]} (m)")
    fig.suptitle(session_name(laps), fontsize=10)
    fig.tight_layout()
    return fig


def _zone_labels(ax: Any, comparison: Comparison) -> None:
    """Each reference zone's corner (or its number) over the speed panel."""
    ref = comparison.zones[comparison.zones["label"] == comparison.labels[0]]
    for row in ref.itertuples():
        name = row.corner if isinstance(row.corner, str) else str(row.zone)
        _label_above(ax, name, row.start_distance, "left")


def lap_figure_paths(laps: list[Lap], path: str | Path) -> list[Path]:
    """Where each lap's figure goes: ``path`` for one lap; for several, one file a lap named
    after it (``events.png`` -> ``events_VER_lap_12.png``): names safe, distinct and stable
    (:func:`~telecnn.telemetry.analysis.file_names.safe_names`), within the file system's limit."""
    path = Path(path)
    if len(laps) == 1:
        return [path]
    room = _name_max(path.parent) - len(f"{path.stem}_{path.suffix}".encode())
    try:
        names = safe_names(unique_labels(laps), room)
    except ValueError:
        raise TelecnnError(
            f"{path.name}: too long a name to add each lap's name to: choose a shorter one"
        ) from None
    return [path.with_name(f"{path.stem}_{name}{path.suffix}") for name in names]


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the file system of ``folder`` (or the nearest folder
    above it that exists) takes."""
    for where in (folder, *folder.resolve().parents):
        if where.is_dir():
            try:
                return int(os.pathconf(where, "PC_NAME_MAX"))
            except (OSError, ValueError, AttributeError):
                break
    return 255


def save_lap_figures(
    laps: list[Lap], found: list[pd.DataFrame], path: str | Path, progress: bool = True
) -> list[Path]:
    """Each lap's :func:`plot_lap` saved (atomically) at :func:`lap_figure_paths`."""

    from telecnn.atomic import check_output, save_figure

    targets = lap_figure_paths(laps, path)
    for target in targets:  # none replaces an input, before any figure is drawn
        check_output(target)
    items = progress_bar(list(zip(laps, found, targets, strict=True)), what="figures",
                         unit="lap", show=progress and len(laps) > 1)  # fmt: skip
    return [save_figure(plot_lap(lap, events), target) for lap, events, target in items]

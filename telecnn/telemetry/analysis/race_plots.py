"""The energy picture of a race: lap by lap per driver, seconds of lift-and-coast and of
clipping, and the lap times, as heatmaps (one row a driver) that stay readable for 20 drivers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from telecnn.telemetry.analysis.team_colors import team_color

#: The panels: summary column, title, colour map.
PANELS: tuple[tuple[str, str, str], ...] = (
    ("lift_coast_s", "lift-and-coast (s per lap)", "Oranges"),
    ("clipping_s", "clipping: full throttle, speed not rising (s per lap)", "Greens"),
    ("lap_time", "lap time (s): the fastest to 110% of it, slower laps darkest", "viridis_r"),
)


def _grid(table: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Drivers x lap numbers of one column (NaN where a driver has no such lap)."""
    laps = table["lap"].astype("float").fillna(table.groupby("driver").cumcount() + 1.0)
    frame = table.assign(_lap=laps.astype(int))
    wide = frame.pivot_table(index="driver", columns="_lap", values=column, sort=False)
    drivers = list(dict.fromkeys(table["driver"]))
    every = range(int(frame["_lap"].min()), int(frame["_lap"].max()) + 1)
    wide = wide.reindex(index=drivers, columns=every)
    return wide.to_numpy(dtype=float), list(wide.index), wide.columns.to_numpy()


def plot_summary(table: pd.DataFrame, title: str | None = None, year: int | None = None) -> Any:
    """Heatmaps of the per-lap summary
    (:func:`~telecnn.telemetry.analysis.lap_summary.summarize_laps`): lift-and-coast, clipping
    and lap time per driver and lap; driver names in team colours where the team is known.
    Lap-time colours span the fastest laps up to :data:`SLOW_LAP_SHARE` of them, so pit and
    safety-car laps do not wash the rest out (they show at the scale's end)."""
    import matplotlib.pyplot as plt

    panels = [p for p in PANELS if p[0] in table and table[p[0]].notna().any()]
    teams = _teams(table, year)
    if table.groupby("driver").size().max() == 1:  # one lap a driver (qualifying): bars
        return _bars(table, panels, teams, title)
    drivers = list(dict.fromkeys(table["driver"]))
    height = max(1.6, 0.28 * len(drivers) + 0.9)
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(12, height * len(panels) + 0.6), squeeze=False, sharex=True
    )
    for ax, (column, label, cmap) in zip(axes[:, 0], panels, strict=True):
        values, rows, laps = _grid(table, column)
        low, high = _scale(table, column)
        extent = (laps[0] - 0.5, laps[-1] + 0.5, len(rows) - 0.5, -0.5)
        image = ax.imshow(
            np.ma.masked_invalid(values), aspect="auto", vmin=low, vmax=high,
            cmap=plt.get_cmap(cmap).with_extremes(bad="0.9"),
            extent=extent, interpolation="nearest",
        )  # fmt: skip
        bar = fig.colorbar(
            image,
            ax=ax,
            fraction=0.025,
            pad=0.01,
            extend="max" if column == "lap_time" else "neither",
        )
        if column == "lap_time":  # the scale's bounds, said: the fastest lap and 110% of it
            bar.set_ticks([low, high], labels=[f"{low:.1f}", f"{high:.1f}+"])
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        for tick, driver in zip(ax.get_yticklabels(), rows, strict=True):
            color = teams.get(driver)
            if color:
                tick.set_color(color)
                tick.set_fontweight("bold")
        ax.set_title(label, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("lap")
    fig.suptitle(title or "energy management lap by lap", fontsize=11)
    fig.tight_layout()
    return fig


def _bars(
    table: pd.DataFrame,
    panels: list[tuple[str, str, str]],
    teams: dict[str, str],
    title: str | None,
) -> Any:
    """One lap a driver: a bar a driver per panel, side by side, in team colours."""
    import matplotlib.pyplot as plt

    drivers = list(table["driver"])
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 0.3 * len(drivers) + 1.4), squeeze=False,
        sharey=True,
    )  # fmt: skip
    colors = [teams.get(d, "0.45") for d in drivers]
    for ax, (column, label, _) in zip(axes[0], panels, strict=True):
        values = table[column].to_numpy(dtype=float)
        ax.barh(range(len(drivers)), np.nan_to_num(values), color=colors)
        if column == "lap_time" and np.isfinite(values).any():
            low = float(np.nanmin(values))
            ax.set_xlim(low - 0.5, float(np.nanmax(values)) + 0.3)
        ax.set_title(label.replace("; slower laps darker", ""), fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_yticks(range(len(drivers)), drivers, fontsize=8)
    axes[0, 0].invert_yaxis()
    fig.suptitle(title or "energy management per driver", fontsize=11)
    fig.tight_layout()
    return fig


#: Lap times above this share of the fastest are drawn in the slow end's colour (pit stops,
#: safety cars, testing's slow laps would leave no colour for the racing laps).
SLOW_LAP_SHARE = 1.10


def _scale(table: pd.DataFrame, column: str) -> tuple[float, float]:
    """A panel's colour range: from 0 to the most seconds of an event; for lap times from the
    fastest (clean, where the table says which laps are) to :data:`SLOW_LAP_SHARE` of it."""
    values = table[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, 1.0
    if column != "lap_time":
        return 0.0, max(float(values.max()), 0.5)
    clean = table.loc[table.get("status", pd.Series("clean", index=table.index)) == "clean"]
    timed = clean[column].dropna()
    low = float(timed.min()) if len(timed) else float(values.min())
    return low, SLOW_LAP_SHARE * low


def _teams(table: pd.DataFrame, year: int | None) -> dict[str, str]:
    """Driver -> team colour, where the table knows the team and fastf1 its colour."""
    if "team" not in table:
        return {}
    out = {}
    for driver, team in table.dropna(subset=["team"]).groupby("driver")["team"].first().items():
        color = team_color(str(team), year)
        if color:
            out[str(driver)] = color
    return out

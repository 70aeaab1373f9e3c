"""A season at once: the per-lap summaries of many sessions (one unit each) as per driver and
race medians over clean laps, and the energy picture race by race.

>>> season = season_medians(summary)   # summary: every unit's per-lap table, with ``source``
>>> plot_season(season).savefig("season.png")
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from telecnn.telemetry.analysis.lap_summary import medians_by
from telecnn.telemetry.analysis.team_colors import team_color

#: The figures a season table gives per driver and race (medians over the counted laps).
SEASON_COLUMNS: tuple[str, ...] = ("lap_time", "braking_s", "lift_coast_s", "clipping_s")


def season_medians(summary: pd.DataFrame, lap_filter: str = "clean") -> pd.DataFrame:
    """Per race (``source``) and driver: the laps, how many count under ``lap_filter``, the
    team, and the median of each of :data:`SEASON_COLUMNS` over those that count."""
    extra = {"team": "first"} if "team" in summary else {}
    return medians_by(summary, ["source", "driver"], SEASON_COLUMNS, lap_filter, extra)


#: The season figure's panels: column, title, colour map.
SEASON_PANELS: tuple[tuple[str, str, str], ...] = (
    ("clipping_s", "clipping (s per clean lap, median)", "Greens"),
    ("lift_coast_s", "lift-and-coast (s per clean lap, median)", "Oranges"),
)


def plot_season(season: pd.DataFrame, title: str = "the season", year: int | None = None) -> Any:
    """Heatmaps of the energy seconds per race (columns, in the order given) and driver (rows,
    names in team colours): how clipping and lift-and-coast evolve race by race."""
    import matplotlib.pyplot as plt

    races = list(dict.fromkeys(season["source"]))
    drivers = list(dict.fromkeys(season["driver"]))
    panels = [p for p in SEASON_PANELS if p[0] in season and season[p[0]].notna().any()]
    height = max(1.8, 0.26 * len(drivers) + 1.2)
    size = (max(7.0, 0.55 * len(races) + 3), height * max(1, len(panels)))
    fig, axes = plt.subplots(len(panels) or 1, 1, figsize=size, squeeze=False)
    teams = (
        season.dropna(subset=["team"]).groupby("driver")["team"].first() if "team" in season else {}
    )
    for ax, (column, label, cmap) in zip(axes[:, 0], panels, strict=False):
        wide = season.pivot_table(index="driver", columns="source", values=column, sort=False)
        wide = wide.reindex(index=drivers, columns=races)
        values = wide.to_numpy(dtype=float)
        high = max(float(np.nanmax(values)) if np.isfinite(values).any() else 1.0, 0.5)
        image = ax.imshow(
            np.ma.masked_invalid(values), aspect="auto", vmin=0.0, vmax=high,
            cmap=plt.get_cmap(cmap).with_extremes(bad="0.9"), interpolation="nearest",
        )  # fmt: skip
        fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
        ax.set_yticks(range(len(drivers)), drivers, fontsize=8)
        ax.set_xticks(range(len(races)), races, fontsize=7, rotation=45, ha="right")
        for tick, driver in zip(ax.get_yticklabels(), drivers, strict=True):
            color = team_color(str(teams.get(driver)), year) if driver in teams else None
            if color:
                tick.set_color(color)
                tick.set_fontweight("bold")
        ax.set_title(label, fontsize=9, loc="left")
    fig.suptitle(f"energy management race by race: {title}", fontsize=11)
    fig.tight_layout()
    return fig

"""The figures people look at, read back from matplotlib: titles, where shifts are drawn, on/off
axes, corner numbers, the track map's start line, team colours and the gap axis."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.colors import to_hex

from telecnn.cli import main
from telecnn.telemetry.analysis.compare import compare_found
from telecnn.telemetry.analysis.corners import label_corners, with_corners
from telecnn.telemetry.analysis.plots import plot_comparison, plot_lap
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.sources import read_laps
from telecnn.telemetry.sources.corners import read_corners


@pytest.fixture(scope="module")
def lec(f1_data: Path) -> Lap:
    lap = read_laps(f1_data / "bahrain-2026-test" / "day1.parquet", ["LEC"], [46])[0]
    return with_corners([lap], read_corners(f1_data / "bahrain-2026-test" / "corners.json"))[0]


def _vertical_lines(ax) -> int:
    return sum(1 for line in ax.get_lines() if len(set(line.get_xdata())) == 1)


def test_the_lap_figure(lec: Lap) -> None:
    events = label_corners(rule_events(lec), lec)
    fig = plot_lap(lec, events)
    try:
        assert fig._suptitle.get_text().startswith("LEC lap 46, 1:35.190")
        panels = {ax.get_ylabel().split("\n")[0]: ax for ax in fig.axes if ax.get_ylabel()}
        shifts = int(events.event.isin(["upshift", "downshift"]).sum())
        # shifts drawn once, in the gear panel; corner guides (15) on the speed panel only
        assert _vertical_lines(panels["nGear"]) == shifts > 10
        assert all(_vertical_lines(panels[n]) == 0 for n in ("RPM", "Throttle", "Brake", "DRS"))
        assert [t.get_text() for t in panels["Brake"].get_yticklabels()] == ["off", "on"]
        assert [t.get_text() for t in panels["DRS"].get_yticklabels()] == ["closed", "open"]
        speed_texts = {t.get_text() for t in panels["Speed"].texts}
        assert {f"T{k}" for k in range(1, 16)} <= speed_texts
        track = next(ax for ax in fig.axes if ax.get_title() == "track map")
        map_texts = {t.get_text() for t in track.texts}
        assert "start/finish" in map_texts and {"T1", "T15"} <= map_texts
        x0, x1 = track.get_xlim()
        assert x0 < np.nanmin(lec.data.X) and np.nanmax(lec.data.X) < x1 < 1.2 * np.nanmax(
            lec.data.X
        )
    finally:
        plt.close(fig)


def test_the_comparison_figure_in_team_colours(hungary_laps: dict[str, Lap]) -> None:
    laps = [hungary_laps["NOR"], hungary_laps["LEC"]]
    comparison = compare_found(laps, [rule_events(lap) for lap in laps])
    fig = plot_comparison(laps, comparison)
    try:
        top, strip, bottom = fig.axes[:3]
        colours = [to_hex(line.get_color()) for line in top.get_lines()]
        assert colours[:2] == ["#ff8000", "#e8002d"]  # McLaren, Ferrari (fastf1's colours)
        assert "+ = slower" in bottom.get_ylabel()
        assert [t.get_text() for t in strip.get_yticklabels()] == comparison.labels
    finally:
        plt.close(fig)


def test_plot_draws_every_lap(race_file: Path, tmp_path: Path) -> None:
    fig = tmp_path / "events.png"
    args = ["--file", str(race_file), "--driver", "VER", "--lap", "10-12", "--detector", "rules"]
    result = CliRunner().invoke(main, ["detect-events", *args, "--plot", str(fig)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [f"events_VER_lap_{n}.png" for n in (10, 11, 12)]
    assert "and 2 more" in result.stdout

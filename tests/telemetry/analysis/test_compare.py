"""Comparing laps: zones matched corner by corner on real laps, the time gap, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.errors import TelecnnError
from telecnn.telemetry.analysis.compare import compare_laps, format_comparison
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.sources import read_laps


@pytest.fixture(scope="module")
def quali(hungary_laps: dict) -> list[Lap]:
    return list(hungary_laps.values())


def test_real_laps_line_up_corner_by_corner(quali: list[Lap]) -> None:
    comparison = compare_laps(quali, [rule_events(lap) for lap in quali])
    zones = comparison.zones
    reference = zones[zones.label == comparison.labels[0]]
    corners = reference.zone[reference.duration >= 1.0]  # real braking zones, not taps
    assert len(corners) >= 6  # the Hungaroring's main braking zones
    others = zones[(zones.label != comparison.labels[0]) & zones.zone.isin(corners)]
    # the same corners: found on (nearly) every lap, braking points close to each other
    assert others.start_distance.notna().mean() >= 0.9
    assert others.later_m.abs().median() < 25
    assert others.later_m.abs().max() < 120


def test_the_time_gap_adds_up_to_the_lap_time_difference(quali: list[Lap]) -> None:
    comparison = compare_laps(quali, [rule_events(lap) for lap in quali])
    checked = 0
    for label, lap in zip(comparison.labels[1:], quali[1:], strict=True):
        gap = comparison.gaps[label]
        covered = np.isfinite(gap)
        if comparison.distance[covered][-1] < comparison.distance[-1] - 20:
            continue  # this lap's data stops short of the line
        expected = lap.meta.lap_time - quali[0].meta.lap_time
        assert abs(gap[covered][-1] - expected) < 0.2, label
        assert comparison.total_gap(label) == pytest.approx(expected)
        checked += 1
    assert checked >= 6


def test_laps_without_positions_are_compared_on_their_own_distance(quali: list[Lap]) -> None:
    laps = [Lap(lap.data.drop(columns=["X", "Y", "Z"]), lap.meta, None) for lap in quali]
    comparison = compare_laps(laps, [rule_events(lap) for lap in laps])
    others = comparison.zones[comparison.zones.label != comparison.labels[0]]
    assert others.later_m.abs().median() < 25
    for label, lap in zip(comparison.labels[1:], laps[1:], strict=True):
        gap = comparison.gaps[label][np.isfinite(comparison.gaps[label])]
        # a little looser than with positions: distance drifts apart over a lap
        assert abs(gap[-1] - (lap.meta.lap_time - laps[0].meta.lap_time)) < 0.35, label


def test_a_lap_against_itself_has_no_gap_and_the_same_zones(quali: list[Lap]) -> None:
    lap = quali[0]
    comparison = compare_laps([lap, lap], [rule_events(lap)] * 2)
    # only the reference path's 1 m steps stand between the two
    assert np.nanmax(np.abs(comparison.gaps[comparison.labels[1]])) < 0.02
    other = comparison.zones[comparison.zones.label == comparison.labels[1]]
    assert other.later_m.abs().max() < 2.0 and other.min_speed_gain.abs().max() < 1e-9
    assert comparison.labels[1].endswith("#2")


def test_braking_later_reads_as_positive_metres(quali: list[Lap]) -> None:
    lap = quali[0]
    events = rule_events(lap)
    first = events[events.event == "braking"].iloc[0]
    data = lap.data.copy()
    t = data["Time"].to_numpy(dtype=float)
    on = np.flatnonzero(t >= first.start_time)[:2]
    data.loc[on, "Brake"] = 0  # the same lap, braking two samples later into the first zone
    later = Lap(data, lap.meta, None)
    comparison = compare_laps([lap, later], [events, rule_events(later)])
    zone = comparison.zones[(comparison.zones.label == comparison.labels[1])].iloc[0]
    moved = float(data.Distance.iloc[on[-1] + 1] - data.Distance.iloc[on[0]])
    assert zone.later_m == pytest.approx(moved, abs=1.0) and moved > 20


def test_a_reference_without_zones_still_gives_the_gap(quali: list[Lap]) -> None:
    laps = quali[:2]
    found = [rule_events(lap) for lap in laps]
    found[0] = found[0][found[0].event != "braking"]
    text = format_comparison(compare_laps(laps, found))
    assert text.splitlines()[0].startswith(f"{laps[1].meta.label()} vs {laps[0].meta.label()}: ")
    assert "the reference lap has no braking zones" in text


def test_bad_comparisons(quali: list[Lap]) -> None:
    with pytest.raises(TelecnnError, match="at least two laps"):
        compare_laps(quali[:1], [rule_events(quali[0])])
    with pytest.raises(TelecnnError, match="interval event"):
        compare_laps(quali[:2], [rule_events(x) for x in quali[:2]], "upshift")


def test_cli_compares_simulated_laps_and_writes_table_and_figure(tmp_path: Path) -> None:
    out, fig = tmp_path / "zones.csv", tmp_path / "compare.png"
    args = ["compare-laps", "--sim", "barcelona", "--sim-laps", "3", "--seed", "4"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--plot", str(fig)])
    assert result.exit_code == 0, result.output
    assert "SIM lap 2 vs SIM lap 1" in result.output and "SIM lap 3 vs SIM lap 1" in result.output
    zones = pd.read_csv(out)
    assert set(zones.label) == {"SIM lap 1", "SIM lap 2", "SIM lap 3"}
    assert zones.groupby("label").size().nunique() == 1  # one row per reference zone and lap
    assert fig.read_bytes()[:4] == b"\x89PNG" and fig.stat().st_size > 10_000


def test_cli_needs_two_laps() -> None:
    result = CliRunner().invoke(main, ["compare-laps", "--sim", "monza"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "two laps or more" in lines[0], result.stderr


def test_cli_takes_the_first_driver_named_as_the_reference(race_file: Path) -> None:
    for first, second in (("VER", "NOR"), ("NOR", "VER")):
        args = ["compare-laps", "--file", str(race_file), "--driver", f"{first},{second}"]
        result = CliRunner().invoke(main, [*args, "--lap", "20", "--channels", "Speed"])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"{second} lap 20 vs {first} lap 20: ")


def test_braking_points_come_from_the_brake_channel_where_there_is_one(
    tmp_path: Path, hungary_dir: Path
) -> None:
    """HAM's Brake flag goes on 9.2 m before NOR's into turn 1 (the flags, read by hand); the
    CNN's zones would put him later. Where the lap has Brake the onset is the pedal's; with
    --channels Speed it is the detector's, and the table says which, and how exact a sample is."""
    files = ["--file", str(hungary_dir / "NOR.json"), "--file", str(hungary_dir / "HAM.json")]
    out = tmp_path / "zones.csv"
    result = CliRunner().invoke(main, ["compare-laps", *files, "--out", str(out)])
    assert result.exit_code == 0, result.output
    zones = pd.read_csv(out)
    ham = zones[zones.label.str.startswith("HAM")].set_index("zone")
    assert ham.loc[1, "later_m"] == pytest.approx(-9.2, abs=1.0)  # laps align to about a metre
    assert set(zones.onset_from) == {"Brake channel"}
    matched = zones.dropna(subset=["start_distance"])  # a zone one lap has no match for: NaN
    assert matched.resolution_m.between(5, 30).all()  # one sample at 3.7 Hz: 14-21 m here
    speed = CliRunner().invoke(
        main, ["compare-laps", *files, "--channels", "Speed", "--out", str(out)]
    )
    assert speed.exit_code == 0, speed.output
    assert set(pd.read_csv(out).onset_from) == {"detector"}


def test_a_race_file_compares_each_drivers_fastest_lap_and_never_a_merged_pair(
    tmp_path: Path, race_file: Path
) -> None:
    out = tmp_path / "zones.csv"
    args = ["compare-laps", "--file", str(race_file), "--driver", "VER,NOR", "--channels", "Speed"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "each driver's fastest clean lap" in result.stderr
    zones = pd.read_csv(out)
    assert zones.label.nunique() == 2  # one lap a driver, not 112
    ref = zones[zones.label == zones.label.iloc[0]]
    other = zones[(zones.label != zones.label.iloc[0]) & zones.start_distance.notna()]
    for row in other.itertuples():
        covered = (ref.start_distance < row.end_distance) & (ref.end_distance > row.start_distance)
        assert covered.sum() == 1, row  # a zone spanning two corners is left unmatched


def test_a_zone_run_together_over_two_corners_matches_neither(quali: list[Lap]) -> None:
    laps = quali[:2]
    found = [rule_events(lap) for lap in laps]
    plain = compare_laps(laps, found).zones
    brakes = found[1][found[1].event == "braking"].reset_index(drop=True)
    merged = brakes.iloc[[0]].copy()
    merged["end_time"] = brakes.end_time.iloc[1]  # turn 1 and turn 2 as one zone
    found[1] = pd.concat([merged, brakes.iloc[2:]], ignore_index=True)
    zones = compare_laps(laps, found).zones
    second = zones[zones.label == zones.label.iloc[-1]].set_index("zone")
    before = plain[plain.label == plain.label.iloc[-1]].set_index("zone")
    assert before.loc[[1, 2], "start_distance"].notna().all()  # both corners matched before
    assert second.loc[[1, 2], "start_distance"].isna().all()
    pd.testing.assert_series_equal(
        second.loc[3:, "start_distance"], before.loc[3:, "start_distance"]
    )


def test_a_corner_braked_twice_still_matches_a_zone_held_through(
    f1_data: Path, tmp_path: Path
) -> None:
    """Australia 2025 Q, fastest laps: NOR lets off the brake into T11 and presses it again
    (two zones of one corner), VER holds it through; VER's zone is T11's, not two corners run
    together, and is compared with NOR's first."""
    folder = f1_data / "australia-2025"
    out = tmp_path / "zones.csv"
    args = ["compare-laps", "--file", str(folder / "qualifying.parquet"), "--laps",
            str(folder / "laps.parquet"), "--corners", str(folder / "corners.json"),
            "--driver", "NOR,VER", "--detector", "rules", "--out", str(out)]  # fmt: skip
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output[-2000:]
    zones = pd.read_csv(out)
    t11 = zones[zones.corner == "T11"]
    nor, ver = t11[t11.driver == "NOR"], t11[t11.driver == "VER"]
    assert len(nor) == len(ver) == 2 and ver.start_distance.notna().all()
    first = ver.start_distance.iloc[0]
    assert nor.start_distance.iloc[0] - 20 < first < nor.end_distance.iloc[0]
    # NOR's brake went on between the car data's 3965 m and 3991 m: the position samples
    # between them measure no pedal, so the braking point is known to 25 m, not to 1 m
    assert 24 < nor.resolution_m.iloc[0] < 27 and nor.entry_speed.iloc[0] == 322
    assert "no matching zone" not in done.stderr + done.stdout


def test_zones_a_detector_found_without_the_pedal_carry_their_corners(f1_data: Path) -> None:
    """Through Speed alone the zones are the detector's, not the Brake channel's: they are
    labelled with their corners as the pedal's are, so laps are still paired corner by
    corner."""
    from telecnn.telemetry.analysis.compare import compare_found
    from telecnn.telemetry.analysis.corners import with_corners
    from telecnn.telemetry.detector.running import detect_laps
    from telecnn.telemetry.sources.corners import read_corners

    folder = f1_data / "australia-2025"
    laps = read_laps(folder / "qualifying.parquet", ["NOR", "VER"], "fastest",
                     laps_file=folder / "laps.parquet")  # fmt: skip
    with_corners(laps, read_corners(folder / "corners.json"))
    found = detect_laps(laps, "rules", ["Speed"])
    zones = compare_found(laps, found, "braking", ["Speed"]).zones
    assert set(zones.onset_from) == {"detector"} and len(zones) >= 10
    assert zones.corner.notna().mean() > 0.8 and zones.corner.str.startswith("T").any()


@pytest.mark.parametrize(
    ("folder", "telemetry", "drivers"),
    [
        ("china-2025-r", "race.parquet", ["NOR", "VER", "PIA", "RUS"]),
        ("bahrain-2026-test", "day1.parquet", ["LEC", "NOR", "RUS", "ALB"]),
    ],  # fmt: skip
)
def test_the_gap_is_physical_and_ends_at_the_lap_time_difference(
    f1_data: Path, folder: str, telemetry: str, drivers: list[str]
) -> None:
    """On real laps the time gap's slope is what the two speed traces say it is: over any
    100 m its change stays near the integral of the inverse speeds there (position noise no
    longer makes steps of tenths of a second); and the gap ends exactly at the lap-time
    difference."""
    laps = read_laps(f1_data / folder / telemetry, drivers, "fastest")
    comparison = compare_laps(laps, [rule_events(lap) for lap in laps])
    grid = comparison.distance
    speed_ref = np.interp(grid, comparison.aligned[0], laps[0].columns["Speed"]) / 3.6
    deviations = []
    for k, (label, lap) in enumerate(zip(comparison.labels[1:], laps[1:], strict=True), start=1):
        speed = np.interp(grid, comparison.aligned[k], lap.columns["Speed"]) / 3.6
        rate = 1 / np.maximum(speed, 5) - 1 / np.maximum(speed_ref, 5)
        expected = np.concatenate([[0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(grid))])
        gap = comparison.gaps[label]
        window = 20  # 100 m on the 5 m grid
        change = (gap[window:] - gap[:-window]) - (expected[window:] - expected[:-window])
        deviations.append(np.abs(change[np.isfinite(change)]))
        last = gap[np.isfinite(gap)][-1]
        assert last == pytest.approx(lap.meta.lap_time - laps[0].meta.lap_time, abs=1e-9)
        assert comparison.total_gap(label) == pytest.approx(last, abs=1e-9)
    deviations = np.concatenate(deviations)
    assert np.median(deviations) < 0.03 and np.percentile(deviations, 90) < 0.1


def test_a_partial_lap_begun_mid_track_lines_up_where_it_began(f1_data: Path) -> None:
    """A lap that starts 1.5 km into the circuit (a red flag, a file cut mid-lap) lies on the
    reference where its samples are, as the same samples do in the whole lap; a lap that
    stops early (a crash) is unchanged."""
    from dataclasses import replace

    from telecnn.telemetry.analysis.alignment import monotone_distance, on_reference

    folder = f1_data / "australia-2025"
    ref, lap = read_laps(folder / "qualifying.parquet", drivers=["NOR", "VER"], laps="fastest")
    whole = on_reference(lap, ref, monotone_distance(ref))
    d = lap.distance
    for keep in (d >= 1500, d <= 3000):
        cols = {name: values[keep] for name, values in lap.columns.items()}
        part = Lap.from_columns(cols, replace(lap.meta, whole=False))
        error = np.abs(on_reference(part, ref, monotone_distance(ref)) - whole[keep])
        assert np.median(error) < 1 and error.max() < 10

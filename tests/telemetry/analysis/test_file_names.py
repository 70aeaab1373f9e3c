"""Per-lap figure names: safe (never outside the folder), distinct (even ignoring case), stable,
and short enough for the file system; the CLI counts the files it really wrote."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.telemetry.analysis.file_names import safe_names
from telecnn.telemetry.analysis.plots import lap_figure_paths
from telecnn.telemetry.laps.schema import Lap


def _laps(lap: Lap, drivers: list[str]) -> list[Lap]:
    out = []
    for driver in drivers:
        copy = Lap.from_columns(lap.columns, replace(lap.meta, driver=driver, lap_number=12))
        out.append(copy)
    return out


ODD = ["A/B", "A_B", "x..y", "x.y", "東京", "北京", "../../etc", "ver", "VER", "Z" * 300]


def test_odd_driver_names_give_distinct_safe_names_in_the_folder(hungary_laps, tmp_path):
    paths = lap_figure_paths(_laps(hungary_laps["LEC"], ODD), tmp_path / "events.png")
    assert len({p.name.casefold() for p in paths}) == len(ODD)
    for path in paths:
        assert path.parent == tmp_path and path.name.startswith("events_")
        assert path.suffix == ".png" and len(path.name.encode()) <= 255
        assert all(c.isascii() and (c.isalnum() or c in "_-.") for c in path.name)
    # a name with nothing to change keeps it; "A_B" is not renamed because "A/B" exists
    names = [p.name for p in paths]
    assert "events_A_B_lap_12.png" in names
    assert names[ODD.index("A/B")].startswith("events_A_B_lap_12_")


def test_names_are_stable_and_only_changed_or_clashing_ones_get_a_hash(tmp_path) -> None:
    plain = ["VER lap 12", "NOR lap 3", "HAM lap 7 #2"]
    assert safe_names(plain, 200) == ["VER_lap_12", "NOR_lap_3", "HAM_lap_7_n2"]
    first = safe_names(["A/B lap 1", "VER lap 1"], 200)
    again = safe_names(["VER lap 1", "A/B lap 1", "NOR lap 2"], 200)
    assert first[0] == again[1] and first[1] == again[0] == "VER_lap_1"
    clash = safe_names(["ver lap 1", "VER lap 1"], 200)
    assert clash[0] != clash[1] and all(len(n) == len("VER_lap_1_") + 8 for n in clash)


def test_a_name_too_long_is_shortened_with_its_hash(tmp_path) -> None:
    long_a, long_b = "A" * 300 + " lap 1", "A" * 300 + " lap 2"
    a, b = safe_names([long_a, long_b], 100)
    assert len(a) == len(b) == 100 and a != b
    assert safe_names([long_a, long_b], 100) == [a, b]
    with pytest.raises(ValueError):
        safe_names(["VER lap 1"], 20)


def _file_of_drivers(lap: Lap, drivers: list[str], path: Path) -> Path:
    """A multi-lap CSV file holding ``lap`` once for each of ``drivers``."""
    frames = []
    for driver in drivers:
        frame = lap.data.copy()
        frame.insert(0, "LapNumber", 1)
        frame.insert(0, "Driver", driver)
        frames.append(frame)
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_the_cli_counts_the_figures_it_wrote(hungary_laps, tmp_path) -> None:
    drivers = ["A/B", "A_B", "東京", "北京"]
    source = _file_of_drivers(hungary_laps["LEC"], drivers, tmp_path / "laps.csv")
    figures = tmp_path / "figs"
    args = ["telemetry", "show", "--file", str(source), "--plot", str(figures / "ev.png")]
    done = CliRunner().invoke(main, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output[-2000:]
    assert len(list(figures.iterdir())) == 4
    assert done.stdout.strip().splitlines()[-1].endswith(" and 3 more")


def test_lap_figure_paths_of_one_lap_is_the_path_itself(hungary_laps) -> None:
    assert lap_figure_paths([hungary_laps["LEC"]], "x/ev.png") == [Path("x/ev.png")]


@pytest.mark.parametrize("command", [["telemetry", "show"], ["summarize"]])
def test_names_the_font_cannot_draw_are_one_note(hungary_laps, tmp_path, command, recwarn) -> None:
    """matplotlib warns once per glyph and drawing; the command says it once, naming them
    (under pytest a warning is recorded, not printed: ``recwarn`` sees one that got out)."""
    source = _file_of_drivers(hungary_laps["LEC"], ["東京", "北京"], tmp_path / "laps.csv")
    args = [*command, "--file", str(source), "--plot", str(tmp_path / "f.png")]
    done = CliRunner().invoke(main, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output[-2000:]
    notes = [line for line in done.stderr.splitlines() if "no glyph for" in line]
    assert len(notes) == 1 and "Warning" not in done.stderr, done.stderr[-2000:]
    assert all(char in notes[0] for char in "東京北") and "DejaVu Sans" in notes[0]
    assert not [w for w in recwarn if "missing from font" in str(w.message)]

"""Inputs are never outputs: every command refuses, before any work, an output that is one of
its inputs (links, hard links, folders and globs followed) or two outputs that are one file:
one line, exit 2, every file as it was (real processes)."""

from __future__ import annotations

import inspect
import os
import shutil
from pathlib import Path

import click
import pytest

from telecnn.atomic import inputs_protected
from telecnn.errors import TelecnnError
from telecnn.telemetry.detector.loading import default_model_path


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def _cases(lap_files: dict[str, Path], folder: Path) -> dict[str, tuple[tuple[str, ...], Path]]:
    """Per case, the command and the file it must leave as it was."""
    lap = _copy(lap_files["LEC"], folder / "lap.csv")
    other = str(lap_files["NOR"])
    json_lap = _copy(lap_files["LEC"], folder / "lap.json")  # read by content: a CSV
    html_lap = _copy(lap_files["LEC"], folder / "lap.html")
    png_lap = _copy(lap_files["LEC"], folder / "lap.png")
    corners = _copy(lap_files["LEC"], folder / "corners.json")
    run = folder / "run"
    run.mkdir()
    model = _copy(default_model_path(), run / "checkpoint.pt")
    s, q = str, "--file"
    return {
        "detect-events --out": (("detect-events", q, s(lap), "--out", s(lap)), lap),
        "detect-events --corners": (
            ("detect-events", q, s(lap), "--corners", s(corners), "--out", s(corners)),
            corners,
        ),
        "detect-events --model": (
            ("detect-events", q, s(lap), "--model", s(run), "--plot", s(model)),
            model,
        ),
        "summarize --out": (("summarize", q, s(lap), "--out", s(lap)), lap),
        "eval-events --out": (("eval-events", q, s(json_lap), "--out", s(json_lap)), json_lap),
        "compare-laps --out": (("compare-laps", q, s(lap), q, other, "--out", s(lap)), lap),
        "report --out": (("report", q, s(html_lap), "--out", s(html_lap)), html_lap),
        "telemetry show --plot": (("telemetry", "show", q, s(png_lap), "--plot", s(png_lap)),
                                  png_lap),
        "kernels apply --out": (("kernels", "apply", "edge", q, s(lap), "--column", "Speed",
                                 "--out", s(lap)), lap),
        "explain event --out": (("explain", "event", q, s(lap), "--event", "braking",
                                 "--index", "1", "--out", s(lap)), lap),
        "explain filters --out": (("explain", "filters", s(run), "--out", s(model)), model),
        "eval-images --json": (("eval-images", s(run), "--json", s(model)), model),
        "train-events --out": (("train-events", q, s(lap), "--out", s(folder)), lap),
    }  # fmt: skip


CASES = (
    "detect-events --out", "detect-events --corners", "detect-events --model", "summarize --out",
    "eval-events --out", "compare-laps --out", "report --out", "telemetry show --plot",
    "kernels apply --out", "explain event --out", "explain filters --out", "eval-images --json",
    "train-events --out",
)  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_no_command_writes_over_its_input(
    case, lap_files, tmp_path, telecnn, one_line_exit
) -> None:
    cases = _cases(lap_files, tmp_path)
    assert set(cases) == set(CASES)
    args, kept = cases[case]
    before = kept.read_bytes()
    files = sorted(p.name for p in tmp_path.rglob("*"))
    one_line_exit(2, telecnn(*args), "input", "nothing written")
    assert kept.read_bytes() == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == files, "nothing written"


def test_links_folders_and_globs_are_followed(lap_files, tmp_path, telecnn, one_line_exit):
    folder = tmp_path / "laps"
    folder.mkdir()
    lap = _copy(lap_files["LEC"], folder / "lap.csv")
    before = lap.read_bytes()
    (tmp_path / "soft.csv").symlink_to(lap)
    os.link(lap, tmp_path / "hard.csv")
    given = {
        "a symlink": (str(lap), str(tmp_path / "soft.csv")),
        "a hard link": (str(lap), str(tmp_path / "hard.csv")),
        "a folder": (str(folder), str(lap)),
        "a glob": (str(folder / "*.csv"), str(lap)),
        "a path with ..": (str(lap), str(folder / ".." / "laps" / "lap.csv")),
    }
    for what, (source, out) in given.items():
        done = telecnn("detect-events", "--file", source, "--out", out)
        one_line_exit(2, done, "is the input --file")
        assert lap.read_bytes() == before, what


def test_two_outputs_that_are_one_file_are_refused(tmp_path, telecnn, one_line_exit) -> None:
    out = tmp_path / "s.csv"
    simulate = ("telemetry", "simulate", "--circuit", "monza", "--laps", "1")
    done = telecnn(*simulate, "--out", str(out), "--truth", str(out))
    one_line_exit(2, done, "--out", "--truth", "one file")
    assert not out.exists()
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "events.png")
    done = telecnn(
        "summarize",
        "--sim",
        "monza",
        "--detector",
        "rules",
        "--out",
        str(tmp_path / "t.csv"),
        "--plot",
        str(tmp_path / "events.png"),
    )
    assert done.returncode == 0, done.stderr  # distinct outputs are fine
    done = telecnn(
        "compare-laps",
        "--sim",
        "monza",
        "--sim-laps",
        "2",
        "--detector",
        "rules",
        "--plot",
        str(link),
        "--out",
        str(tmp_path / "z.csv"),
    )
    assert done.returncode == 0, done.stderr
    assert link.is_symlink(), "a link's target is replaced, the link kept"


def test_a_per_lap_figure_never_replaces_an_input(china_laps, tmp_path) -> None:
    from telecnn.telemetry.analysis.plots import lap_figure_paths, save_lap_figures

    laps = china_laps[:3]
    targets = lap_figure_paths(laps, tmp_path / "events.png")
    targets[1].write_text("an input that happens to have a figure's name")
    with (
        inputs_protected([(targets[1], "the input --file x")]),
        pytest.raises(TelecnnError, match="is the input --file x"),
    ):
        save_lap_figures(laps, [None] * len(laps), tmp_path / "events.png", progress=False)
    assert targets[1].read_text().startswith("an input")
    assert not targets[0].exists(), "refused before the first figure"


@pytest.fixture(scope="module")
def china_laps(f1_data):
    from telecnn.telemetry.sources import read_laps

    return read_laps(f1_data / "china-2025-r" / "race.parquet", drivers="VER", laps=[2, 3, 4])


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    out = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out |= _commands(command, f"{prefix}{name} ")
        else:
            out[f"{prefix}{name}"] = command
    return out


#: Path options that are neither an input nor an output file (folders of caches, of data
#: fetched) and commands that read and write no user file.
NEUTRAL = {"cache", "dest", "resume"}
NO_FILES = {"kernels list", "fetch-data"}


def test_every_path_option_is_an_input_or_an_output_and_every_command_checks_them() -> None:
    from telecnn.cli import main
    from telecnn.cli.io_paths import INPUTS, OUTPUTS

    for name, command in _commands(main).items():
        for param in command.params:
            if isinstance(param.type, click.Path):
                assert param.name in {*INPUTS, *OUTPUTS, *NEUTRAL}, f"{name}: {param.name}"
        if name not in NO_FILES:
            assert "check_paths()" in inspect.getsource(command.callback), name

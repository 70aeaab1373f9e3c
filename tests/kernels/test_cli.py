"""``telecnn kernels list`` and ``telecnn kernels apply`` through click's test runner."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.kernels import KERNELS, conv1d, get_kernel


@pytest.fixture
def lap_csv(f1_data: Path, tmp_path: Path) -> Path:
    """A real lap's car data written as a CSV, the way a user exports it."""
    telemetry = json.loads((f1_data / "hungary-2024-q" / "HAM.json").read_text())["telemetry"]
    frame = pd.DataFrame(telemetry)[["Time", "Speed", "Throttle", "Brake", "RPM"]]
    path = tmp_path / "lap.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_list_shows_every_kernel_with_dim_shape_and_description() -> None:
    result = _run("kernels", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + len(KERNELS)
    edge_line = next(line for line in lines if line.startswith("edge "))
    assert "1D" in edge_line and " 3 " in edge_line and "braking" in edge_line
    assert any(line.startswith("sobel_x ") and "2D" in line and "3x3" in line for line in lines)
    assert any(line.startswith("gaussian ") and "sigma=1.0" in line for line in lines)


def test_apply_writes_the_response_csv_and_figure(lap_csv: Path, tmp_path: Path) -> None:
    out, plot = tmp_path / "out" / "response.csv", tmp_path / "out" / "response.png"
    result = _run(
        "kernels",
        "apply",
        "edge",
        "--file",
        str(lap_csv),
        "--column",
        "Speed",
        "--padding",
        "valid",
        "--out",
        str(out),
        "--plot",
        str(plot),
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    source = pd.read_csv(lap_csv)
    speed = source["Speed"].to_numpy(float)
    assert list(table.columns) == ["Time", "Distance", "Speed", "Speed_edge"]
    np.testing.assert_allclose(table["Speed"], speed)
    np.testing.assert_allclose(table["Time"], pd.to_timedelta(source["Time"]).dt.total_seconds())
    assert table["Distance"].is_monotonic_increasing and table["Distance"].iloc[-1] > 4000
    np.testing.assert_allclose(table["Speed_edge"][1:-1], conv1d(speed, get_kernel("edge")))
    assert table["Speed_edge"].iloc[[0, -1]].isna().all()  # valid padding: no window there
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["response.csv", "response.png"]


def test_default_padding_gives_every_sample_a_response_without_an_end_artefact(
    lap_csv: Path,
) -> None:
    result = _run("kernels", "apply", "edge", "--file", str(lap_csv), "--column", "Speed")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(StringIO(result.stdout))
    response = table["Speed_edge"].to_numpy()
    assert not np.isnan(response).any()
    # the largest response is a real braking onset, not the last sample (zeros read as a stop)
    assert 5 < int(np.argmax(response)) < len(response) - 5
    zeros = _run(
        "kernels", "apply", "edge", "--file", str(lap_csv), "--column", "Speed",
        "--padding-mode", "zeros",
    )  # fmt: skip
    zero_response = pd.read_csv(StringIO(zeros.stdout))["Speed_edge"].to_numpy()
    assert int(np.argmax(zero_response)) == len(zero_response) - 1  # the artefact


@pytest.mark.parametrize("suffix", [".json", ".parquet", ".csv"])
def test_every_telemetry_format_reads_and_multi_lap_files_go_lap_by_lap(
    f1_data: Path, tmp_path: Path, suffix: str
) -> None:
    race = pd.read_parquet(f1_data / "china-2025-r" / "race.parquet")
    two = race[(race.Driver == "VER") & race.LapNumber.isin([10, 11])].copy()
    two["Time"] = two["Time"].dt.total_seconds()
    path = tmp_path / f"race{suffix}"
    {".json": lambda p: two.to_json(p, orient="records"), ".parquet": two.to_parquet,
     ".csv": lambda p: two.to_csv(p, index=False)}[suffix](path)  # fmt: skip
    out = tmp_path / "r.parquet"
    result = _run(
        "kernels", "apply", "smooth", "--file", str(path), "--column", "Speed", "--out", str(out)
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table.columns) == [
        "Driver", "LapNumber", "Time", "Distance", "Speed", "Speed_smooth",
    ]  # fmt: skip
    for number, lap in table.groupby("LapNumber"):
        speed = two.loc[two.LapNumber == number, "Speed"].to_numpy(float)
        expected = conv1d(speed, get_kernel("smooth"), padding="same", padding_mode="replicate")
        np.testing.assert_allclose(lap["Speed_smooth"], expected)  # no window spans two laps
        assert lap["Time"].iloc[0] == pytest.approx(0.0, abs=0.5)
    only = _run(
        "kernels", "apply", "edge", "--file", str(path), "--column", "Speed", "--lap", "11"
    )  # fmt: skip
    assert set(pd.read_csv(StringIO(only.stdout))["LapNumber"]) == {11}


def test_a_lap_export_json_reads_as_it_comes(f1_data: Path) -> None:
    path = f1_data / "hungary-2024-q" / "LEC.json"
    result = _run("kernels", "apply", "edge", "--file", str(path), "--column", "Speed")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(StringIO(result.stdout))
    speed = np.asarray(json.loads(path.read_text())["telemetry"]["Speed"], float)
    np.testing.assert_allclose(table["Speed"], speed)


def test_apply_with_same_padding_and_a_parameter_prints_csv(lap_csv: Path) -> None:
    result = _run(
        "kernels",
        "apply",
        "gaussian",
        "--param",
        "sigma=2",
        "--padding-mode",
        "zeros",
        "--file",
        str(lap_csv),
        "--column",
        "Throttle",
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(StringIO(result.stdout))
    throttle = pd.read_csv(lap_csv)["Throttle"].to_numpy(float)
    expected = conv1d(throttle, get_kernel("gaussian", sigma=2), padding="same")
    np.testing.assert_allclose(table["Throttle_gaussian"], expected, rtol=1e-9)


def test_apply_with_numeric_padding_and_smooth_width(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    pd.DataFrame({"Speed": np.arange(10.0)}).to_csv(path, index=False)
    out = tmp_path / "r.csv"
    result = _run(
        "kernels",
        "apply",
        "smooth",
        "--param",
        "width=5",
        "--padding",
        "1",
        "--padding-mode",
        "zeros",
        "--file",
        str(path),
        "--column",
        "Speed",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    response = pd.read_csv(out)["Speed_smooth"].to_numpy()
    # a 5-wide box with one zero each side reaches one sample past valid at either end
    assert np.isnan(response[0]) and np.isnan(response[-1])
    np.testing.assert_allclose(response[1:-1], [1.2, 2, 3, 4, 5, 6, 7, 6.0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["edge", "--column", "Speed", "--file", "missing.csv"], "no such .*file"),
        (["edge", "--column", "Gear"], "no column 'Gear'"),
        (["edge", "--column", "Time"], "column 'Time' .* is not numeric"),
        (["edgy", "--column", "Speed"], "unknown kernel 'edgy'"),
        (["sobel_x", "--column", "Speed"], "is 2D; a trace needs a 1D kernel"),
        (["edge", "--column", "Speed", "--param", "sigma=2"], "takes no parameters"),
        (["gaussian", "--column", "Speed", "--param", "sigma=zero"], "sigma must be a number"),
        (["gaussian", "--column", "Speed", "--param", "sigma"], "expected NAME=VALUE"),
        (["edge", "--column", "Speed", "--padding", "full"], "use 'same', 'valid' or a number"),
        (["edge", "--column", "Speed", "--padding", "-2"], "at least 0"),
        (["edge", "--column", "Speed", "--padding-mode", "mirror"], "'mirror' is not one of"),
        (["edge", "--column", "Speed", "--out", "r.xlsx"], "use a .csv, .parquet"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    lap_csv: Path, args: list[str], message: str
) -> None:
    if "--file" not in args:
        args = [*args, "--file", str(lap_csv)]
    result = _run("kernels", "apply", *args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # handled: no traceback
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1
    assert re.search(message, error_lines[0]), error_lines[0]
    assert "Traceback" not in result.output


def test_empty_values_and_a_too_short_trace_are_refused(tmp_path: Path) -> None:
    gappy = tmp_path / "gappy.csv"
    gappy.write_text("Speed,nGear\n100,3\n,3\n120,4\n130,4\n")
    short = tmp_path / "short.csv"
    short.write_text("Speed\n100\n110\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    cases = [
        (gappy, "empty values"),
        (short, "larger than the padded input of size 2"),
        (empty, "cannot read empty.csv"),
    ]
    for path, message in cases:
        args = ["--file", str(path), "--column", "Speed", "--padding", "valid"]
        result = _run("kernels", "apply", "edge", *args)
        assert result.exit_code == 2, result.output
        assert re.search(message, result.stderr), result.stderr


def test_the_cli_offers_exactly_the_padding_modes_conv1d_knows() -> None:
    from telecnn.cli.kernels_cmd import PADDING_MODE_NAMES
    from telecnn.kernels.conv import PADDING_MODES

    assert set(PADDING_MODE_NAMES) == set(PADDING_MODES)

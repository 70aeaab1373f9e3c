"""What the CNNs learned: filters against the classic kernels, and integrated gradients."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.errors import TelecnnError
from telecnn.explain import closest_kernel, explain_event, explain_filters, templates
from telecnn.kernels import conv1d
from telecnn.telemetry import load_laps
from telecnn.telemetry.detector import load_detector
from telecnn.training import save_checkpoint
from vision.models import create_model


@pytest.fixture(scope="module")
def monza_lap():
    return load_laps(sim="monza", sim_laps=1, seed=2)[0]


def test_each_template_is_its_own_closest_kernel_and_its_inverse_reads_negative() -> None:
    for shape in ((3,), (5,), (7,), (3, 3)):
        bank = templates(shape)
        if len(shape) == 1:
            assert set(bank) == {"edge", "smooth", "spike", "gaussian"}
        for name, kernel in bank.items():
            found, corr = closest_kernel(kernel, bank)
            assert corr == pytest.approx(1.0) and (found == name or abs(corr) == 1.0)
            assert closest_kernel(-kernel, bank)[1] == pytest.approx(-1.0)


def test_an_edge_filter_responds_where_the_trace_falls() -> None:
    rng = np.random.default_rng(0)
    taps = templates((5,))["edge"] * 0.3 + rng.normal(0, 0.03, 5)
    assert closest_kernel(taps)[0] == "edge" and closest_kernel(taps)[1] > 0.9
    speed = np.where(np.arange(60) < 30, 300.0, 100.0)  # braking at sample 30
    response = conv1d(speed, taps, padding="same", padding_mode="replicate")
    assert 27 <= int(np.argmax(response)) <= 31 and response.max() > 0


def test_shipped_detector_table_covers_every_filter_and_channel() -> None:
    report = explain_filters()
    detector = load_detector(engine="torch")
    n_filters = detector.model.stem[0].weight.shape[0]
    assert report.kind == "event-detector" and report.channels == detector.channels
    assert len(report.table) == n_filters * len(detector.channels)
    assert report.table["correlation"].between(-1, 1).all()
    assert report.table["meaning"].str.len().gt(5).all()
    assert set(report.table["kernel"]) <= set(templates((report.weights.shape[2],)))


def test_a_planted_speed_edge_is_read_as_a_braking_onset() -> None:
    detector = copy.deepcopy(load_detector(engine="torch"))
    stem = detector.model.stem[0].weight
    with torch.no_grad():
        stem[3, detector.channels.index("Speed")] = torch.tensor([0.5, 0.5, 0.0, -0.5, -0.5])
        stem[4, detector.channels.index("Speed")] = -torch.tensor([0.5, 0.5, 0.0, -0.5, -0.5])
    table = explain_filters(detector).table
    mine = table[(table.channel == "Speed") & table["filter"].isin([3, 4])].set_index("filter")
    assert mine.loc[3, "kernel"] == "edge" and mine.loc[3, "correlation"] == pytest.approx(1.0)
    assert "braking onset" in mine.loc[3, "meaning"]
    assert mine.loc[4, "correlation"] == pytest.approx(-1.0)
    assert "rising" in mine.loc[4, "meaning"]


def test_image_checkpoint_filters_meet_the_2d_kernels(tmp_path: Path) -> None:
    model = create_model("simple-cnn")
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    with torch.no_grad():
        model.first_conv().weight[0, 0] = sobel
        model.first_conv().weight[1, 0] = torch.full((3, 3), -0.2)
    path = tmp_path / "image.pt"
    state = {"num_classes": 10, "in_channels": 1}
    save_checkpoint(
        path,
        {
            "kind": "image-classifier",
            "model_name": "simple-cnn",
            "model_config": state,
            "model_state": model.state_dict(),
        },
    )
    report = explain_filters(path)
    assert report.kind == "image-classifier" and len(report.table) == 16
    first = report.table.set_index("filter")
    assert first.loc[0, "kernel"] == "sobel_x" and first.loc[0, "correlation"] == pytest.approx(1)
    assert first.loc[1, "kernel"] in ("box_blur", "gaussian_2d")
    assert first.loc[1, "correlation"] < -0.9


def test_braking_attribution_sits_on_the_braking_channels_near_the_zone(monza_lap) -> None:
    for index in (1, 2, 3):
        why = explain_event(monza_lap, "braking", index=index)
        shares = why.shares
        assert shares.sum() == pytest.approx(1.0)
        # the model reads a braking zone off the pedal, the speed and the downshifts
        assert shares[["Brake", "Speed", "nGear"]].sum() >= 0.6, shares
        assert shares["DRS"] < 0.06, shares
        # the evidence reaches beyond the zone: the speed-trend input looks 1.0 s back, the
        # widest speed slope 0.8 s each way, and the filters above them further still
        near = (why.grid >= why.event["start_time"] - 3.0) & (
            why.grid <= why.event["end_time"] + 2.0
        )
        mass = np.abs(why.attribution)
        assert mass[:, near].sum() >= 0.8 * mass.sum()
        brake = why.channels.index("Brake")
        assert why.attribution[brake, why.window].sum() > 0  # the pedal raises it
        # completeness: the attribution adds up to the change it explains
        assert why.probability > 0.5 > why.baseline_probability
        assert abs(why.completeness_gap) < 0.01


def test_speed_only_attribution_is_all_on_speed(monza_lap) -> None:
    why = explain_event(monza_lap, "braking", index=1, channels=["Speed"])
    assert why.channels == ("Speed",)
    assert why.shares["Speed"] == pytest.approx(1.0)
    assert abs(why.completeness_gap) < 0.01
    table = why.table()
    assert list(table.columns) == ["Time", "Speed", "Speed_attr", "in_event"]
    assert table["in_event"].sum() == why.window.stop - why.window.start


def test_at_picks_the_event_covering_that_time(monza_lap) -> None:
    first = explain_event(monza_lap, "braking", index=2)
    middle = (first.event["start_time"] + first.event["end_time"]) / 2
    again = explain_event(monza_lap, "braking", at=middle)
    assert again.event["start_time"] == first.event["start_time"]
    with pytest.raises(TelecnnError, match="--index must be 1-"):
        explain_event(monza_lap, "braking", index=99)
    with pytest.raises(TelecnnError, match="unknown event type"):
        explain_event(monza_lap, "brakes", index=1)


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_writes_tables_and_figures(tmp_path: Path) -> None:
    table, figure = tmp_path / "filters.csv", tmp_path / "filters.png"
    result = _run("explain", "filters", "--out", str(table), "--plot", str(figure))
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(table)) == 192 and figure.read_bytes()[:4] == b"\x89PNG"
    why, plot = tmp_path / "why.csv", tmp_path / "why.png"
    args = ["explain", "event", "--sim", "monza", "--seed", "2", "--event", "braking"]
    result = _run(*args, "--index", "1", "--out", str(why), "--plot", str(plot))
    assert result.exit_code == 0, result.output
    shares = next(line for line in result.output.splitlines() if "attribution by channel" in line)
    assert "Speed" in shares and "Brake" in shares and "nGear" in shares
    assert {"Speed_attr", "Brake_attr"} <= set(pd.read_csv(why).columns)
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event", "braking"], "--index K"),
        (["--event", "braking", "--index", "1", "--at", "3"], "--index K"),
        (["--event", "brakes", "--index", "1"], "unknown event type"),
        (["--event", "braking", "--index", "40"], "--index must be"),
        (["--event", "braking", "--index", "1", "--channels", "Gear"], "unknown channel"),
    ],
)
def test_cli_bad_input_is_one_line(args: list[str], message: str) -> None:
    result = _run("explain", "event", "--sim", "monza", *args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.stderr

"""The detector on NumPy: the same probabilities as torch on simulated and real laps, the shipped
folded arrays equal to the shipped checkpoint, no torch (or scipy.signal) loaded to detect, and
the peak finder equal to scipy's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import find_peaks as scipy_find_peaks

from telecnn.errors import CheckpointError
from telecnn.telemetry.detector.loading import (
    default_folded_path,
    default_model_path,
    load_detector,
)
from telecnn.telemetry.detector.numpy_engine import fold_model, load_folded, save_folded
from telecnn.telemetry.detector.peaks import find_peaks
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.simulate import simulate_laps


@pytest.fixture(scope="module")
def engines():
    return load_detector(engine="numpy"), load_detector(engine="torch")


@pytest.fixture(scope="module")
def mixed_laps(quali_laps, china_laps, bahrain_laps) -> list[Lap]:
    sim = simulate_laps("monza", 3, seed=4) + simulate_laps("monaco", 2, seed=5, era="2025")
    return sim + quali_laps[:4] + china_laps[:6] + bahrain_laps[::40]


@pytest.mark.parametrize("channels", [None, ["Speed"], ["Speed", "Throttle", "Brake"]])
def test_numpy_equals_torch_on_every_probability(engines, mixed_laps, channels) -> None:
    numpy_engine, torch_engine = engines
    assert numpy_engine.model is None and numpy_engine.engine is not None
    a = numpy_engine.probabilities(mixed_laps, channels)
    b = torch_engine.probabilities(mixed_laps, channels)
    worst = max(float(np.abs(x.on_grid - y.on_grid).max()) for x, y in zip(a, b, strict=True))
    assert worst < 1e-5
    found = numpy_engine.detect_laps(mixed_laps, channels)
    assert [len(f) for f in found] == [
        len(f) for f in torch_engine.detect_laps(mixed_laps, channels)
    ]


def test_the_shipped_arrays_are_the_shipped_checkpoint_folded(engines, tmp_path: Path) -> None:
    """``detector.npz`` must be refreshed whenever ``detector.pt`` changes
    (``scripts/train_default_detector.py --fold-only``)."""
    shipped, meta = load_folded(default_folded_path())
    fresh = fold_model(engines[1].model)
    assert set(shipped.arrays) == set(fresh.arrays)
    assert shipped.inputs == fresh.inputs
    for name, values in fresh.arrays.items():
        np.testing.assert_array_equal(shipped.arrays[name], values, err_msg=name)
    assert json.loads(json.dumps(engines[1].extra())) == meta
    assert default_model_path().with_suffix(".npz") == default_folded_path()


def test_detection_loads_neither_torch_nor_scipy_signal(hungary_dir: Path) -> None:
    lap = str(hungary_dir / "LEC.json")
    code = (
        "import sys; from click.testing import CliRunner; from telecnn.cli import main; "
        f"r = CliRunner().invoke(main, ['detect-events', '--file', {lap!r}]); "
        "assert r.exit_code == 0, r.output; assert 'braking' in r.output; "
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('scipy.signal')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_usage_error_loads_no_data_library() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from telecnn.cli import main; "
        "r = CliRunner().invoke(main, ['detect-events', '--sim', 'monza', '--out', 'x.xlsx']); "
        "assert r.exit_code == 2, r.output; "
        "print(sorted(m for m in ('torch', 'pandas', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_torch_engine_from_the_cli_gives_the_same_events(hungary_dir: Path) -> None:
    from click.testing import CliRunner

    from telecnn.cli import main

    args = ["detect-events", "--file", str(hungary_dir / "NOR.json")]
    numpy_run = CliRunner().invoke(main, args)
    torch_run = CliRunner().invoke(main, [*args, "--engine", "torch"])
    assert numpy_run.exit_code == torch_run.exit_code == 0
    assert numpy_run.stdout == torch_run.stdout


def test_bad_folded_files_are_refused(tmp_path: Path, engines) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="not a folded event detector"):
        load_folded(junk)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, header=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError):  # object arrays would need a pickle: never read
        load_folded(pickled)
    partial = tmp_path / "partial.npz"
    folded = fold_model(engines[1].model)
    del folded.arrays["head.b"]
    save_folded(partial, folded, {})
    with pytest.raises(CheckpointError, match="do not make an event CNN"):
        load_folded(partial)


def test_a_folded_file_from_before_the_level_rows_still_loads(tmp_path: Path) -> None:
    """Files written before the model read the rules' levels have no ``level_rows`` in their
    header: they load as a model without level rows."""
    with np.load(default_folded_path(), allow_pickle=False) as data:
        header = json.loads(bytes(data["header"]).decode("utf-8"))
        arrays = {name: data[name] for name in data.files if name != "header"}
    assert header.pop("level_rows")
    old = tmp_path / "old.npz"
    text = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    np.savez(old, header=text, **arrays)
    folded, meta = load_folded(old)
    assert folded.inputs.level_rows == () and folded.inputs.trend_rows == tuple(
        header["trend_rows"]
    )
    assert meta == header["meta"]


def test_peaks_equal_scipys(engines, mixed_laps) -> None:
    """On the detector's own shift probabilities of real and simulated laps, and on random
    traces full of ties and flat tops."""
    rng = np.random.default_rng(0)
    traces = [p.on_grid[k] for p in engines[0].probabilities(mixed_laps) for k in (4, 5)]
    traces += [np.round(rng.random(rng.integers(3, 200)), 1) for _ in range(300)]
    for trace in traces:
        padded = np.concatenate([[-np.inf], trace, [-np.inf]])
        for height, distance in ((0.5, 3), (0.2, 1), (0.35, 7)):
            want = scipy_find_peaks(padded, height=height, distance=distance)[0]
            np.testing.assert_array_equal(find_peaks(padded, height, distance), want)

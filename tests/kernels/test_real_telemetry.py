"""The edge kernel finds real braking zones in real qualifying laps (Hungary 2024)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks

from telecnn.kernels import apply_to_trace


def _lap(path: Path) -> tuple[np.ndarray, np.ndarray]:
    telemetry = json.loads(path.read_text())["telemetry"]
    return np.asarray(telemetry["Speed"], float), np.asarray(telemetry["Brake"], float) > 0


def test_edge_peaks_on_speed_sit_on_braking_and_every_big_stop_is_found(f1_data: Path) -> None:
    laps = sorted((f1_data / "hungary-2024-q").glob("*.json"))
    assert len(laps) == 10
    for path in laps:
        speed, brake = _lap(path)
        response = apply_to_trace(speed, "edge")
        assert np.isnan(response[[0, -1]]).all() and not np.isnan(response[1:-1]).any()
        peaks, _ = find_peaks(np.nan_to_num(response), height=30, distance=5)
        assert len(peaks) >= 5, path.name
        for peak in peaks:  # a speed drop of 30 km/h over two samples is the driver braking
            assert brake[max(peak - 2, 0) : peak + 3].any(), (path.name, peak)
        onsets = np.flatnonzero(brake[1:] & ~brake[:-1]) + 1
        big = [o for o in onsets if speed[o] - speed[o : o + 10].min() > 60]
        assert len(big) >= 6, path.name  # the Hungaroring's heavy stops
        for onset in big:
            assert np.nanmax(response[onset - 1 : onset + 4]) > 15, (path.name, onset)

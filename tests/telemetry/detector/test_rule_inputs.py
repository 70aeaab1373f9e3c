"""The rules' inputs: each level row changes sign where its rule's comparison flips, on
the lap's values as the model normalises them, is zero where the channel is missing, and reads
the same on torch and NumPy; trend rows look back their lag, holding the first value."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from telecnn.telemetry.detector.features import Normalisation
from telecnn.telemetry.detector.model import EventCNN
from telecnn.telemetry.detector.rule_inputs import (
    CHANNEL_LEVELS,
    SLOPE_HALF_WIDTHS,
    StemInputs,
    rule_level_rows,
    speed_slope_rows,
    with_levels,
    with_rule_inputs,
    with_slopes,
    with_trends,
)
from telecnn.telemetry.events.rules import CLIP_MAX_GAIN, CLIP_THROTTLE, LIFT_THROTTLE_BELOW

CHANNELS = ("Speed", "Throttle", "Brake")
NORM = Normalisation(CHANNELS, (210.0, 62.0, 0.2), (75.0, 41.0, 0.4))
TREND_GAIN = 10.0


def _rows() -> list[tuple[int, float, float]]:
    return rule_level_rows(NORM.channels, NORM.mean, NORM.std, [0], TREND_GAIN)


def _spec(rows: list | None = None) -> StemInputs:
    return StemInputs(3, trend_rows=(0,), level_rows=tuple(_rows() if rows is None else rows))


def _inputs(speed: np.ndarray, throttle: np.ndarray, speed_before: np.ndarray) -> np.ndarray:
    """``(1, 2C + 1, L)``: normalised values, masks (all present) and the speed's trend row."""
    c = len(CHANNELS)
    x = np.zeros((1, 2 * c + 1, len(speed)))
    x[0, 0] = (speed - NORM.mean[0]) / NORM.std[0]
    x[0, 1] = (throttle - NORM.mean[1]) / NORM.std[1]
    x[0, c : 2 * c] = 1.0
    x[0, 2 * c] = (speed - speed_before) / NORM.std[0] * TREND_GAIN
    return x


def test_each_row_changes_sign_at_its_rules_level() -> None:
    rows = _rows()
    assert len(rows) == len(CHANNEL_LEVELS) + 1  # and the speed's gain over the look-back
    throttle = np.array([LIFT_THROTTLE_BELOW - 1, LIFT_THROTTLE_BELOW, LIFT_THROTTLE_BELOW + 1])
    speed = np.array([149.0, 150.0, 151.0])
    out = with_levels(_inputs(speed, throttle, speed - CLIP_MAX_GAIN), _spec(rows), np)
    lift_throttle, lift_speed, gain = out[0, 7], out[0, 9], out[0, 11]
    assert lift_throttle[0] < -0.4 and lift_throttle[1] == pytest.approx(0, abs=1e-9)
    assert lift_throttle[2] > 0.4
    assert lift_speed[0] < -0.3 and lift_speed[2] > 0.3
    assert np.allclose(gain, 0.0)  # exactly the clipping rule's 1 km/h
    full = with_levels(_inputs(speed, np.full(3, CLIP_THROTTLE - 1), speed), _spec(rows), np)
    assert full[0, 8].max() < -0.7  # 97%: not full throttle
    rising = with_levels(_inputs(speed, throttle, speed - 3.0), _spec(rows), np)
    assert rising[0, 11].min() > 0.9  # 3 km/h up in a second: still rising


def test_a_missing_channel_gives_zero_rows() -> None:
    x = _inputs(np.full(4, 250.0), np.full(4, 5.0), np.full(4, 250.0))
    x[:, [1, 4]] = 0.0  # Throttle hidden, as channel dropout or a lap without it does
    out = with_levels(x, _spec(), np)
    assert np.all(out[0, 7:9] == 0.0) and np.all(out[0, 9:11] != 0.0)


def test_levels_of_absent_channels_are_left_out() -> None:
    speed_only = Normalisation(("Speed",), (210.0,), (75.0,))
    rows = rule_level_rows(speed_only.channels, speed_only.mean, speed_only.std, [], TREND_GAIN)
    assert [r for r, _, _ in rows] == [0, 0]  # the two speed levels, no trend row


def test_torch_and_numpy_read_the_same_rows() -> None:
    rng = np.random.default_rng(0)
    x = _inputs(rng.uniform(100, 330, 50), rng.uniform(0, 100, 50), rng.uniform(100, 330, 50))
    a = with_levels(x, _spec(), np)
    b = with_levels(torch.from_numpy(x), _spec(), torch).numpy()
    np.testing.assert_allclose(a, b, atol=1e-12)
    model = EventCNN(3, trend_rows=[0], level_rows=_rows())
    assert model.stem[0].weight.shape[1] == 2 * 3 + 1 + len(_rows())


@pytest.mark.parametrize("length", [3, 40])  # shorter and longer than the look-back
def test_trend_rows_look_back_the_lag_holding_the_first_value(length: int) -> None:
    rng = np.random.default_rng(1)
    x = np.zeros((2, 6, length))
    x[:, :3] = rng.normal(size=(2, 3, length))
    x[:, 3:] = 1.0
    x[1, 3, :2] = 0.0  # Speed missing at the first two samples of the second lap
    lag, gain = 10, 10.0
    out = with_trends(x, 3, [0], lag, gain, np)
    assert out.shape == (2, 7, length)
    v, m = x[:, 0], x[:, 3]
    at = np.maximum(np.arange(length) - lag, 0)
    np.testing.assert_allclose(out[:, 6], (v - v[:, at]) * (m * m[:, at]) * gain)
    assert (out[1, 6, :2] == 0.0).all()
    same = with_trends(torch.from_numpy(x), 3, [0], lag, gain, torch).numpy()
    np.testing.assert_array_equal(out, same)


def test_slope_rows_read_the_speed_in_g_both_ways() -> None:
    """A car braking at a steady 4 g on the 10 Hz grid: every slope row reads -4 g inside the
    zone, 0 on the flat before it; the braking level row (-1.5 g) turns sign between; each
    looks its half width ahead and back (the lap's ends held), on torch as on NumPy."""
    hz, g = 10.0, 9.81
    t = np.arange(60) / hz
    speed = np.where(t < 2.0, 300.0, 300.0 - 4 * g * 3.6 * (t - 2.0))
    norm = Normalisation(("Speed",), (200.0,), (70.0,))
    slopes = speed_slope_rows(norm.channels, norm.std, hz)
    levels = rule_level_rows(norm.channels, norm.mean, norm.std, [], 10.0, slopes)
    spec = StemInputs(1, slope_rows=tuple(slopes), level_rows=tuple(levels))
    x = np.stack([(speed - 200.0) / 70.0, np.ones_like(speed)])[None]
    out = with_rule_inputs(x, spec, np)
    assert out.shape == (1, 2 + len(SLOPE_HALF_WIDTHS) + len(levels), len(t))
    for k, half in enumerate(SLOPE_HALF_WIDTHS):
        row = out[0, 2 + k]
        inside = (t >= 2.0 + half / hz) & (t <= t[-1] - half / hz)
        np.testing.assert_allclose(row[inside], -4.0, atol=1e-9)
        assert np.allclose(row[t <= 2.0 - half / hz], 0.0)
    braking = out[0, -1]  # the -1.5 g level on the 0.3 s slope
    assert braking[t < 1.0].max() > 0.99 and braking[(t > 3.0) & (t < 5.0)].max() < -0.99
    assert np.allclose(with_slopes(torch.from_numpy(x), 1, slopes, torch).numpy(),
                       with_slopes(x, 1, slopes, np), atol=1e-12)  # fmt: skip
    hidden = x.copy()
    hidden[0, 1] = 0.0  # Speed missing: no slope, no level
    assert np.all(with_rule_inputs(hidden, spec, np)[0, 2:] == 0.0)


def test_channels_typed_in_any_order_index_the_model_inputs_alike() -> None:
    """The model's rows follow the normalisation's (canonical) channel order; the trend row
    and the reduced feeds ChannelDropout draws must index the same rows, however the channels
    were typed (Brake,Speed,Throttle once made Throttle the trend row)."""
    from telecnn.telemetry.detector.config import DetectorTrainConfig

    typed = DetectorTrainConfig(channels=("Brake", "Speed", "Throttle"))
    norm = Normalisation(typed.channels, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    config = typed.build_model_config(norm)
    names = list(norm.channels)
    assert [names[r] for r in config["trend_rows"]] == ["Speed"]
    assert [[names[i] for i in feed] for feed in config["dropout_subsets"]] == [
        ["Speed", "Throttle"]
    ]
    assert names[0] == "Speed"  # the channel ChannelDropout keeps alone

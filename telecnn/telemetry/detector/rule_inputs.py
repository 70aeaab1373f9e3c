"""The fixed inputs the event CNN's stem reads beside the channels, from the rules: the trend
rows (a channel's change over the clipping rule's look-back), the slope rows (a channel's rate
of change, centred, at several scales: the speed's in g, what braking and lifting show from the
speed trace alone) and one row per level a rule compares a channel, a trend or a slope with.

The rules label a sample by sharp comparisons (``Throttle`` < 10, ``Speed`` >= 150, the speed's
gain over the last second at most 1 km/h...). A convolution sees a channel's value as a straight
line, and on a 10 Hz grid the place where it crosses a level falls between the samples; each
level row gives the CNN that comparison directly: ``tanh((value - level) / softness)``, -1 well
below the level, +1 well above it, fractional within ``softness`` of it (so the crossing's
place between two grid points survives), and 0 where the channel is missing. The same
functions serve the torch model and the NumPy engine (``xp`` is ``torch`` or ``numpy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telecnn.telemetry.events.rules import (
    CLIP_MAX_GAIN,
    CLIP_MIN_SPEED,
    CLIP_THROTTLE,
    LIFT_MIN_SPEED,
    LIFT_THROTTLE_BELOW,
    SPEED_RULE_DECEL_G,
    G,
)

#: ``(channel, level, softness)`` in the channel's own unit, for the rules' channel levels.
CHANNEL_LEVELS: tuple[tuple[str, float, float], ...] = (
    ("Throttle", LIFT_THROTTLE_BELOW, 2.0),
    ("Throttle", CLIP_THROTTLE, 1.0),
    ("Speed", LIFT_MIN_SPEED, 3.0),
    ("Speed", CLIP_MIN_SPEED, 3.0),
)
#: ``(channel, level, softness)`` for the trend rows (the channel's change over the trend lag,
#: in its unit): the clipping rule's "speed no longer rising".
TREND_LEVELS: tuple[tuple[str, float, float], ...] = (("Speed", CLIP_MAX_GAIN, 0.5),)

#: The speed's slopes, centred over ``2 * half`` grid samples each side (0.2, 0.6, 1.6 s at
#: 10 Hz), in g: a braking zone's -3 to -5 g, a lift's -1 g of drag, a car pulling away.
SLOPE_HALF_WIDTHS: tuple[int, ...] = (1, 3, 8)
#: ``(slope's half width, level in g, softness in g)``: the speed-only rule's deceleration.
SLOPE_LEVELS: tuple[tuple[int, float, float], ...] = ((3, -SPEED_RULE_DECEL_G, 0.3),)

#: A level row: ``(source row, level, gain)``, the row counted in the model's input before
#: the levels (values ``0..C-1``, masks ``C..2C-1``, trend rows from ``2C``, slope rows after
#: them), the level and gain in that row's units.
LevelRow = tuple[int, float, float]
#: A slope row: ``(channel, half width in samples, gain)``.
SlopeRow = tuple[int, int, float]


@dataclass(frozen=True)
class StemInputs:
    """The fixed rows the stem reads beside a model's ``channels`` (values, then masks): its
    trend rows, slope rows and level rows, in that order."""

    channels: int
    trend_rows: tuple[int, ...] = ()
    trend_lag: int = 10
    trend_gain: float = 10.0
    slope_rows: tuple[SlopeRow, ...] = ()
    level_rows: tuple[LevelRow, ...] = ()

    @property
    def derived(self) -> int:
        """How many rows the stem reads beyond the channels' values and masks."""
        return len(self.trend_rows) + len(self.slope_rows) + len(self.level_rows)

    def source_channel(self, row: int) -> int:
        """The channel a row of the input (before the levels) is made from."""
        c, t = self.channels, len(self.trend_rows)
        if row < 2 * c:
            return row % c
        if row < 2 * c + t:
            return self.trend_rows[row - 2 * c]
        return self.slope_rows[row - 2 * c - t][0]

    def header(self) -> dict[str, Any]:
        """As plain values (a checkpoint's model config, a folded file's header)."""
        return {
            "trend_rows": list(self.trend_rows),
            "trend_lag": self.trend_lag,
            "trend_gain": self.trend_gain,
            "slope_rows": [list(row) for row in self.slope_rows],
            "level_rows": [list(row) for row in self.level_rows],
        }

    @classmethod
    def of(cls, channels: int, config: dict[str, Any]) -> StemInputs:
        """From :meth:`header`'s values (files from before slopes or levels have none)."""
        return cls(
            int(channels),
            tuple(int(r) for r in config.get("trend_rows", ())),
            int(config.get("trend_lag", 10)),
            float(config.get("trend_gain", 10.0)),
            tuple((int(c), int(h), float(g)) for c, h, g in config.get("slope_rows", ())),
            tuple((int(r), float(lv), float(g)) for r, lv, g in config.get("level_rows", ())),
        )


def speed_slope_rows(channels: Sequence[str], std: Sequence[float], hz: float) -> list[SlopeRow]:
    """The Speed channel's slope rows (:data:`SLOPE_HALF_WIDTHS`), each scaled to g."""
    if "Speed" not in channels:
        return []
    i = list(channels).index("Speed")
    # a normalised difference over 2h samples, times std, is km/h over 2h / hz seconds
    return [(i, h, std[i] / 3.6 / G / (2 * h / hz)) for h in SLOPE_HALF_WIDTHS]


def rule_level_rows(
    channels: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
    trend_rows: Sequence[int],
    trend_gain: float,
    slope_rows: Sequence[SlopeRow] = (),
) -> list[LevelRow]:
    """The level rows of :data:`CHANNEL_LEVELS`, :data:`TREND_LEVELS` and
    :data:`SLOPE_LEVELS` for a model reading ``channels`` normalised by ``mean`` and ``std``
    (levels of absent channels are left out)."""
    rows: list[LevelRow] = []
    for name, level, soft in CHANNEL_LEVELS:
        if name in channels:
            i = list(channels).index(name)
            rows.append((i, (level - mean[i]) / std[i], std[i] / soft))
    trends = [channels[r] for r in trend_rows]
    for name, level, soft in TREND_LEVELS:
        if name in trends:
            j, i = trends.index(name), list(channels).index(name)
            # a trend row is the normalised change times trend_gain
            scale = trend_gain / std[i]
            rows.append((2 * len(channels) + j, level * scale, 1.0 / (soft * scale)))
    first_slope = 2 * len(channels) + len(trend_rows)
    for half, level, soft in SLOPE_LEVELS:
        for k, (_, h, _) in enumerate(slope_rows):
            if h == half:  # a slope row is in g already
                rows.append((first_slope + k, level, 1.0 / soft))
    return rows


def with_rule_inputs(x: Any, spec: StemInputs, xp: Any) -> Any:
    """What the stem reads: ``x`` ``(N, 2C, L)`` (values, then masks) with its trend rows,
    slope rows, then level rows (``xp``: ``numpy`` or ``torch``)."""
    x = with_trends(x, spec.channels, spec.trend_rows, spec.trend_lag, spec.trend_gain, xp)
    x = with_slopes(x, spec.channels, spec.slope_rows, xp)
    return with_levels(x, spec, xp)


def _shifted(v: Any, lag: int, xp: Any) -> Any:
    """``v`` ``(N, K, L)`` ``lag`` samples later (lag > 0: the value ``lag`` before, the first
    held before the start; lag < 0: the value after, the last held past the end)."""
    length = v.shape[-1]
    if lag > 0:
        return xp.concatenate([v[..., :1]] * lag + [v[..., : max(length - lag, 0)]], -1)[
            ..., :length
        ]
    lead = -lag
    return xp.concatenate([v[..., lead:]] + [v[..., -1:]] * lead, -1)[..., -length:]


def with_trends(x: Any, channels: int, rows: Sequence[int], lag: int, gain: float, xp: Any) -> Any:
    """``x`` ``(N, 2C, L)`` with one more row per ``rows`` channel: its value now less its
    value ``lag`` samples before (the first value before the lap starts), times ``gain``;
    zero where either sample is missing."""
    if not rows:
        return x
    k = len(rows)
    pair = x[:, list(rows) + [channels + r for r in rows]]  # values, then their masks
    before = _shifted(pair, lag, xp)
    v, m, pv, pm = pair[:, :k], pair[:, k:], before[:, :k], before[:, k:]
    return xp.concatenate([x, (v - pv) * (m * pm) * gain], 1)


def with_slopes(x: Any, channels: int, rows: Sequence[SlopeRow], xp: Any) -> Any:
    """``x`` with one more row per slope row ``(channel, half, gain)``: the channel's value
    ``half`` samples later less its value ``half`` before (held at the lap's ends), times
    ``gain``; zero where either sample is missing."""
    if not rows:
        return x
    out = []
    for channel, half, gain in rows:
        pair = x[:, [channel, channels + channel]]
        after, before = _shifted(pair, -half, xp), _shifted(pair, half, xp)
        out.append((after[:, 0] - before[:, 0]) * after[:, 1] * before[:, 1] * gain)
    return xp.concatenate([x, xp.stack(out, 1)], 1)


def with_levels(x: Any, spec: StemInputs, xp: Any) -> Any:
    """``x`` (values, masks, trend rows, slope rows) with one more row per level row:
    ``tanh((row - level) * gain)`` times the mask of the row's channel."""
    if not spec.level_rows:
        return x
    out = []
    for row, level, gain in spec.level_rows:
        mask = x[:, spec.channels + spec.source_channel(row)]
        out.append(xp.tanh((x[:, row] - level) * gain) * mask)
    return xp.concatenate([x, xp.stack(out, 1)], 1)

"""The fixed inputs the event CNN's stem reads beside the channels, from the rules: the trend
rows (a channel's change over the clipping rule's look-back) and one row per level a rule
compares a channel (or a trend) with.

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
from typing import Any

from telecnn.telemetry.events.rules import (
    CLIP_MAX_GAIN,
    CLIP_MIN_SPEED,
    CLIP_THROTTLE,
    LIFT_MIN_SPEED,
    LIFT_THROTTLE_BELOW,
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

#: A level row: ``(source row, level, gain)``, the row counted in the model's input before
#: the levels (values ``0..C-1``, masks ``C..2C-1``, trend rows from ``2C``), the level and
#: gain in that row's normalised units.
LevelRow = tuple[int, float, float]


def rule_level_rows(
    channels: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
    trend_rows: Sequence[int],
    trend_gain: float,
) -> list[LevelRow]:
    """The level rows of :data:`CHANNEL_LEVELS` and :data:`TREND_LEVELS` for a model reading
    ``channels`` normalised by ``mean`` and ``std`` (levels of absent channels are left out)."""
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
    return rows


def with_rule_inputs(
    x: Any,
    channels: int,
    trend_rows: Sequence[int],
    trend_lag: int,
    trend_gain: float,
    level_rows: Sequence[LevelRow],
    xp: Any,
) -> Any:
    """What the stem reads: ``x`` ``(N, 2C, L)`` (values, then masks) with its trend rows,
    then its level rows."""
    trends = with_trends(x, channels, trend_rows, trend_lag, trend_gain, xp)
    return with_levels(trends, level_rows, channels, trend_rows, xp)


def with_trends(x: Any, channels: int, rows: Sequence[int], lag: int, gain: float, xp: Any) -> Any:
    """``x`` ``(N, 2C, L)`` with one more row per ``rows`` channel: its value now less its
    value ``lag`` samples before (the first value before the lap starts), times ``gain``;
    zero where either sample is missing."""
    if not rows:
        return x
    length, k = x.shape[-1], len(rows)
    pair = x[:, list(rows) + [channels + r for r in rows]]  # values, then their masks
    first = pair[..., :1]
    before = xp.concatenate([first] * lag + [pair[..., : max(length - lag, 0)]], -1)
    before = before[..., :length]
    v, m, pv, pm = pair[:, :k], pair[:, k:], before[:, :k], before[:, k:]
    return xp.concatenate([x, (v - pv) * (m * pm) * gain], 1)


def with_levels(
    x: Any, level_rows: Sequence[LevelRow], channels: int, trend_rows: Sequence[int], xp: Any
) -> Any:
    """``x`` ``(N, 2C + T, L)`` (values, masks, trend rows) with one more row per level row:
    ``tanh((row - level) * gain)`` times the mask of the row's channel."""
    if not level_rows:
        return x
    out = []
    for row, level, gain in level_rows:
        channel = row if row < channels else trend_rows[row - 2 * channels]
        out.append(xp.tanh((x[:, row] - level) * gain) * x[:, channels + channel])
    return xp.concatenate([x, xp.stack(out, 1)], 1)

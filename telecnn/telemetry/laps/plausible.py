"""What telemetry can be: each channel's physical range, and the rates loggers sample at.

Cleaning (:mod:`.clean`) asks two things of every source's data here:

- :func:`implausible`: the values a car cannot show (a negative or 1e308 km/h speed, 50,000
  RPM, gear 42, any infinity), which become gaps; where more than :data:`MAX_BAD_SHARE` of a
  lap's values of a channel are such values or text, the channel is dropped, not filled;
- :func:`seconds_factor`: the time unit. Telemetry is logged at :data:`RATE_HZ` (fastf1's car
  data about 3.7 Hz, merged telemetry 7.5 Hz, other loggers up to a few hundred): a lap whose
  median sample step is no such rate in seconds is read in the one unit of
  :data:`TIME_UNITS` that gives one (``Time`` in milliseconds: a median step of 270), or
  refused when none does.
"""

from __future__ import annotations

import numpy as np

from telecnn.errors import TelecnnError

#: Each channel's physical range (inclusive): outside it, or infinite, a value is no reading.
RANGES: dict[str, tuple[float, float]] = {
    "Speed": (0.0, 400.0),  # km/h: standing still to beyond any car's top speed
    "RPM": (0.0, 20_000.0),
    "nGear": (0.0, 9.0),  # 0 is neutral
    "Throttle": (0.0, 110.0),  # per cent; real fastf1 data reaches 104
    "Brake": (0.0, 100.0),  # on/off, 0/1 or a 0-100 pedal
    "DRS": (0.0, 14.0),  # fastf1's codes
}
#: Units of :data:`RANGES` in notes.
UNITS = {"Speed": " km/h", "Throttle": "%"}
#: Above this share of a lap's values not numbers or implausible, a channel is dropped: filling
#: that much would present a guess as data.
MAX_BAD_SHARE = 0.2

#: Sample rates (Hz) telemetry is logged at: a lap's median step must give one.
RATE_HZ = (0.5, 500.0)
#: The units a numeric time may be in, tried in turn (their factors to seconds); each covers
#: the rates' span of steps (a factor 1,000), so at most one fits.
TIME_UNITS: tuple[tuple[str, str, float], ...] = (
    ("seconds", "s", 1.0),
    ("milliseconds", "ms", 1e-3),
    ("microseconds", "µs", 1e-6),
    ("nanoseconds", "ns", 1e-9),
)
#: A lap read in another unit than seconds must still last this long.
MIN_CONVERTED_SPAN_S = 1.0


def implausible(name: str, values: np.ndarray) -> np.ndarray | None:
    """Where ``values`` of channel ``name`` are no reading (outside :data:`RANGES`, or
    infinite; NaN is a gap already, not counted); None when every value is fine."""
    if not len(values):
        return None
    least, most = np.fmin.reduce(values), np.fmax.reduce(values)  # NaN skipped: two passes
    low, high = RANGES.get(name, (-np.inf, np.inf))
    if np.isnan(least) or (low <= least and most <= high and np.isfinite([least, most]).all()):
        return None  # nearly every file: no mask built
    return (values < low) | (values > high) | np.isinf(values)  # NaN compares False: a gap


def range_text(name: str) -> str:
    """``outside 0-400 km/h`` (or ``infinite`` for a channel without a range)."""
    if name not in RANGES:
        return "infinite"
    low, high = RANGES[name]
    return f"outside {low:g}-{high:g}{UNITS.get(name, '')}"


def seconds_factor(times: np.ndarray) -> tuple[float, str | None]:
    """The factor that turns a lap's ``times`` into seconds, and a note naming the unit guessed
    (None: seconds). Raises :class:`TelecnnError` when no unit gives a logger's rate."""
    low, high = 1.0 / RATE_HZ[1], 1.0 / RATE_HZ[0]
    n = len(times)
    if n < 2:
        return 1.0, None
    mean = (times.max() - times.min()) / (n - 1)  # cheap, and enough for nearly every lap
    if low <= mean <= high:
        return 1.0, None
    step = _median_step(times)
    if step is None or low <= step <= high:
        return 1.0, None
    span = float(np.nanmax(times) - np.nanmin(times))
    for unit, short, factor in TIME_UNITS[1:]:
        if low <= step * factor <= high and span * factor >= MIN_CONVERTED_SPAN_S:
            return factor, f"Time read as {unit} (median step {_number(step)} {short})"
    raise TelecnnError(
        f"Time: a median sample step of {_number(step)} gives no telemetry rate in s, ms, µs or ns "
        f"(telemetry is logged at {RATE_HZ[0]:g}-{RATE_HZ[1]:g} Hz): check the time column"
    )


def _median_step(times: np.ndarray) -> float | None:
    """The median positive step between a lap's times, in time order (None: no step)."""
    t = times[np.isfinite(times)]
    step = np.diff(t)
    if (step < 0).any():
        step = np.diff(np.sort(t))
    step = step[step > 0]
    if not len(step):
        return None
    return float(np.partition(step, len(step) // 2)[len(step) // 2])


def _number(value: float) -> str:
    """``270``, ``270,000``, ``0.0012``: a step as it reads best."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"

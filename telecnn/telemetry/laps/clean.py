"""Normalising any telemetry frame into the one lap representation.

``Time`` becomes seconds from lap start (from timedeltas, timedelta strings or seconds, with
``SessionTime`` or ``Date`` as fallbacks), rows are time-sorted with duplicate times dropped,
``Brake`` becomes 0/1, NaN gaps are filled by each channel's kind (short ones silently, long ones
with a note), all-NaN and missing channels are reported, and ``Distance`` is integrated from
``Speed`` when absent. Values no car shows (:mod:`.plausible`: outside a channel's physical
range, infinite) and text in a numeric column become gaps; a channel with more than a fifth of a
lap's values such is dropped instead of filled, and a lap whose times are in another unit
(milliseconds...) is read in it. Everything noteworthy lands in ``LapMeta.notes``, one note per
kind and lap (:func:`telecnn.telemetry.laps.notes.notes_summary` sums them up per file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.events.table import run_bounds
from telecnn.telemetry.laps.axes import distance_from_speed, numeric_values
from telecnn.telemetry.laps.grid import fill_gaps
from telecnn.telemetry.laps.plausible import (
    MAX_BAD_SHARE,
    implausible,
    range_text,
    seconds_factor,
)
from telecnn.telemetry.laps.schema import CHANNEL_KIND, CHANNELS, POSITION_CHANNELS, Lap, LapMeta

#: NaN gaps up to this long (seconds) are filled without a note.
SHORT_GAP_S = 1.0
#: Times going backwards by more than this mean several laps were mixed into one frame.
LAP_RESET_S = 5.0
KNOWN = (*CHANNELS, *POSITION_CHANNELS)
_INT_CHANNELS = ("nGear", "Brake", "DRS")
#: A column :func:`normalise_frame` adds where some values were doubtful: per sample, bit k set
#: where channel ``KNOWN[k]`` held text, bit ``_IMPLAUSIBLE + k`` where it held no reading.
DOUBTFUL = "_doubtful"
_IMPLAUSIBLE = 16


def clean_lap(frame: pd.DataFrame, meta: LapMeta | None = None, strict: bool = False) -> Lap:
    """Turn a telemetry frame (fastf1 column names, any case) into a clean :class:`Lap`.

    With ``strict`` unsorted or duplicate times raise instead of being fixed with a note.
    Raises :class:`TelecnnError` for an empty lap, no usable time column, no recognisable
    telemetry columns, or times that reset (several laps in one frame).
    """
    meta = meta or LapMeta()
    if not isinstance(frame, pd.DataFrame):
        raise TelecnnError(f"expected a DataFrame of telemetry, got {type(frame).__name__}")
    if len(frame) == 0:
        raise TelecnnError(f"empty lap: {meta.label()} has no samples")
    return finish_lap(normalise_frame(frame), meta, strict)


def normalise_frame(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """The file-wide half of cleaning, done once however many laps a frame holds: canonical
    column names, ``Time`` in seconds from each lap's start (laps told apart by the ``keys``
    columns, which are kept), every known channel numeric and ``Brake`` as 0/1; text and
    values no car shows become NaN, marked in a :data:`DOUBTFUL` column for the laps' notes."""
    frame = canonical_names(frame)
    channels = [c for c in KNOWN if c in frame.columns]
    if not any(c in channels for c in (*CHANNELS, "Distance", "X", "Y")):
        found = ", ".join(map(str, frame.columns[:12])) or "none"
        raise TelecnnError(
            "no recognisable telemetry columns (expected some of "
            f"{', '.join(CHANNELS)}, Distance, X, Y); found: {found}"
        )
    cols = {key: frame[key].to_numpy() for key in keys}
    cols["Time"] = lap_seconds(frame, keys)
    doubtful: np.ndarray | None = None
    for name in channels:
        values, text, odd = _channel(frame[name], name)
        if np.isnan(values).all() and text is not None and text.any():
            example = frame[name].dropna().iloc[0]
            raise TelecnnError(
                f"column {name} holds no numbers (e.g. {example!r}): it must be numeric "
                "telemetry (a few unreadable cells among numbers are treated as gaps)"
            )
        cols[name] = values
        for bit, where in ((KNOWN.index(name), text), (_IMPLAUSIBLE + KNOWN.index(name), odd)):
            if where is not None and where.any():
                doubtful = np.zeros(len(frame), np.int32) if doubtful is None else doubtful
                doubtful[where] |= np.int32(1 << bit)
    if doubtful is not None:
        cols[DOUBTFUL] = doubtful
    return pd.DataFrame(cols)


def finish_lap(
    data: pd.DataFrame | Mapping[str, np.ndarray], meta: LapMeta, strict: bool = False
) -> Lap:
    """The per-lap half of cleaning on a :func:`normalise_frame` result (a frame, or its
    columns as arrays): time order and duplicates, NaN gaps, missing channels, ``Distance``,
    integer channels and the notes."""
    notes: list[str] = []
    # on NumPy columns, one DataFrame built at the end: a pandas round per column and lap
    # costs more than the work itself on a race of laps
    if isinstance(data, pd.DataFrame):
        data = {name: data[name].to_numpy() for name in data.columns}
    cols = _in_seconds(dict(data), notes)
    cols = _order(cols, notes, strict)
    times = cols["Time"].astype(float, copy=False)
    doubtful = cols.pop(DOUBTFUL, None)
    if doubtful is not None and doubtful.any():  # (NaN where frames with and without it met)
        _drop_or_note_doubtful(cols, np.nan_to_num(doubtful).astype(np.int64), notes)
    for name in [c for c in KNOWN if c in cols]:
        values = cols[name].astype(float, copy=False)
        bad = np.isnan(values)
        if bad.all():
            del cols[name]
            notes.append(f"{name} is all NaN: dropped")
        elif bad.any():
            cols[name] = _fill(times, values, name, notes)
    missing = [c for c in CHANNELS if c not in cols]
    if len(missing) == len(CHANNELS) and not {"Distance", "X", "Y"} & set(cols):
        raise TelecnnError(f"no usable channels: {'; '.join(notes)}")
    if missing:
        notes.append(f"missing channels: {', '.join(missing)}")
    if "Distance" not in cols and "Speed" in cols:
        cols["Distance"] = distance_from_speed(times, cols["Speed"].astype(float, copy=False))
    for name in _INT_CHANNELS:
        if name in cols:
            cols[name] = np.rint(cols[name].astype(float, copy=False)).astype(np.int64)
    _note_time_gaps(times, notes)
    meta = meta.with_notes(*notes)
    return Lap.from_columns(cols, meta)


def lap_seconds(frame: pd.DataFrame, keys: Sequence[str] = ()) -> np.ndarray:
    """Seconds from lap start: ``Time`` as is (timedelta, string or seconds), else ``SessionTime``
    or ``Date`` relative to the lap's first sample (each ``keys`` group's, when given)."""
    for name, relative in (("Time", False), ("SessionTime", True), ("Date", True)):
        if name in frame.columns:
            seconds = _to_seconds(frame[name], name)
            if relative:
                if keys:
                    laps = pd.Series(seconds).groupby([frame[k].to_numpy() for k in keys])
                    seconds = seconds - laps.transform("min").to_numpy()
                else:
                    seconds = seconds - np.nanmin(seconds)
            return seconds
    raise TelecnnError(
        "no time column: expected Time (seconds or timedelta from lap start), SessionTime or Date"
    )


#: Other feeds' names for our channels (OpenF1's ``n_gear``, per-lap files' ``gear``); every
#: other name is matched ignoring case (``speed`` is ``Speed``).
ALIASES = {"n_gear": "nGear", "gear": "nGear"}


def canonical_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its columns under fastf1's names where they are ours in another case or
    a feed's own spelling (:data:`ALIASES`); other columns keep theirs."""
    lookup = {c.lower(): c for c in (*KNOWN, "Time", "SessionTime", "Date")} | ALIASES
    renames = {}
    for col in frame.columns:
        canon = lookup.get(str(col).lower())
        if canon and canon != col and canon not in frame.columns:
            renames[col] = canon
    return frame.rename(columns=renames) if renames else frame


def _to_seconds(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(col):
        return col.dt.total_seconds().to_numpy(dtype=float)
    if pd.api.types.is_datetime64_any_dtype(col):
        return (col - col.min()).dt.total_seconds().to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float)
    numeric = pd.to_numeric(col, errors="coerce")
    if numeric.notna().sum() >= max(1, int(0.9 * col.notna().sum())):
        return numeric.to_numpy(dtype=float)
    for parse in (pd.to_timedelta, pd.to_datetime):
        try:
            parsed = parse(col, errors="raise")
        except (ValueError, TypeError):
            continue
        return _to_seconds(parsed, name)
    raise TelecnnError(f"cannot read {name} as seconds, timedeltas or dates (e.g. {col.iloc[0]!r})")


def _channel(col: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """A channel's column as float64, and where it held text and where no reading (both NaN
    in the values; None: nowhere); ``Brake`` as 0/1 from booleans, ``true``/``false`` text, 0/1
    or 0-100."""
    if name == "Brake" and col.dtype == bool:  # fastf1's own: nothing to doubt
        return col.to_numpy(dtype=float), None, None
    if name == "Brake" and col.dtype == object:
        lowered = col.astype(str).str.lower()
        col = col.where(~lowered.isin(["true", "false"]), lowered == "true")
    values = numeric_values(col)
    text = None
    if col.dtype == object:  # numbers as text, or text that is no number
        text = np.isnan(values) & col.notna().to_numpy()
    odd = implausible(name, values)
    if odd is not None:
        values = np.where(odd, np.nan, values)
    if name == "Brake" and not np.isnan(values).all():
        scale = 100.0 if np.nanmax(values) > 1.0 else 1.0
        values = np.where(np.isnan(values), np.nan, (values / scale > 0.01).astype(float))
    return values, text, odd


def _in_seconds(cols: dict[str, np.ndarray], notes: list[str]) -> dict[str, np.ndarray]:
    """The lap's columns with ``Time`` in seconds (:func:`~.plausible.seconds_factor`)."""
    times = cols["Time"].astype(float, copy=False)
    factor, note = seconds_factor(times)
    if note is not None:
        notes.append(note)
        cols["Time"] = times * factor
    return cols


def _drop_or_note_doubtful(
    cols: dict[str, np.ndarray], doubtful: np.ndarray, notes: list[str]
) -> None:
    """Drop each channel with more than :data:`MAX_BAD_SHARE` of the lap's values text or no
    reading (a note each); note how many of the others' became gaps (one note)."""
    n = len(doubtful)
    gaps = []
    for k, name in enumerate(KNOWN):
        if name not in cols:
            continue
        text = int(np.count_nonzero(doubtful & (1 << k)))
        odd = int(np.count_nonzero(doubtful & (1 << (_IMPLAUSIBLE + k))))
        if not text and not odd:
            continue
        what = " or ".join(w for w, c in (("not numbers", text), (range_text(name), odd)) if c)
        if text + odd > MAX_BAD_SHARE * n:
            del cols[name]
            notes.append(f"{name}: {text + odd} of {n} values {what}: dropped, not filled")
        else:
            gaps.append(f"{name} {text + odd} ({what})")
    if gaps:
        notes.append(f"values made gaps, then filled: {', '.join(gaps)}")


def _order(cols: dict[str, np.ndarray], notes: list[str], strict: bool) -> dict[str, np.ndarray]:
    """The lap's columns without samples lacking a time, in time order, each time once."""
    t = cols["Time"].astype(float, copy=False)
    timed = np.isfinite(t)
    if not timed.any():
        raise TelecnnError("no valid times: the time column is empty or unreadable")
    if not timed.all():
        notes.append(f"{int((~timed).sum())} samples without a time: dropped")
        cols = _rows(cols, timed)
        t = cols["Time"].astype(float, copy=False)
    back = np.diff(t)
    # a few big backward jumps in otherwise rising times: laps glued together (shuffled rows
    # go back at about every other step and are simply sorted)
    if len(back) and back.min() < -LAP_RESET_S and (back < 0).sum() <= 3:
        at = int(np.argmin(back)) + 1
        raise TelecnnError(
            f"times jump back by {-back.min():.1f} s at row {at}: several laps in one frame? "
            "give Driver and LapNumber columns or one lap per file"
        )
    if len(back) and back.min() < 0:
        if strict:
            raise TelecnnError(f"times are not sorted (row {int(np.argmin(back)) + 1} goes back)")
        notes.append(f"{int((back < 0).sum())} out-of-order samples: sorted by time")
        cols = _rows(cols, np.argsort(t, kind="stable"))
        t = cols["Time"].astype(float, copy=False)
    dup = np.zeros(len(t), dtype=bool)
    dup[1:] = t[1:] == t[:-1]  # in time order, a repeated time follows its first
    if dup.any():
        if strict:
            raise TelecnnError(f"{int(dup.sum())} duplicate times")
        notes.append(f"{int(dup.sum())} duplicate times: kept the first sample of each")
        cols = _rows(cols, ~dup)
    if len(cols["Time"]) < 2:
        raise TelecnnError("a lap needs at least two samples at different times")
    return cols


def _rows(cols: dict[str, np.ndarray], which: np.ndarray) -> dict[str, np.ndarray]:
    """Every column at the rows ``which`` (a mask or indices) picks."""
    return {name: values[which] for name, values in cols.items()}


def _fill(times: np.ndarray, values: np.ndarray, name: str, notes: list[str]) -> np.ndarray:
    _note_long_gaps(times, np.isnan(values), name, notes)
    return fill_gaps(times, values, CHANNEL_KIND.get(name, "continuous"))


def _note_long_gaps(times: np.ndarray, bad: np.ndarray, name: str, notes: list[str]) -> None:
    starts, ends = run_bounds(bad)
    last = len(times) - 1
    before = times[np.maximum(starts - 1, 0)]
    after = times[np.minimum(ends + 1, last)]
    for k in np.flatnonzero(after - before > SHORT_GAP_S):
        gap = after[k] - before[k]
        notes.append(f"{name}: {gap:.1f} s NaN gap at {times[starts[k]]:.1f} s filled")


def merge_position(car: pd.DataFrame, pos: pd.DataFrame) -> pd.DataFrame:
    """``car`` with ``X``/``Y``/``Z`` from a position frame interpolated onto its samples' times
    (``SessionTime`` when both have it, else ``Time``; any form :func:`lap_seconds` reads).
    Columns ``car`` already has are kept; unreadable times leave ``car`` as it is."""
    key = "SessionTime" if "SessionTime" in car and "SessionTime" in pos else "Time"
    if key not in car or key not in pos or not {"X", "Y"} <= set(pos.columns):
        return car
    try:  # absolute times for both frames, so they line up
        t_car, t_pos = _to_seconds(car[key], key), _to_seconds(pos[key], key)
    except TelecnnError:
        return car
    order = np.argsort(t_pos)
    out = car.copy()
    for name in ("X", "Y", "Z"):
        if name in pos and name not in car:
            values = pd.to_numeric(pos[name], errors="coerce").to_numpy(float)[order]
            ok = np.isfinite(values) & np.isfinite(t_pos[order])
            if ok.sum() >= 2:
                out[name] = np.interp(t_car, t_pos[order][ok], values[ok])
    return out


def _note_time_gaps(times: np.ndarray, notes: list[str]) -> None:
    if len(times) > 1:
        step = np.diff(times)
        if step.max() > 4 * SHORT_GAP_S:
            at = times[int(np.argmax(step))]
            notes.append(f"longest time gap {step.max():.1f} s at {at:.1f} s")

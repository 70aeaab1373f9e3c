"""The telemetry vocabulary shared by every source, the rules and the CNN detector.

A lap is its samples under fastf1's column names (``Time`` in seconds from lap start), as a
DataFrame or as column arrays, plus :class:`LapMeta`; events come back as a DataFrame with
:data:`EVENT_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from telecnn.telemetry.events.taxonomy import EVENT_TYPES as EVENT_TYPES
from telecnn.telemetry.events.taxonomy import POINT_EVENTS as POINT_EVENTS
from telecnn.telemetry.events.taxonomy import SIM_ONLY_EVENTS as SIM_ONLY_EVENTS
from telecnn.telemetry.laps.axes import lap_distance, lap_times

#: The six car channels, as fastf1 names them, in the detector's input order.
CHANNELS: tuple[str, ...] = ("Speed", "RPM", "nGear", "Throttle", "Brake", "DRS")
#: Position channels, kept when a source has them.
POSITION_CHANNELS: tuple[str, ...] = ("Distance", "X", "Y", "Z")
#: How each channel is resampled (fastf1's own split): continuous ones are interpolated,
#: discrete ones take the previous sample's value.
CHANNEL_KIND: dict[str, str] = {
    "Speed": "continuous",
    "RPM": "continuous",
    "Throttle": "continuous",
    "Distance": "continuous",
    "X": "continuous",
    "Y": "continuous",
    "Z": "continuous",
    "nGear": "discrete",
    "Brake": "discrete",
    "DRS": "discrete",
}
#: The words an on/off channel's two states read as, in every figure and table.
ON_OFF: dict[str, tuple[str, str]] = {"Brake": ("off", "on"), "DRS": ("closed", "open")}
#: fastf1 DRS codes meaning the flap is open (8 is "eligible", 0/1 off).
DRS_OPEN_CODES: frozenset[int] = frozenset({10, 12, 14})

#: The channels each event type shows in: any one of these sets is enough to detect it. Given
#: fewer channels, a detector reports only the types they can show (Speed alone: braking).
EVENT_EVIDENCE: dict[str, tuple[frozenset[str], ...]] = {
    "braking": (frozenset({"Brake"}), frozenset({"Speed"})),
    "lift_coast": (frozenset({"Throttle", "Speed"}),),
    "clipping": (frozenset({"Throttle", "Speed"}),),
    "drs": (frozenset({"DRS"}),),
    "upshift": (frozenset({"nGear"}), frozenset({"RPM"})),
    "downshift": (frozenset({"nGear"}), frozenset({"RPM"})),
    "wheelspin": (frozenset({"RPM", "Speed"}),),
    "lockup": (frozenset({"RPM", "Speed"}),),
}


def supported_events(channels: Iterable[str]) -> tuple[str, ...]:
    """The event types (taxonomy order) that these channels can show (:data:`EVENT_EVIDENCE`)."""
    have = set(channels)
    return tuple(e for e in EVENT_TYPES if any(need <= have for need in EVENT_EVIDENCE[e]))


def taxonomy_order(names: Iterable[str]) -> list[str]:
    """Distinct event names in :data:`EVENT_TYPES` order, unknown names after (sorted)."""
    have = set(names)
    return [e for e in EVENT_TYPES if e in have] + sorted(have - set(EVENT_TYPES))


#: The columns every events DataFrame has, in order (per-type extras may follow).
EVENT_COLUMNS: tuple[str, ...] = (
    "event",
    "start_time",
    "end_time",
    "start_distance",
    "end_distance",
    "confidence",
)


@dataclass(frozen=True)
class LapMeta:
    """Where a lap comes from (session, driver, lap number, source kind), its lap time and
    where that came from, what timing says of it (tyres, pits, track status) and its status
    (:mod:`telecnn.telemetry.laps.status` decides it once, where laps are made)."""

    year: int | None = None
    event: str | None = None
    session: str | None = None
    driver: str | None = None
    lap_number: int | None = None
    lap_time: float | None = None
    source: str = "unknown"
    circuit: str | None = None
    notes: tuple[str, ...] = ()
    #: Where ``lap_time`` comes from: ``"timing"`` (fastf1's ``Laps``, a timing file, a lap
    #: export, the simulator; a lap timing has no time for keeps none), ``"estimated"`` (the
    #: trace of a whole lap) or None (nothing said it).
    lap_time_source: str | None = None
    #: What timing says of the lap, where it says it.
    team: str | None = None
    compound: str | None = None
    tyre_life: float | None = None
    stint: int | None = None
    pit_in: bool | None = None
    pit_out: bool | None = None
    track_status: str | None = None
    deleted: bool | None = None
    accurate: bool | None = None
    #: Whether the trace covers the whole circuit (None: not judged).
    whole: bool | None = None
    #: Whether any lap of its session opens DRS (its ``DRS`` channel changes; False: cars
    #: without DRS, the 2026 cars, or DRS never used; None: not judged).
    session_drs: bool | None = None

    def label(self) -> str:
        """A short human label such as ``VER lap 12``."""
        who = self.driver or self.circuit or self.source
        return f"{who} lap {self.lap_number}" if self.lap_number is not None else str(who)

    def with_notes(self, *notes: str) -> LapMeta:
        """A copy with more notes (gaps filled, channels missing...)."""
        return replace(self, notes=self.notes + tuple(notes))

    @property
    def status(self) -> str:
        """The lap's status in a word (:func:`~telecnn.telemetry.laps.status.lap_status`)."""
        from telecnn.telemetry.laps.status import lap_status

        return lap_status(self)


class Lap:
    """One lap: samples with fastf1 column names, metadata, (simulator only) true events and
    (where the circuit is known) its corners (:mod:`telecnn.telemetry.analysis.corners`).

    A lap is made from a DataFrame, or (:meth:`from_columns`, as cleaning does) from its
    columns as arrays, its DataFrame then built the first time :attr:`data` is read: detection
    reads :attr:`columns` only, so a race's laps need no DataFrame each."""

    def __init__(
        self,
        data: pd.DataFrame,
        meta: LapMeta | None = None,
        truth: pd.DataFrame | None = None,
        corners: pd.DataFrame | None = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"a Lap is made of a DataFrame, got {type(data).__name__}")
        self._data: pd.DataFrame | None = data
        self.meta = meta if meta is not None else LapMeta()
        self.truth = truth
        self.corners = corners

    @classmethod
    def from_columns(
        cls,
        columns: dict[str, np.ndarray],
        meta: LapMeta | None = None,
        truth: pd.DataFrame | None = None,
    ) -> Lap:
        """A lap held as its column arrays (equal lengths, in column order)."""
        lap = cls.__new__(cls)
        lap._data = None
        lap.meta = meta if meta is not None else LapMeta()
        lap.truth, lap.corners = truth, None
        lap.__dict__["columns"] = columns  # the cached property's value
        return lap

    @property
    def data(self) -> pd.DataFrame:
        """The samples as a DataFrame (the columns' arrays, not copied)."""
        if self._data is None:
            self._data = pd.DataFrame(self.columns, copy=False)
        return self._data

    def __repr__(self) -> str:
        return f"Lap({self.meta.label()!r}, {len(self)} samples, channels {self.channels})"

    @property
    def channels(self) -> list[str]:
        """The car channels this lap has, in :data:`CHANNELS` order."""
        return [c for c in CHANNELS if c in self.columns]

    def __len__(self) -> int:
        if self._data is not None:
            return len(self._data)
        return len(next(iter(self.columns.values()), ()))

    @cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """Each column as a NumPy array, read once: what the rules and features read, without
        a pandas lookup per column and call."""
        return {name: self.data[name].to_numpy() for name in self.data.columns}

    @cached_property
    def times(self) -> np.ndarray:
        """Sample times in seconds, checked (:func:`~telecnn.telemetry.laps.axes.lap_times`), read
        once: a lap's data is not changed after it is made."""
        return lap_times(self.columns)

    @cached_property
    def distance(self) -> np.ndarray:
        """Distance along the lap in metres (:func:`~telecnn.telemetry.laps.axes.lap_distance`)."""
        return lap_distance(self.columns, self.times)

"""Which laps a caller asked for, read the same way by every source: drivers (names, comma
lists, ``all``) and laps (``fastest``, ``all``, numbers and ranges, per driver with
``VER:70,PIA:60``), applied across every file of a folder or glob at once.

Lap numbers stay ranges (``1-30000000`` is two numbers, never thirty million); ``fastest`` is
each driver's fastest lap among those its lap filter counts
(:func:`~telecnn.telemetry.laps.status.counts`: clean laps by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.laps.status import LAP_FILTERS, counts, lap_status


@dataclass(frozen=True)
class LapNumbers:
    """Lap numbers as inclusive ``(first, last)`` ranges, never expanded."""

    ranges: tuple[tuple[int, int], ...]

    def __contains__(self, number: object) -> bool:
        if number is None:
            return False
        n = int(number)  # type: ignore[call-overload]
        return any(lo <= n <= hi for lo, hi in self.ranges)

    def mask(self, numbers: np.ndarray) -> np.ndarray:
        """Per element of ``numbers``: whether it is one of these laps."""
        values = np.asarray(numbers, dtype=float)
        out = np.zeros(values.shape, dtype=bool)
        for lo, hi in self.ranges:
            out |= (values >= lo) & (values <= hi)
        return out

    def __str__(self) -> str:
        return ",".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges)


@dataclass(frozen=True)
class LapChoice:
    """What ``--lap`` asks for: ``default`` for every driver without a choice of its own
    (None: those drivers are left out), and ``by_driver`` choices (upper-case codes)."""

    default: str | LapNumbers | None = "all"
    by_driver: dict[str, str | LapNumbers] = field(default_factory=dict)

    def for_driver(self, driver: str | None) -> str | LapNumbers | None:
        """What this driver's laps are chosen by (None: none of them)."""
        return self.by_driver.get(str(driver or "").upper(), self.default)

    @property
    def numbers_only(self) -> bool:
        """Whether every choice names lap numbers (rows can be dropped before cleaning)."""
        whiches = [self.default, *self.by_driver.values()]
        return all(w is None or isinstance(w, LapNumbers) for w in whiches)

    @property
    def picks_fastest(self) -> bool:
        return "fastest" in (self.default, *self.by_driver.values())

    def __str__(self) -> str:
        parts = [] if self.default is None else [str(self.default)]
        parts += [f"{d}:{w}" for d, w in self.by_driver.items()]
        return ",".join(parts)


#: What callers pass for laps: ``"fastest"``, ``"all"``, a lap number, ``"3,5-7"``,
#: ``"VER:70,PIA:60"``, a list of numbers, a parsed :class:`LapChoice`, or None (the default).
LapSelection = str | int | list[int] | tuple[int, ...] | LapChoice | None

_DRIVER_ITEM = re.compile(r"^([A-Za-z0-9_]+):(.+)$")


def parse_lap_choice(which: object, default: str = "all") -> LapChoice:
    """``--lap`` as a :class:`LapChoice`: ``fastest``, ``all``, ``12``, ``"3,5-7"``,
    ``"VER:70,PIA:60"`` (a number after a driver's item is that driver's too:
    ``"VER:70,72"``), ``"fastest,VER:70"``, a list of numbers; None gives ``default``."""
    if isinstance(which, LapChoice):
        return which
    if which is None:
        return LapChoice(default)
    if isinstance(which, (int, np.integer)):
        return LapChoice(_numbers([str(int(which))], which))
    if isinstance(which, (list, tuple)):
        return LapChoice(_numbers([str(int(x)) for x in which], which))
    items = [part.strip() for part in str(which).split(",") if part.strip()]
    if not items:
        raise TelecnnError(f"bad lap selection {which!r}: use fastest, all or numbers like 3,5-7")
    general: list[str] = []
    mine: dict[str, list[str]] = {}
    current: str | None = None
    for item in items:
        named = _DRIVER_ITEM.match(item)
        if named:
            current = named.group(1).upper()
            item = named.group(2).strip()
        (mine.setdefault(current, []) if current else general).append(item)
    by_driver = {driver: _which(parts, which) for driver, parts in mine.items()}
    return LapChoice(_which(general, which) if general else None, by_driver)


def _which(items: list[str], whole: object) -> str | LapNumbers:
    words = {item.lower() for item in items}
    for word in ("fastest", "all"):
        if word in words:
            if len(items) > 1:
                raise TelecnnError(f"bad lap selection {whole!r}: {word} stands alone")
            return word
    return _numbers(items, whole)


def _numbers(items: Sequence[str], whole: object) -> LapNumbers:
    ranges = []
    for item in items:
        try:
            lo_text, dash, hi_text = item.partition("-")
            lo = int(lo_text)
            hi = int(hi_text) if dash else lo
        except ValueError:
            raise TelecnnError(
                f"bad lap selection {whole!r}: use fastest, all, numbers like 3,5-7 or "
                "per driver VER:70,PIA:60"
            ) from None
        if lo < 0 or hi < lo:
            raise TelecnnError(f"bad lap range {item!r} in {whole!r}: FIRST-LAST, FIRST <= LAST")
        ranges.append((lo, hi))
    return LapNumbers(tuple(ranges))


@dataclass
class Held:
    """What the sources hold before any lap is dropped: each driver's lap numbers, so that a
    message can say what exists when a choice finds nothing."""

    numbers: dict[str, set[int]] = field(default_factory=dict)

    def add(self, driver: object, numbers: Iterable[object] = ()) -> None:
        mine = self.numbers.setdefault(str(driver or "").upper(), set())
        mine.update(int(n) for n in numbers if n is not None and not pd.isna(n))

    def chosen(self, driver: str, number: int | None, choice: LapChoice) -> bool:
        """Whether ``choice`` can keep lap ``number`` of ``driver`` (a lap known by its path,
        read only when it can)."""
        which = choice.for_driver(driver)
        return which is not None and (not isinstance(which, LapNumbers) or number in which)


def normalise_drivers(drivers: Iterable[str] | str | None) -> list[str] | None:
    """Driver codes upper-cased from ``"VER"``, ``"ver,ham"`` or a list; None for everyone
    (nothing given, or ``all``)."""
    if drivers is None:
        return None
    items = [drivers] if isinstance(drivers, str) else list(drivers)
    out = [d.strip().upper() for item in items for d in str(item).split(",") if d.strip()]
    return None if not out or "ALL" in out else out


def check_drivers(wanted: Iterable[str], have: Iterable[str], where: str) -> None:
    """One line naming the drivers of ``wanted`` that ``where`` lacks, and those it has."""
    present = {str(d).upper() for d in have}
    unknown = [d for d in wanted if d not in present]
    if unknown:
        names = ", ".join(sorted(present)) or "none"
        raise TelecnnError(f"driver {', '.join(unknown)} not in {where}: have {names}")


def wanted_drivers(drivers: Iterable[str] | str | None, choice: LapChoice) -> list[str] | None:
    """The drivers asked for: ``--driver``'s, else (when ``--lap`` leaves the others out) the
    drivers ``--lap`` names; None for everyone."""
    named = normalise_drivers(drivers)
    if named is None and choice.default is None:
        return list(choice.by_driver)
    return named


def select_laps(
    laps: list[Lap],
    drivers: Iterable[str] | str | None,
    which: object,
    where: str = "the data",
    lap_filter: str = "clean",
    held: Held | None = None,
) -> tuple[list[Lap], list[str]]:
    """The laps of ``drivers`` (None: all) that ``which`` (:func:`parse_lap_choice`) chooses,
    in their order, and notes on what picking left out. ``fastest`` is each driver's fastest
    lap among those ``lap_filter`` counts; a driver with none is left out with a note. A
    driver or lap asked for and not there is one error naming it."""
    if lap_filter not in LAP_FILTERS:
        raise TelecnnError(f"unknown lap filter {lap_filter!r}: use {', '.join(LAP_FILTERS)}")
    choice = parse_lap_choice(which)
    wanted = wanted_drivers(drivers, choice)
    have = set(held.numbers) if held else {(lap.meta.driver or "").upper() for lap in laps}
    if wanted:
        check_drivers([*wanted, *[d for d in choice.by_driver if d not in wanted]], have, where)
        laps = [lap for lap in laps if (lap.meta.driver or "").upper() in wanted]
    by_driver: dict[str, list[Lap]] = {}
    for lap in laps:
        by_driver.setdefault((lap.meta.driver or "").upper(), []).append(lap)
    keep: set[int] = set()
    notes: list[str] = []
    for driver, theirs in by_driver.items():
        pick = choice.for_driver(driver)
        if pick is None:
            continue
        if pick == "all":
            keep.update(id(lap) for lap in theirs)
        elif pick == "fastest":
            best = fastest_lap(theirs, lap_filter)
            if best is None:
                notes.append(f"{driver or 'laps'}: {no_fastest(theirs, lap_filter)}")
            else:
                keep.add(id(best))
        else:
            chosen = _numbered(theirs, pick)
            keep.update(id(lap) for lap in chosen)

    def there(*drivers: str) -> str:
        numbers: set[int] = set()
        for d in drivers:
            if held:
                numbers |= held.numbers.get(d, set())
            else:
                numbers |= {x.meta.lap_number for x in by_driver.get(d, []) if x.meta.lap_number}
        return laps_held(sorted(numbers))

    def found(driver: str) -> bool:
        return any(id(lap) in keep for lap in by_driver.get(driver, []))

    drivers = list(wanted or (held.numbers if held else by_driver))
    for driver, pick in choice.by_driver.items():  # a lap asked for by name must be there
        if isinstance(pick, LapNumbers) and not found(driver):
            raise TelecnnError(f"{driver} has no lap {pick} in {where}: {there(driver)}")
    if isinstance(choice.default, LapNumbers):
        missing = [d for d in drivers if d not in choice.by_driver and not found(d)]
        if missing and len(missing) == len([d for d in drivers if d not in choice.by_driver]):
            raise TelecnnError(f"lap {choice.default} not in {where}: {there(*missing)}")
        notes += [f"{d}: no lap {choice.default} ({there(d)})" for d in missing]
    out = [lap for lap in laps if id(lap) in keep]
    if not out and choice.picks_fastest:
        hint = " (choose which laps count with --laps-filter)" if lap_filter != "all" else ""
        raise TelecnnError(
            f"no {lap_filter} lap with a lap time in {where}: "
            + "; ".join(notes or ["no laps"])
            + hint
        )
    return out, notes


def _numbered(laps: list[Lap], numbers: LapNumbers) -> list[Lap]:
    chosen = [lap for lap in laps if lap.meta.lap_number in numbers]
    if not chosen and len(laps) == 1 and laps[0].meta.lap_number is None:
        return laps  # a single unnumbered lap is whatever lap was asked for
    return chosen


def fastest_lap(laps: Sequence[Lap], lap_filter: str = "clean") -> Lap | None:
    """The fastest of ``laps`` among those ``lap_filter`` counts that have a lap time."""
    timed = [lap for lap in laps if lap.meta.lap_time is not None and counts(lap.meta, lap_filter)]
    return min(timed, key=lambda lap: lap.meta.lap_time) if timed else None


def fastest_laps(laps: Sequence[Lap], lap_filter: str = "clean") -> list[Lap]:
    """Each driver's fastest lap (:func:`fastest_lap`), fastest first."""
    by_driver: dict[str | None, list[Lap]] = {}
    for lap in laps:
        by_driver.setdefault(lap.meta.driver, []).append(lap)
    best = [fastest_lap(theirs, lap_filter) for theirs in by_driver.values()]
    return sorted((lap for lap in best if lap is not None), key=lambda lap: lap.meta.lap_time)


def no_fastest(laps: Sequence[Lap], lap_filter: str) -> str:
    """Why none of ``laps`` can be the fastest: ``no clean lap (3 in-lap, 1 partial)``."""
    statuses: dict[str, int] = {}
    for lap in laps:
        statuses[lap_status(lap.meta)] = statuses.get(lap_status(lap.meta), 0) + 1
    held = ", ".join(f"{n} {s}" for s, n in statuses.items())
    return f"no {lap_filter} lap with a lap time ({held})"


def laps_held(numbers: list[int]) -> str:
    """What a message says a source holds: ``"lap 15"``, ``"laps 1-3,7"`` or ``"no laps"``."""
    if not numbers:
        return "no laps"
    return f"{'lap' if len(numbers) == 1 else 'laps'} {lap_ranges(numbers)}"


def lap_ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3,7"``."""
    if not numbers:
        return ""
    out, start, prev = [], numbers[0], numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ",".join(out)

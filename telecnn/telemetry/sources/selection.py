"""Which laps a caller asked for: drivers (names, comma lists, ``all``) and laps (``fastest``,
``all``, numbers and ranges), read the same way by every source."""

from __future__ import annotations

from collections.abc import Iterable

from telecnn.errors import TelecnnError

#: ``"fastest"``, ``"all"``, a lap number, ``"3,5-7"`` or a list of numbers (None: the default).
LapSelection = str | int | list[int] | tuple[int, ...] | None


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


def parse_lap_numbers(which: LapSelection) -> set[int]:
    """Lap numbers from ``12``, ``"12"``, ``"3,5,7-9"`` or a list."""
    if isinstance(which, int):
        return {which}
    if isinstance(which, (list, tuple)):
        return {int(x) for x in which}
    numbers: set[int] = set()
    for part in str(which).split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                numbers.update(range(lo, hi + 1))
            else:
                numbers.add(int(part))
        except ValueError:
            raise TelecnnError(
                f"bad lap selection {which!r}: use fastest, all or numbers like 3,5-7"
            ) from None
    return numbers


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

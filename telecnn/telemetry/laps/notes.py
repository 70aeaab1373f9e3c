"""The laps' notes summed up per source: one line per kind of note, however many laps have it.

A note's kind is its text with the numbers left out (``Speed: 2.9 s NaN gap at 3.3 s filled``
and ``Speed: 1.2 s NaN gap at 40.1 s filled`` are one kind), so a file of 1,000 laps with the
same problem gives one line, with the first lap's note as the example and the count of laps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from telecnn.telemetry.laps.schema import Lap

#: At most this many kinds of note are listed per source; the rest are counted.
MAX_KINDS = 8
_NUMBER = re.compile(r"\d[\d,.]*")


def notes_summary(laps: Sequence[Lap], max_kinds: int = MAX_KINDS) -> list[str]:
    """One line per source (a file, fastf1, the simulator) and kind of note, in order:
    ``race.csv: Speed: 2.9 s NaN gap at 3.3 s filled (VER lap 3; 41 of 224 laps alike)``."""
    sources: dict[str, list[Lap]] = {}
    for lap in laps:
        sources.setdefault(lap.meta.source.removeprefix("file:"), []).append(lap)
    lines = []
    for source, mine in sources.items():
        kinds: dict[str, list[tuple[Lap, str]]] = {}
        for lap in mine:
            for note in dict.fromkeys(lap.meta.notes):
                kinds.setdefault(_NUMBER.sub("#", note), []).append((lap, note))
        for k, found in enumerate(kinds.values()):
            if k == max_kinds:
                lines.append(f"{source}: {len(kinds) - max_kinds} more kinds of note")
                break
            lap, note = found[0]
            laps_alike = len({id(other) for other, _ in found})
            if len(mine) == 1:
                more = f" (and {len(found) - 1} more alike)" if len(found) > 1 else ""
                lines.append(f"{source}: {note}{more}")
            elif laps_alike == 1:
                more = f" (and {len(found) - 1} more alike)" if len(found) > 1 else ""
                lines.append(f"{source}: {lap.meta.label()}: {note}{more}")
            else:
                alike = f"{laps_alike} of {len(mine)} laps alike"
                lines.append(f"{source}: {note} ({lap.meta.label()}; {alike})")
    return lines

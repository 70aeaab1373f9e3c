"""The one rule about lap sources that needs no data to check: exactly one of a fastf1
session, files or the simulator (light, so the command line checks it before loading
anything)."""

from __future__ import annotations

from collections.abc import Sequence

from telecnn.errors import TelecnnError


def check_one_source(session: object, files: Sequence[object] | None, sim: object) -> None:
    """Raise unless exactly one of ``session``, ``files`` and ``sim`` is given."""
    given = [name for name, on in (("--session", session), ("--file", files), ("--sim", sim)) if on]
    if len(given) != 1:
        raise TelecnnError(
            "give exactly one source: --session YEAR/EVENT/SESSION, --file PATH or --sim CIRCUIT"
            + (f" (got {', '.join(given)})" if given else "")
        )

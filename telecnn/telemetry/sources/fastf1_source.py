"""Laps from fastf1: session specs, drivers, lap selection, the cache and offline mode.

fastf1 is imported only when a session is loaded. Real fastf1 objects (``Session``, ``Laps``,
``Lap``, ``Telemetry``) are accepted as they are by
:func:`~telecnn.telemetry.sources.as_laps`, which reads each lap with :func:`lap_from_fastf1`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from telecnn.errors import TelecnnError, one_line
from telecnn.progress import progress_bar
from telecnn.telemetry.laps.clean import clean_lap, merge_position
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.laps.status import judge_laps
from telecnn.telemetry.sources.corners import fastf1_corners
from telecnn.telemetry.sources.selection import LapSelection, normalise_drivers, select_laps
from telecnn.telemetry.sources.timing import meta_fields, timing_table

#: Session names accepted in a spec, mapped to fastf1's identifiers.
SESSION_NAMES = {
    "FP1": "FP1",
    "FP2": "FP2",
    "FP3": "FP3",
    "SQ": "SQ",
    "SS": "SS",
    "S": "S",
    "Q": "Q",
    "R": "R",
    "PRACTICE1": "FP1",
    "PRACTICE2": "FP2",
    "PRACTICE3": "FP3",
    "SPRINTQUALIFYING": "SQ",
    "SPRINTSHOOTOUT": "SS",
    "SPRINT": "S",
    "QUALIFYING": "Q",
    "RACE": "R",
}
NO_NETWORK = (
    "cannot reach the F1 timing servers{why}: use --file with an exported lap, --offline with a "
    "filled fastf1 cache (--cache DIR), or --sim CIRCUIT for a simulated lap"
)


@dataclass(frozen=True)
class SessionSpec:
    """A parsed ``YEAR/EVENT/SESSION`` spec; ``event`` is a name or a round number."""

    year: int
    event: str | int
    session: str

    def __str__(self) -> str:
        return f"{self.year}/{self.event}/{self.session}"


def parse_session_spec(spec: str) -> SessionSpec:
    """``2024/Hungary/Q`` or ``2024/13/R`` -> :class:`SessionSpec` (FP1-3, SQ, SS, S, Q, R)."""
    parts = [p.strip() for p in str(spec).strip().strip("/").split("/")]
    if len(parts) != 3 or not all(parts):
        raise TelecnnError(f"bad session {spec!r}: use YEAR/EVENT/SESSION, e.g. 2024/Hungary/Q")
    year_text, event_text, session_text = parts
    if not (year_text.isdigit() and 1950 <= int(year_text) <= 2100):
        raise TelecnnError(f"bad year {year_text!r} in session {spec!r}")
    key = session_text.upper().replace(" ", "").replace("_", "").replace("-", "")
    if key not in SESSION_NAMES:
        raise TelecnnError(
            f"unknown session {session_text!r} in {spec!r}: use FP1, FP2, FP3, SQ, S, Q or R"
        )
    event: str | int = int(event_text) if event_text.isdigit() else event_text.replace("_", " ")
    return SessionSpec(int(year_text), event, SESSION_NAMES[key])


def default_cache_dir() -> Path:
    """telecnn's fastf1 cache: ``$TELECNN_CACHE`` or ``~/.cache/telecnn/fastf1``
    (``$XDG_CACHE_HOME`` respected)."""
    if os.environ.get("TELECNN_CACHE"):
        return Path(os.environ["TELECNN_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "telecnn" / "fastf1"


def configure_fastf1(cache: str | Path | None = None, offline: bool = False) -> Any:
    """Import fastf1, point its cache at ``cache`` (default :func:`default_cache_dir`) and set
    offline mode; returns the module."""
    import warnings

    import fastf1

    folder = Path(cache).expanduser() if cache else default_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TelecnnError(f"cannot create the fastf1 cache {folder}: {exc.strerror}") from None
    if offline and not any(folder.iterdir()):
        raise TelecnnError(f"--offline needs a filled fastf1 cache, but {folder} is empty")
    if hasattr(fastf1.Cache, "configure"):
        fastf1.Cache.configure(cache_dir=str(folder))
    else:  # fastf1 < 3.9
        fastf1.Cache.enable_cache(str(folder))
    fastf1.Cache.offline_mode(offline)
    fastf1.set_log_level("ERROR")
    warnings.filterwarnings("ignore", module="fastf1")
    return fastf1


def load_session(
    spec: str | SessionSpec, cache: str | Path | None = None, offline: bool = False
) -> Any:
    """Load a fastf1 session (laps and telemetry), turning every failure into one line."""
    spec = spec if isinstance(spec, SessionSpec) else parse_session_spec(spec)
    fastf1 = configure_fastf1(cache, offline)
    try:
        session = fastf1.get_session(spec.year, spec.event, spec.session)
    except Exception as exc:  # fastf1 raises ValueError/KeyError/its own types
        raise _session_error(spec, exc, offline) from None
    try:
        session.load(laps=True, telemetry=True, weather=False, messages=False)
        laps = session.laps
    except Exception as exc:
        raise _session_error(spec, exc, offline) from None
    if laps is None or len(laps) == 0:
        raise TelecnnError(f"{spec}: fastf1 returned no laps for this session")
    return session


def _session_error(spec: SessionSpec, exc: Exception, offline: bool) -> TelecnnError:
    text = one_line(exc)
    name = type(exc).__name__
    network = (
        isinstance(exc, (ConnectionError, OSError, TimeoutError))
        or "Failed to load any schedule data" in text
        or name in ("DataNotLoadedError", "ConnectionError", "SessionNotAvailableError")
        or "connection" in text.lower()
    )
    if network:
        where = "" if not offline else " and the offline cache lacks this session"
        return TelecnnError(NO_NETWORK.format(why=f" for {spec}{where}"))
    if "session" in text.lower():
        return TelecnnError(f"no session {spec.session!r} at {spec.event} {spec.year}: {text}")
    if "round" in text.lower() or "event" in text.lower() or isinstance(exc, KeyError):
        return TelecnnError(f"unknown event {spec.event!r} in {spec.year}: {text}")
    return TelecnnError(f"cannot load session {spec}: {name}: {text}")


def session_laps(
    session: Any,
    drivers: Iterable[str] | str | None = None,
    laps: LapSelection = "fastest",
    progress: bool = False,
    lap_filter: str = "clean",
    notes: list[str] | None = None,
) -> list[Lap]:
    """Laps of a loaded fastf1 ``Session`` (or its ``Laps``): drivers (None / "all":
    everyone) and laps as :func:`~.selection.select_laps` reads them (``"fastest"``: each
    driver's fastest lap that ``lap_filter`` counts, picked from the timing before any
    telemetry is loaded). Each lap keeps what timing says of it and gets its status."""
    table = (
        session.laps
        if hasattr(session, "laps") and not isinstance(session, pd.DataFrame)
        else session
    )
    timing = timing_table(pd.DataFrame(table), "fastf1's laps")
    rows = [_TimingRow(row, k) for k, (_, row) in enumerate(timing.iterrows())]
    chosen, left = select_laps(rows, drivers, laps, "this session", lap_filter)
    if notes is not None:
        notes += left
    if not chosen:
        raise TelecnnError(f"no laps with telemetry for {drivers or 'the drivers'} (lap {laps})")
    order = {code: k for k, code in enumerate(normalise_drivers(drivers) or [])}
    chosen = sorted(chosen, key=lambda row: order.get(str(row.meta.driver).upper(), len(order)))
    picked = [table.iloc[row.position] for row in chosen]
    bar = progress_bar(picked, what="loading laps", unit="lap", show=progress and len(picked) > 1)
    out = [lap_from_fastf1(row) for row in bar]
    corners, note = fastf1_corners(getattr(table, "session", None) or session)
    for lap in out:
        lap.corners = corners
        if note:
            lap.meta = lap.meta.with_notes(note)
    return judge_laps(out)


class _TimingRow:
    """A timing row standing in for its lap while laps are picked (only ``meta`` is read)."""

    def __init__(self, row: pd.Series, position: int) -> None:
        number = row["LapNumber"]
        self.meta = LapMeta(
            driver=str(row["Driver"]),
            lap_number=None if pd.isna(number) else int(number),
            **meta_fields(row),
        )
        self.position = position


def lap_from_fastf1(lap: Any) -> Lap:
    """A fastf1 ``Lap`` (one row of ``Laps``) -> :class:`Lap`: its car data with X/Y/Z from the
    position data interpolated onto the car samples."""
    try:
        car = lap.get_car_data()
    except Exception as exc:
        raise TelecnnError(
            f"no telemetry for {_lap_name(lap)}: {type(exc).__name__}: {exc}"
        ) from None
    frame = pd.DataFrame(car)
    try:
        pos = pd.DataFrame(lap.get_pos_data())
        frame = merge_position(frame, pos)
    except Exception:  # position data is optional
        pass
    return clean_lap(frame, _lap_meta(lap))


def telemetry_meta(tel: Any) -> LapMeta:
    """Metadata of a fastf1 ``Telemetry`` from its ``session`` and ``driver`` attributes."""
    session = getattr(tel, "session", None)
    driver = getattr(tel, "driver", None)
    meta = _session_meta(session)
    if driver is not None and session is not None:
        with contextlib.suppress(Exception):
            driver = session.get_driver(driver)["Abbreviation"]
    return LapMeta(**{**meta, "driver": None if driver is None else str(driver)}, source="fastf1")


def _lap_meta(lap: Any) -> LapMeta:
    """A fastf1 lap's metadata: its session, driver, number and everything its timing says."""
    timing = timing_table(pd.DataFrame([lap]), "fastf1's lap").iloc[0]
    number = lap.get("LapNumber")
    return LapMeta(
        **_session_meta(getattr(lap, "session", None)),
        driver=None if lap.get("Driver") is None else str(lap.get("Driver")),
        lap_number=None if number is None or pd.isna(number) else int(number),
        source="fastf1",
        **meta_fields(timing),
    )


def _session_meta(session: Any) -> dict[str, Any]:
    if session is None:
        return {}
    try:
        event = session.event
        return {
            "year": int(pd.Timestamp(event["EventDate"]).year),
            "event": str(event["EventName"]),
            "session": str(getattr(session, "name", None) or ""),
        }
    except Exception:
        return {}


def _lap_name(lap: Any) -> str:
    return f"{lap.get('Driver', '?')} lap {lap.get('LapNumber', '?')}"

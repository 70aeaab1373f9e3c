"""What timing says of a lap beyond its samples: team, tyres, stint, pits and track status."""

from __future__ import annotations

from typing import Any

import pandas as pd


def timing_meta(row: Any) -> dict[str, Any]:
    """What a fastf1 ``Laps`` row (or a lap export's ``lap_details``) says of the lap: team,
    compound, tyre life, stint, pit in/out and track status (None where it is silent)."""

    def value(name: str) -> Any:
        v = row.get(name)
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v

    stint, life = value("Stint"), value("TyreLife")
    return {
        "team": None if value("Team") is None else str(value("Team")),
        "compound": None if value("Compound") is None else str(value("Compound")),
        "tyre_life": None if life is None else float(life),
        "stint": None if stint is None else int(stint),
        "pit_in": None if "PitInTime" not in row else value("PitInTime") is not None,
        "pit_out": None if "PitOutTime" not in row else value("PitOutTime") is not None,
        "track_status": None if value("TrackStatus") is None else str(value("TrackStatus")),
    }

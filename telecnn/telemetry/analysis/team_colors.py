"""Team colours from fastf1's own season tables (its plotting package's constants), so a
figure shows each team in the colour people know, with no network."""

from __future__ import annotations

import json
from functools import cache


@cache
def _seasons() -> dict[str, dict]:
    try:
        from importlib.resources import files

        text = files("fastf1.plotting").joinpath("constants.json").read_text(encoding="utf-8")
        return json.loads(text)
    except (ImportError, OSError, ValueError):  # an older fastf1 keeps them elsewhere
        return {}


def team_color(team: str | None, year: int | None = None) -> str | None:
    """The official colour (``#rrggbb``) of ``team`` (any of fastf1's spellings: "Red Bull
    Racing", "McLaren", "Kick Sauber"...) in ``year`` (default: the newest season fastf1
    knows), or None where fastf1 does not know it."""
    seasons = _seasons()
    if not team or not seasons:
        return None
    season = seasons.get(str(year)) or seasons[max(seasons)]
    name = team.lower().strip()
    for key, info in season.get("teams", {}).items():
        short = str(info.get("short_name", "")).lower()
        if key in name or name in key or (short and short == name):
            return info.get("colors", {}).get("official")
    return None

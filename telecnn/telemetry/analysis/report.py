"""A race report: one self-contained HTML page (figures embedded as PNG data, no script, no
network needed to view it) with the summary table, the energy chart, each driver's fastest
lap's events figure and a corner-by-corner comparison of the two fastest drivers.

>>> html = build_report(laps, found)   # found: each lap's events, from any detector
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from telecnn.telemetry.analysis.tables import lap_title, session_name
from telecnn.telemetry.laps.schema import Lap

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; }
th, td { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; }
th { background: #f4f4f4; position: sticky; top: 0; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
.note { color: #775; font-size: 0.9em; }
details { margin: 0.5em 0; }
"""


def figure_data(fig: Any, dpi: int = 100) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _image(fig: Any, alt: str) -> str:
    return f'<img src="{figure_data(fig)}" alt="{html.escape(alt)}">'


def _table(frame: pd.DataFrame) -> str:
    from telecnn.telemetry.analysis.lap_summary import DIGITS
    from telecnn.telemetry.analysis.tables import text_cells

    return text_cells(frame, DIGITS).to_html(index=False, border=0)


def fastest_laps(laps: Sequence[Lap]) -> list[Lap]:
    """Each driver's fastest lap (laps without a lap time never count), fastest first."""
    from telecnn.telemetry.sources.files import select_laps

    timed = [lap for lap in laps if lap.meta.lap_time is not None]
    return sorted(select_laps(timed, None, "fastest"), key=lambda lap: lap.meta.lap_time or 0.0)


def _pair(laps: Sequence[Lap], fastest: list[Lap]) -> list[Lap]:
    """The two laps to compare: the two fastest drivers' fastest laps, or (one driver) the
    two fastest laps."""
    if len(fastest) >= 2:
        return fastest[:2]
    timed = sorted((lap for lap in laps if lap.meta.lap_time), key=lambda lap: lap.meta.lap_time)
    return timed[:2]


def build_report(
    laps: Sequence[Lap],
    found: Sequence[pd.DataFrame],
    channels: Sequence[str] | None = None,
    title: str | None = None,
    detector: str = "cnn",
) -> str:
    """The report's HTML (see the module's notes); nothing is written."""
    from telecnn.telemetry.analysis.compare import compare_found, format_comparison
    from telecnn.telemetry.analysis.corners import label_laps
    from telecnn.telemetry.analysis.lap_summary import driver_medians, summarize_laps
    from telecnn.telemetry.analysis.plots import plot_comparison, plot_lap
    from telecnn.telemetry.analysis.race_plots import plot_summary

    laps = list(laps)
    found = label_laps(laps, found)
    name = title or session_name(laps)
    table = summarize_laps(laps, found, channels)
    events_of = {id(lap): ev for lap, ev in zip(laps, found, strict=True)}
    fastest = fastest_laps(laps)
    parts = [
        f"<h1>{html.escape(name)}</h1>",
        f"<p>{len(laps)} laps of {table['driver'].nunique()} drivers; events by the "
        f"{html.escape(detector)} detector.</p>",
        "<h2>Per driver: medians over laps</h2>",
        _table(driver_medians(table)),
        "<h2>Energy management lap by lap</h2>",
        _image(plot_summary(table, name, laps[0].meta.year), "energy chart"),
    ]
    missing = int(table["lap_time"].isna().sum())
    if missing:
        parts.append(f'<p class="note">{missing} laps have no lap time (shown as -).</p>')
    parts.append("<h2>Each driver's fastest lap</h2>")
    if not fastest:
        parts.append('<p class="note">No lap has a lap time: no fastest laps to show.</p>')
    for lap in fastest:
        label = lap_title(lap)
        parts += [
            f"<h3>{html.escape(label)}</h3>",
            _image(plot_lap(lap, events_of[id(lap)]), label),
        ]
    pair = _pair(laps, fastest)
    parts.append("<h2>Corner by corner: the two fastest</h2>")
    if len(pair) == 2:
        comparison = compare_found(pair, [events_of[id(lap)] for lap in pair], "braking", channels)
        parts += [
            _image(plot_comparison(pair, comparison), "comparison"),
            f"<pre>{html.escape(format_comparison(comparison))}</pre>",
        ]
    else:
        parts.append('<p class="note">Fewer than two timed laps: nothing to compare.</p>')
    parts += [
        "<h2>Every lap</h2>",
        f"<details><summary>{len(table)} laps</summary>{_table(table)}</details>",
    ]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(name)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )

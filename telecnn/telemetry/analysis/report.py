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
from telecnn.telemetry.laps.status import counts
from telecnn.telemetry.sources.selection import fastest_laps

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


def comparison_pair(laps: Sequence[Lap], lap_filter: str = "clean") -> list[Lap]:
    """The two laps to compare: the two fastest drivers' fastest laps, one driver's two
    fastest (of the laps ``lap_filter`` counts), or, where no lap has a lap time (single laps),
    the first two laps given."""
    fastest = fastest_laps(laps, lap_filter)
    if len(fastest) >= 2:
        return fastest[:2]
    timed = [lap for lap in laps if lap.meta.lap_time is not None and counts(lap.meta, lap_filter)]
    if len(timed) >= 2:
        return sorted(timed, key=lambda lap: lap.meta.lap_time)[:2]
    return list(laps[:2]) if not timed else []


def left_out(table: pd.DataFrame, lap_filter: str) -> str:
    """What counting only ``lap_filter`` laps leaves out: ``12 in-lap, 3 partial``."""
    from telecnn.telemetry.analysis.lap_summary import counted

    out = table.loc[~counted(table, lap_filter), "status"].value_counts()
    return ", ".join(f"{n} {status}" for status, n in out.items()) or "none"


def build_report(
    laps: Sequence[Lap],
    found: Sequence[pd.DataFrame],
    channels: Sequence[str] | None = None,
    title: str | None = None,
    detector: str = "cnn",
    lap_filter: str = "clean",
) -> str:
    """The report's HTML (see the module's notes); nothing is written. Medians, the fastest
    laps and the comparison count the laps ``lap_filter`` counts (clean laps by default);
    every lap is in the last table with its status."""
    from telecnn.telemetry.analysis.compare import compare_found, format_comparison
    from telecnn.telemetry.analysis.corners import label_laps
    from telecnn.telemetry.analysis.lap_summary import (
        driver_medians,
        status_counts,
        summarize_laps,
    )
    from telecnn.telemetry.analysis.plots import plot_comparison, plot_lap
    from telecnn.telemetry.analysis.race_plots import plot_summary

    laps = list(laps)
    found = label_laps(laps, found)
    name = title or session_name(laps)
    table = summarize_laps(laps, found, channels)
    events_of = {id(lap): ev for lap, ev in zip(laps, found, strict=True)}
    fastest = fastest_laps(laps, lap_filter)
    medians = driver_medians(table, lap_filter)
    parts = [
        f"<h1>{html.escape(name)}</h1>",
        f"<p>{len(laps)} laps of {table['driver'].nunique()} drivers; events by the "
        f"{html.escape(detector)} detector. Medians, fastest laps and the comparison count "
        f"{html.escape(lap_filter)} laps; left out: {html.escape(left_out(table, lap_filter))}."
        "</p>",
        "<h2>Laps by status</h2>",
        _table(status_counts(table)),
        f"<h2>Per driver{' and stint' if 'stint' in medians else ''}: medians over "
        f"{html.escape(lap_filter)} laps</h2>",
        _table(medians),
        "<h2>Energy management lap by lap</h2>",
        _image(plot_summary(table, name, laps[0].meta.year), "energy chart"),
    ]
    missing = int(table["lap_time"].isna().sum())
    if missing:
        parts.append(f'<p class="note">{missing} laps have no lap time (shown as -).</p>')
    parts.append("<h2>Each driver's fastest lap</h2>")
    if not fastest:
        parts.append(
            f'<p class="note">No {html.escape(lap_filter)} lap has a lap time: no fastest '
            "laps to show.</p>"
        )
    shown = fastest or laps[:2]
    for lap in shown:
        label = lap_title(lap)
        parts += [
            f"<h3>{html.escape(label)}</h3>",
            _image(plot_lap(lap, events_of[id(lap)]), label),
        ]
    pair = comparison_pair(laps, lap_filter)
    parts.append(
        "<h2>Corner by corner: the two fastest</h2>" if fastest else "<h2>Corner by corner</h2>"
    )
    if len(pair) == 2:
        comparison = compare_found(pair, [events_of[id(lap)] for lap in pair], "braking", channels)
        parts += [
            _image(plot_comparison(pair, comparison), "comparison"),
            f"<pre>{html.escape(format_comparison(comparison))}</pre>",
        ]
    else:
        parts.append(
            f'<p class="note">Fewer than two {html.escape(lap_filter)} timed laps: nothing '
            "to compare.</p>"
        )
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

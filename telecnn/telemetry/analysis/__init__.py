"""Race analysis on laps and their events: corner numbers, laps compared corner by corner, the
per-lap summary and its medians, text tables, figures and the HTML report. Nothing below it
(laps, sources, events, the detector) imports it."""

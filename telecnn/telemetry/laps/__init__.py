"""Laps: the one lap representation (:mod:`.schema`), how any frame becomes one (:mod:`.clean`),
its time and distance axes, resampling onto a grid, laps laid end to end, and each lap's
status (whole or partial, in- and out-laps, lap time and where it came from)."""

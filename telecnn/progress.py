"""Progress on stderr: one kind of bar for every long step (reading, detecting, simulating,
units, figures), gone when done so the command's own output stays clean."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def progress_bar(
    items: Iterable[Any] | None = None,
    *,
    what: str,
    unit: str,
    total: int | None = None,
    show: bool = True,
    initial: int = 0,
) -> Any:
    """A tqdm bar over ``items`` (or of ``total`` steps, updated by hand) named ``what``,
    on stderr, shown only when ``show``."""
    from tqdm.auto import tqdm

    return tqdm(items, total=total, initial=initial, desc=what, unit=unit, file=sys.stderr,
                disable=not show, leave=False)  # fmt: skip

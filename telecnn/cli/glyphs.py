"""Labels the figures' font cannot draw (a driver named in another script): one note on stderr
for the whole command, naming the characters, instead of matplotlib's warning for every glyph
at every drawing."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

_MISSING = re.compile(r"^Glyph (?P<code>\d+) \(.*\) missing from font\(s\) (?P<fonts>.+)\.$")
#: How many of the characters the note names.
SHOWN = 8


@contextmanager
def missing_glyphs_noted() -> Iterator[None]:
    """Collect matplotlib's missing-glyph warnings while the block runs; other warnings pass
    through as before. At the end, one ``note:`` line names the font and the characters."""
    chars: dict[str, None] = {}
    fonts: dict[str, None] = {}
    previous = warnings.showwarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        found = _MISSING.match(str(message))
        if found is None:
            previous(message, category, *args, **kwargs)
            return
        chars[chr(int(found["code"]))] = None
        fonts[found["fonts"]] = None

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous
        if chars:
            click.echo(missing_note(list(chars), list(fonts)), err=True)


def missing_note(chars: list[str], fonts: list[str]) -> str:
    """The one line for characters ``chars`` that ``fonts`` have no glyph for."""
    more = len(chars) - SHOWN
    shown = " ".join(chars[:SHOWN]) + (f" and {more} more" if more > 0 else "")
    return (
        f"note: the figures' font ({', '.join(fonts)}) has no glyph for {shown}: "
        "they show as empty boxes"
    )

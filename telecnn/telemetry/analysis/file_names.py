"""File names made from labels (``VER lap 12`` -> ``VER_lap_12``): safe, unique and stable.

A label keeps its letters, digits and ``-``; every other run of characters becomes ``_``, so no
name can leave its folder (``../x`` is ``_x``). Where that changed more than the spaces (a
``/``, a ``.``, a name that is all non-Latin), where two names would be one (``A/B`` and ``A_B``,
or names differing in case only, one file on macOS and Windows), or where the name is too long
for the file system, a short hash of the original label follows. The same labels always give
the same names; a plain name (``VER_lap_12``) gets no hash because of another, odd label.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

#: Characters a name keeps; any other run of characters becomes one ``_``.
_UNSAFE = re.compile(r"[^A-Za-z0-9#-]+")
#: Hex digits of the hash a changed or clashing name gets (longer ones only if those clash).
HASH_DIGITS = (8, 16, 40)


def safe_names(labels: Sequence[str], room: int) -> list[str]:
    """A file-name part for each of ``labels`` (distinct labels), at most ``room`` bytes,
    distinct even ignoring case (see the module's notes)."""
    if room < HASH_DIGITS[-1] + 2:
        raise ValueError(f"no room for names: {room} bytes")
    plain = [_UNSAFE.sub("_", label).replace("#", "n") for label in labels]
    changed = [
        p != label.replace(" ", "_").replace("#", "n") or len(p) > room
        for p, label in zip(plain, labels, strict=True)
    ]
    names = [
        _hashed(p, label, room, HASH_DIGITS[0]) if change else p
        for p, label, change in zip(plain, labels, changed, strict=True)
    ]
    for digits in HASH_DIGITS:  # names that are one file (ignoring case): each gets a hash
        clashes = Counter(n.casefold() for n in names)
        if max(clashes.values(), default=0) < 2:
            break
        names = [
            _hashed(p, label, room, digits) if clashes[n.casefold()] > 1 else n
            for p, label, n in zip(plain, labels, names, strict=True)
        ]
    return names


def _hashed(plain: str, label: str, room: int, digits: int) -> str:
    """``plain`` cut to fit ``room`` with ``_`` and a hash of ``label`` after it."""
    tag = hashlib.sha1(label.encode("utf-8")).hexdigest()[:digits]
    return f"{plain[: room - digits - 1]}_{tag}"

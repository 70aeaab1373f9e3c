"""Reading a JSON file a user hands over: whatever it holds, a failure is one line.

Invalid JSON, text that is not UTF-8, nesting deeper than Python's parser goes (200,000 nested
lists: a ``RecursionError``) and a file too large for memory all become a
:class:`~telecnn.errors.TelecnnError` naming the file. ``1e999`` parses as infinity, as in
Python's ``json``: the readers check their numbers are finite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from telecnn.errors import TelecnnError, one_line


def read_json(path: str | Path, what: str = "") -> Any:
    """The parsed contents of the JSON file at ``path`` (``what`` it is, for the message)."""
    path = Path(path)
    name = f"{what} {path.name}" if what else path.name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise TelecnnError(f"cannot read {name}: its JSON is nested too deeply") from None
    except MemoryError:
        raise TelecnnError(f"cannot read {name}: too large to read into memory") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise TelecnnError(f"cannot read {name}: not valid JSON ({one_line(exc)[:160]})") from None

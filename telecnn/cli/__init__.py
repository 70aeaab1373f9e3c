"""The ``telecnn`` command line: a thin layer over the library (no logic lives here).

Each command module imports only click at import time; torch and friends load inside the
command, so ``telecnn --help`` answers at once.
"""

from __future__ import annotations

from telecnn.cli.app import main
from telecnn.cli.errors import UserError

__all__ = ["UserError", "main"]

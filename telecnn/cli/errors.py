"""Turning bad input into one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import click

from telecnn.errors import TelecnnError, one_line


class UserError(click.ClickException):
    """A problem the user can fix; click prints ``Error: <message>`` and exits with code 2."""

    exit_code = 2


class TelecnnGroup(click.Group):
    """A click group whose commands report library errors (and missing files) as one line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except TelecnnError as exc:
            raise UserError(one_line(exc)) from None
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            raise UserError(f"{exc.strerror or exc}:{name}".rstrip(":")) from None
        except KeyboardInterrupt:
            raise UserError("interrupted") from None

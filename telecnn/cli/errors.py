"""Turning bad input (exit code 2) and failed writes (exit code 1) into one line on stderr,
never a traceback; a training run stopped by a signal says how to resume (exit 143 or 130)."""

from __future__ import annotations

import click

from telecnn.errors import TelecnnError, TrainingStopped, WriteError, one_line


class UserError(click.ClickException):
    """A problem the user can fix; click prints ``Error: <message>`` and exits with code 2."""

    exit_code = 2


class OutputError(click.ClickException):
    """An output that could not be written: ``Error: cannot write ...`` and exit code 1."""

    exit_code = 1


class TelecnnGroup(click.Group):
    """A click group whose commands report library errors (and missing files) as one line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WriteError as exc:
            raise OutputError(one_line(exc)) from None
        except TelecnnError as exc:
            raise UserError(one_line(exc)) from None
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            raise UserError(f"{exc.strerror or exc}:{name}".rstrip(":")) from None
        except TrainingStopped as exc:
            resume = ""
            if exc.run_dir is not None:
                resume = f"; resume with: telecnn {ctx.invoked_subcommand} --resume {exc.run_dir}"
            click.echo(f"{one_line(exc)}{resume}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            raise UserError("interrupted") from None

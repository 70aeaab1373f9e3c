"""Turning bad input (exit code 2) and failed writes (exit code 1) into one line on stderr,
never a traceback; a training run stopped by a signal says how to resume (exit 143 or 130);
any other command ended by a signal says what it was writing and what was kept (exit 128 + the
signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""

from __future__ import annotations

import signal

import click

from telecnn.cli.glyphs import missing_glyphs_noted
from telecnn.errors import Interrupted, TelecnnError, TrainingStopped, WriteError, one_line


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
            with missing_glyphs_noted():
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
            _interrupted(ctx, Interrupted(signal.SIGINT))
        except Interrupted as exc:
            _interrupted(ctx, exc)


def _interrupted(ctx: click.Context, exc: Interrupted) -> None:
    """One line for a command a signal ended (with any output it was writing, whose temp file
    is removed), and the signal's exit code."""
    from telecnn.atomic import WRITE_SIGNALS, remove_unfinished

    for sig in WRITE_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(sig, signal.SIG_IGN)
    message = one_line(exc)
    outputs = remove_unfinished()  # a write the signal caught before it could clean up
    if outputs and " writing " not in message:
        message += f" while writing {outputs[0]} (nothing written; any previous file is unchanged)"
    click.echo(f"Error: {message}", err=True)
    ctx.exit(exc.exit_code)

"""``telecnn kernels``: list the kernel bank and apply a 1D kernel to one column of a file."""

from __future__ import annotations

from pathlib import Path

import click

#: torch's padding modes (kept here so ``--help`` needs no NumPy import).
PADDING_MODE_NAMES = ("replicate", "reflect", "circular", "zeros")


def _padding(_ctx: click.Context, _param: click.Parameter, value: str) -> str | int:
    """``same``, ``valid`` or a number of zeros on each side."""
    if value in ("same", "valid"):
        return value
    try:
        zeros = int(value)
    except ValueError:
        raise click.BadParameter(f"use 'same', 'valid' or a number, not {value!r}") from None
    if zeros < 0:
        raise click.BadParameter(f"padding must be at least 0, got {zeros}")
    return zeros


def _params(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, float | int]:
    """``NAME=VALUE`` pairs (``sigma=2``, ``width=5``) as keyword arguments."""
    parsed: dict[str, float | int] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}")
        try:
            parsed[key.strip()] = int(raw)
        except ValueError:
            try:
                parsed[key.strip()] = float(raw)
            except ValueError:
                raise click.BadParameter(f"{key.strip()} must be a number, got {raw!r}") from None
    return parsed


def register(group: click.Group) -> None:
    """Add ``telecnn kernels list`` and ``telecnn kernels apply``."""

    @group.group("kernels")
    def kernels() -> None:
        """The classic kernels (edge, smooth, spike, Sobel, ...) and NumPy convolution."""

    @kernels.command("list")
    def list_command() -> None:
        """Show every kernel: name, dimensions, shape and what it responds to."""
        from telecnn.kernels import list_kernels

        entries = list_kernels()
        width = max(len(info.name) for info in entries)
        click.echo(f"{'name':<{width}}  dim  {'shape':<7} {'parameters':<11} responds to")
        for info in entries:
            shape = "x".join(map(str, info.shape))
            params = ", ".join(f"{k}={v}" for k, v in info.params.items()) or "-"
            click.echo(
                f"{info.name:<{width}}  {info.dim}D   {shape:<7} {params:<11} {info.description}"
            )

    @kernels.command("apply")
    @click.argument("name")
    @click.option(
        "--file",
        "file",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Telemetry or any table: CSV, Parquet or JSON (one lap or many).",
    )
    @click.option("--column", required=True, help="Column to filter, e.g. Speed.")
    @click.option(
        "--driver", default=None, help="Only these drivers of a multi-lap file (VER,HAM)."
    )
    @click.option("--lap", default="all", show_default=True, help="Only these laps (4, 3-6).")
    @click.option(
        "--padding",
        default="same",
        show_default=True,
        callback=_padding,
        help="'same' (a response at every sample), 'valid' (full windows only; the ends stay "
        "empty) or a number of samples.",
    )
    @click.option(
        "--padding-mode",
        type=click.Choice(list(PADDING_MODE_NAMES)),
        default="replicate",
        show_default=True,
        help="What lies beyond the ends: replicate holds the end values, reflect mirrors them, "
        "circular wraps around, zeros reads as a step to 0 (torch's default).",
    )
    @click.option(
        "--param",
        "params",
        multiple=True,
        callback=_params,
        metavar="NAME=VALUE",
        help="Kernel parameter, e.g. sigma=2 for gaussian or width=5 for smooth (repeatable).",
    )
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write Time, Distance, the column and its response (csv, json, parquet); default: "
        "print the CSV.",
    )
    @click.option(
        "--plot",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Save a figure of the trace and its response against distance (png, pdf, svg).",
    )
    def apply_command(
        name: str,
        file: Path,
        column: str,
        driver: str | None,
        lap: str,
        padding: str | int,
        padding_mode: str,
        params: dict[str, float | int],
        out: Path | None,
        plot: Path | None,
    ) -> None:
        """Apply 1D kernel NAME to one column of a file and write the response."""
        import pandas as pd

        from telecnn.cli.detection import check_out
        from telecnn.cli.io_paths import check_paths
        from telecnn.kernels import kernel_info, plot_response, response_frame
        from telecnn.telemetry.sources.files import write_frame
        from telecnn.telemetry.sources.traces import read_traces

        kernel_info(name)  # an unknown kernel is refused before the file is read
        check_paths()
        check_out(out)
        traces = read_traces(file, column, driver, lap)
        tables = [
            response_frame(
                column,
                t.values,
                name,
                padding,
                padding_mode,
                params,
                time=t.time,
                distance=t.distance,
                keys=t.keys,
            )
            for t in traces
        ]
        table = pd.concat(tables, ignore_index=True)
        if out is None and plot is None:
            click.echo(table.to_csv(index=False, float_format="%.10g"), nl=False)
            return
        if out is not None:
            write_frame(table, out)
            click.echo(f"wrote {out} ({len(table)} rows: {', '.join(map(str, table.columns))})")
        if plot is not None:
            first = traces[0].keys
            where = " ".join(f"{k} {v}" for k, v in first.items())
            many = f" (first of {len(traces)} laps)" if len(traces) > 1 else ""
            title = f"{file.name}{' ' + where if where else ''}{many}: {column} and its " + (
                f"response to the {name} kernel"
            )
            plot_response(tables[0], column, name, plot, title=title)
            click.echo(f"wrote {plot}")

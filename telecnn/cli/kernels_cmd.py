"""``telecnn kernels``: list the kernel bank and apply a 1D kernel to one column of a CSV."""

from __future__ import annotations

from pathlib import Path

import click


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
        help="CSV file with one column per channel.",
    )
    @click.option("--column", required=True, help="Column to filter, e.g. Speed.")
    @click.option(
        "--padding",
        default="valid",
        show_default=True,
        callback=_padding,
        help="'valid' (full windows only; the ends stay empty), 'same' (zeros beyond the ends) "
        "or a number of zeros.",
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
        help="Write the column and its response here as CSV (default: print the CSV).",
    )
    @click.option(
        "--plot",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Save a figure of the trace and its response (png, pdf, svg).",
    )
    def apply_command(
        name: str,
        file: Path,
        column: str,
        padding: str | int,
        params: dict[str, float | int],
        out: Path | None,
        plot: Path | None,
    ) -> None:
        """Apply 1D kernel NAME to one column of a CSV and write the response."""
        from telecnn.atomic import write_text
        from telecnn.kernels import csv_response, plot_response

        table = csv_response(file, column, name, padding=padding, params=params)
        text = table.to_csv(index=False, float_format="%.10g")
        if out is None and plot is None:
            click.echo(text, nl=False)
            return
        response = table.iloc[:, 1]
        if out is not None:
            write_text(out, text)
            click.echo(f"wrote {out} ({len(table)} rows: {column}, {response.name})")
        if plot is not None:
            plot_response(table, plot)
            click.echo(f"wrote {plot}")

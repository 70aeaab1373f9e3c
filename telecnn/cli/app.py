"""The root ``telecnn`` group and its commands."""

from __future__ import annotations

import click

from telecnn import __version__
from telecnn.cli.compare_cmd import register as register_compare
from telecnn.cli.errors import TelecnnGroup
from telecnn.cli.events_cmd import register as register_events
from telecnn.cli.explain_cmd import register as register_explain
from telecnn.cli.images_cmd import register as register_images
from telecnn.cli.kernels_cmd import register as register_kernels
from telecnn.cli.report_cmd import register as register_report
from telecnn.cli.summarize_cmd import register as register_summarize
from telecnn.cli.telemetry_cmd import register as register_telemetry


@click.group(cls=TelecnnGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="telecnn")
def main() -> None:
    """telecnn: a CNN filter slides over a trace and finds events.

    Train the notebook's image CNNs on FashionMNIST, detect braking zones, lifts, DRS and shifts
    in Formula 1 telemetry, and apply classic kernels to any trace.
    """


for _register in (
    register_kernels,
    register_images,
    register_telemetry,
    register_events,
    register_compare,
    register_summarize,
    register_report,
    register_explain,
):
    _register(main)

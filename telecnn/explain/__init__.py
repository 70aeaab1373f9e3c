"""What the CNNs learned: first-layer filters beside the classic kernels, and why the event CNN
marked an event (integrated gradients over the lap's channels).

    from telecnn.explain import explain_filters, explain_event
    report = explain_filters()              # the shipped event CNN (or a checkpoint / run folder)
    report.table                            # filter, channel, closest kernel, correlation, meaning
    why = explain_event(lap, "braking", index=0)
    why.shares                              # share of the attribution per channel
"""

from telecnn.explain.attribution import Attribution, explain_event, integrated_gradients
from telecnn.explain.filters import FilterReport, closest_kernel, explain_filters
from telecnn.explain.templates import templates

__all__ = [
    "Attribution",
    "FilterReport",
    "closest_kernel",
    "explain_event",
    "explain_filters",
    "integrated_gradients",
    "templates",
]

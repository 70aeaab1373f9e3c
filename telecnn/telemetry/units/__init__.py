"""Many sources at once: each source (a file, a per-lap folder of one session, a fastf1
session) is one unit of work, processed by one plain function (:func:`.work.process_unit`)
on local processes or a Dask cluster (:mod:`.engines`, the one module that knows about either),
its result written as one file of a dataset folder (:mod:`.dataset`) as soon as it is done.

>>> from telecnn.telemetry.units import units_from, UnitJob, run_units
>>> units = units_from(files=["season/*.parquet"])
>>> tally = run_units(units, UnitJob(command="detect-events", detector="rules"), out="season/")
"""

from telecnn.lazy import lazy_attributes

_HOMES = {
    "Unit": "units",
    "units_from": "units",
    "UnitJob": "work",
    "UnitResult": "work",
    "process_unit": "work",
    "run_units": "engines",
    "Tally": "engines",
}

__getattr__, __dir__ = lazy_attributes(__name__, globals(), _HOMES)

__all__ = sorted(_HOMES)

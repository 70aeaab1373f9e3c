"""Events: the taxonomy, the events table and its run toolkit (:mod:`.table`), the exact rules
that label real laps (:mod:`.rules`), what a lap is labelled with (:mod:`.labels`) and
matching events one to one (:mod:`.matching`). Light to import: the command line reads the
taxonomy from here before any heavy library loads."""

"""Which laps a caller asked for: drivers and lap numbers, read the same way by every source."""

from __future__ import annotations

import pytest

from telecnn.errors import TelecnnError
from telecnn.telemetry.sources.selection import (
    check_drivers,
    lap_ranges,
    laps_held,
    normalise_drivers,
    parse_lap_numbers,
)


def test_drivers_from_names_comma_lists_and_all():
    assert normalise_drivers("ver") == ["VER"]
    assert normalise_drivers(["ver,ham", " lec "]) == ["VER", "HAM", "LEC"]
    assert normalise_drivers(None) is None
    assert normalise_drivers("all") is None and normalise_drivers(["VER", "all"]) is None
    assert normalise_drivers(" , ") is None


def test_an_unknown_driver_is_named_with_those_the_source_has():
    check_drivers(["VER"], ["ver", "HAM"], "the file")  # case does not matter
    with pytest.raises(TelecnnError, match=r"driver NOR not in the file: have HAM, VER"):
        check_drivers(["VER", "NOR"], ["VER", "HAM"], "the file")
    with pytest.raises(TelecnnError, match="have none"):
        check_drivers(["VER"], [], "an empty session")


@pytest.mark.parametrize(
    ("which", "numbers"),
    [(12, {12}), ("12", {12}), ("3,5,7-9", {3, 5, 7, 8, 9}), ([1, "2"], {1, 2}), ("4-4", {4})],
)
def test_lap_numbers_and_ranges(which, numbers):
    assert parse_lap_numbers(which) == numbers


@pytest.mark.parametrize("bad", ["fast", "3-", "1,x", "2-a"])
def test_a_bad_lap_selection_says_what_is_accepted(bad):
    with pytest.raises(TelecnnError, match="use fastest, all or numbers like 3,5-7"):
        parse_lap_numbers(bad)


def test_ranges_read_back_as_the_numbers_they_came_from():
    numbers = [1, 2, 3, 7, 9, 10]
    assert lap_ranges(numbers) == "1-3,7,9-10"
    assert parse_lap_numbers(lap_ranges(numbers)) == set(numbers)
    assert laps_held([15]) == "lap 15" and laps_held(numbers) == "laps 1-3,7,9-10"
    assert laps_held([]) == "no laps" and lap_ranges([]) == ""

"""Which laps a caller asked for: drivers and lap numbers, read the same way by every source."""

from __future__ import annotations

import numpy as np
import pytest

from telecnn.errors import TelecnnError
from telecnn.telemetry.sources.selection import (
    LapNumbers,
    check_drivers,
    lap_ranges,
    laps_held,
    normalise_drivers,
    parse_lap_choice,
    wanted_drivers,
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
    ("which", "inside", "outside"),
    [
        (12, [12], [11, 13]),
        ("12", [12], [11]),
        ("3,5,7-9", [3, 5, 7, 8, 9], [4, 6, 10]),
        ([1, "2"], [1, 2], [3]),
        ("4-4", [4], [3, 5]),
        ("1-30000000", [1, 29_999_999, 30_000_000], [0, 30_000_001]),
    ],
)
def test_lap_numbers_stay_ranges(which, inside, outside) -> None:
    numbers = parse_lap_choice(which).default
    assert isinstance(numbers, LapNumbers)
    assert all(n in numbers for n in inside) and not any(n in numbers for n in outside)
    assert len(numbers.ranges) <= 3  # never expanded: thirty million laps are one range
    np.testing.assert_array_equal(numbers.mask(np.array(inside + outside)),
                                  [True] * len(inside) + [False] * len(outside))  # fmt: skip


def test_per_driver_lap_choices() -> None:
    choice = parse_lap_choice("VER:70,PIA:60-61")
    assert choice.default is None and set(choice.by_driver) == {"VER", "PIA"}
    assert 70 in choice.for_driver("ver") and 61 in choice.for_driver("PIA")
    assert choice.for_driver("NOR") is None and wanted_drivers(None, choice) == ["VER", "PIA"]
    mixed = parse_lap_choice("fastest,VER:70,72")
    assert mixed.default == "fastest" and list(mixed.for_driver("VER").ranges) == [
        (70, 70),
        (72, 72),
    ]
    assert mixed.for_driver("LEC") == "fastest" and wanted_drivers(None, mixed) is None
    assert parse_lap_choice(None, default="fastest").default == "fastest"


@pytest.mark.parametrize("bad", ["fast", "3-", "1,x", "2-a", "5-3", "fastest,3", "VER:"])
def test_a_bad_lap_selection_says_what_is_accepted(bad) -> None:
    with pytest.raises(TelecnnError, match="lap"):
        parse_lap_choice(bad)


def test_ranges_read_back_as_the_numbers_they_came_from() -> None:
    numbers = [1, 2, 3, 7, 9, 10]
    assert lap_ranges(numbers) == "1-3,7,9-10"
    assert all(n in parse_lap_choice(lap_ranges(numbers)).default for n in numbers)
    assert laps_held([15]) == "lap 15" and laps_held(numbers) == "laps 1-3,7,9-10"
    assert laps_held([]) == "no laps" and lap_ranges([]) == ""

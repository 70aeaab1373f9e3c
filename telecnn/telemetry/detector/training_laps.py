"""The laps a detector trains and is validated on: simulated laps, some re-fed at another rate.

Each simulated lap is, with probability ``refeed_share``, logged again as a feed of a random
rate with timing jitter (3.3-8.5 Hz, integer or float speed) would log it, so the model meets
both real feeds. Validation laps come from a seed stream of their own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from telecnn.progress import progress_bar
from telecnn.telemetry.detector.config import DetectorTrainConfig
from telecnn.telemetry.events.labels import resampled_truth
from telecnn.telemetry.laps.grid import resample_frame
from telecnn.telemetry.laps.schema import Lap

#: Offset of the validation laps' seed: their simulator streams never meet the training ones.
VAL_SEED_OFFSET = 1_000_000


def simulated_laps(
    n: int,
    circuits: Sequence[str] | None,
    seed: int,
    eras: Sequence[str] = ("2025", "2026"),
) -> list[Lap]:
    """``n`` simulated laps spread over ``circuits`` (default: every built-in one), both feeds
    (fastf1 car data and merged telemetry) and ``eras`` (cars with DRS and without),
    qualifying and race laps mixed; by seed."""
    from telecnn.telemetry import simulate as sim

    names = [sim.get_circuit(c).name for c in circuits] if circuits else list(sim.CIRCUITS)
    jobs = [(name, feed, era) for era in eras for name in names for feed in sim.FEEDS]
    laps: list[Lap] = []
    per = [n // len(jobs) + (i < n % len(jobs)) for i in range(len(jobs))]
    for i, ((name, feed, era), count) in enumerate(zip(jobs, per, strict=True)):
        if count:
            laps += sim.simulate_laps(name, count, seed=seed * 1009 + i, feed=feed, era=era)
    order = np.random.default_rng(seed).permutation(len(laps))
    return [laps[i] for i in order]


def refeed(lap: Lap, rng: np.random.Generator, rate_range: tuple[float, float]) -> Lap:
    """The lap as a feed of another rate would log it: random rate, jittered intervals.

    Channels are resampled by their kind (:func:`~telecnn.telemetry.laps.grid.resample_frame`);
    half the time ``Speed`` and ``RPM`` are rounded to integers as in fastf1's car data. The
    simulator's own truth is carried over by the previous-sample rule.
    """
    t = lap.times
    rate = rng.uniform(*rate_range)
    steps = (1.0 / rate) * rng.uniform(0.6, 1.4, size=int((t[-1] - t[0]) * rate * 1.6) + 8)
    new_t = t[0] + rng.uniform(0, 1.0 / rate) + np.concatenate([[0.0], np.cumsum(steps)])
    new_t = np.unique(np.round(new_t[new_t <= t[-1]], 3))
    data = resample_frame(lap.data, new_t)
    if rng.random() < 0.5:  # integer speed and RPM, as fastf1's car data has them
        for name in ("Speed", "RPM"):
            if name in data:
                data[name] = np.round(data[name].to_numpy())
    truth = None if lap.truth is None else resampled_truth(lap.truth, t, new_t)
    return Lap(data, lap.meta, truth)


def refed_laps(
    config: DetectorTrainConfig,
    count: int,
    seed: int,
    rng: np.random.Generator,
    show: str | None = None,
) -> list[Lap]:
    """``count`` simulated laps of seed ``seed``, some re-fed (``config.refeed_share``) with
    ``rng``; ``show`` names a progress bar."""
    sim = simulated_laps(count, config.circuits, seed, config.eras)
    bar = progress_bar(sim, what=show or "", unit="lap", show=show is not None)
    return [
        refeed(lap, rng, config.rate_range) if rng.random() < config.refeed_share else lap
        for lap in bar
    ]


def training_laps(config: DetectorTrainConfig, real_laps: Sequence[Lap] = ()) -> list[Lap]:
    """Re-fed simulated laps followed by the real laps' moving stretches (a real lap has no
    simulator truth; minutes in the garage, which detection skips, teach nothing)."""
    rng = np.random.default_rng(config.seed)
    laps = refed_laps(config, config.sim_laps, config.seed, rng, show="preparing laps")
    return laps + moving_stretches(real_laps)


def moving_stretches(laps: Sequence[Lap]) -> list[Lap]:
    """Each lap as the detector runs it: without its long standstills
    (:func:`~telecnn.telemetry.detector.detector.moving_pieces`), a lap a stretch."""
    from telecnn.telemetry.detector.detector import moving_pieces

    out = []
    for lap in laps:
        for a, b in moving_pieces(lap):
            whole = (a, b) == (0, len(lap))
            cols = {name: values[a:b] for name, values in lap.columns.items()}
            out.append(lap if whole else Lap.from_columns(cols, lap.meta))
    return out


def split_real(laps: Sequence[Lap], every: int) -> tuple[list[Lap], list[Lap]]:
    """Real laps into training and held-out ones: every ``every``-th lap (in the order given)
    held out, to tune the thresholds on and to score the model on real laps (0: none)."""
    if every <= 0:
        return list(laps), []
    held = [lap for k, lap in enumerate(laps) if k % every == every - 1]
    kept = [lap for k, lap in enumerate(laps) if k % every != every - 1]
    return kept, held


def validation_laps(config: DetectorTrainConfig) -> list[Lap]:
    """Held-out simulated laps, re-fed like the training laps, from a seed stream of their own:
    what thresholds are tuned on (enough of them that the rare hidden types count) and each
    epoch is scored on. Never real laps. A short run gets fewer: a tenth of its training laps."""
    rng = np.random.default_rng([config.seed, VAL_SEED_OFFSET])
    count = min(config.val_laps, max(8, config.sim_laps // 10))
    return refed_laps(config, count, config.seed + VAL_SEED_OFFSET, rng)

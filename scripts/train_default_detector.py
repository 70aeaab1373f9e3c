"""Train the default event detector shipped in ``telecnn/telemetry/assets/detector.pt``.

Real fastf1 laps of the 2025 Australian Grand Prix (practice 1, qualifying, the wet race),
labelled by the rules, with simulated laps of both eras (the 2026 cars' energy behaviour, the
types only the simulator labels, rare situations); every tenth real lap held out to tune the
thresholds on and score the model with. Nothing else of ../shared/data trains it (the other
sets measure it). Reproducible bit for bit by seed on one machine (another CPU rounds
differently and trains a slightly different model):

    .venv/bin/python scripts/train_default_detector.py            # the laps of ../shared
    .venv/bin/python scripts/train_default_detector.py --session 2025/Australia/FP1 \
        --session 2025/Australia/Q --session 2025/Australia/R     # the same, from fastf1
    .venv/bin/python scripts/train_default_detector.py --no-real  # simulated laps only

The shipped model sees twice the laps and half again the epochs of ``train-events``' defaults
(:data:`SHIPPED_SIM_LAPS`, :data:`SHIPPED_EPOCHS`): chosen on held-out simulated laps.

The run folder keeps the resumable per-epoch checkpoint; the asset keeps only the weights and
what detection needs (channels, normalisation, grid rate, thresholds); ``detector.npz`` beside
it holds the same weights folded for the NumPy engine (``--fold-only`` refreshes just that).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from telecnn.atomic import write_json
from telecnn.telemetry.detector.config import DetectorTrainConfig
from telecnn.telemetry.detector.loading import KIND, MODEL_NAME, export_folded, load_detector
from telecnn.telemetry.detector.train import train_detector
from telecnn.telemetry.sources import load_laps
from telecnn.training import load_checkpoint, save_checkpoint

REPO = Path(__file__).resolve().parents[1]
ASSET = REPO / "telecnn" / "telemetry" / "assets" / "detector.pt"
#: The real laps the shipped model learns from: fastf1's merged telemetry of three sessions.
AUSTRALIA = REPO.parent / "shared" / "data" / "f1" / "australia-2025"
REAL_FILES = ("practice1.parquet", "qualifying.parquet", "race.parquet")
SHIPPED_SIM_LAPS = 4000
SHIPPED_EPOCHS = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sim-laps", type=int, default=SHIPPED_SIM_LAPS)
    parser.add_argument("--epochs", type=int, default=SHIPPED_EPOCHS)
    parser.add_argument("--run-dir", type=Path, default=REPO / "runs" / "default-detector")
    parser.add_argument("--out", type=Path, default=ASSET)
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    parser.add_argument("--force", action="store_true", help="replace the run in --run-dir")
    parser.add_argument(
        "--fold-only", action="store_true", help="only write --out's .npz from the .pt there"
    )
    parser.add_argument("--real", type=Path, default=AUSTRALIA, help="folder of the real laps")
    parser.add_argument("--session", action="append", default=[], help="fastf1 sessions instead")
    parser.add_argument("--cache", help="fastf1 cache folder")
    parser.add_argument("--no-real", action="store_true", help="simulated laps only")
    args = parser.parse_args()
    if args.fold_only:
        print(f"wrote {export_folded(args.out)}")
        return

    torch.manual_seed(args.seed)
    # on the CPU always: the shipped weights must be reproducible bit for bit
    config = DetectorTrainConfig(
        sim_laps=args.sim_laps,
        epochs=args.epochs,
        seed=args.seed,
        device="cpu",
    )
    real = [] if args.no_real else real_laps(args.real, args.session, args.cache)
    train_detector(config, args.run_dir, real, resume_run=args.resume, force=args.force)
    state = load_checkpoint(args.run_dir / "checkpoint.pt", kind=KIND)
    assert state["model_name"] == MODEL_NAME
    save_checkpoint(
        args.out,
        {
            "kind": KIND,
            "model_name": MODEL_NAME,
            "model_config": state["model_config"],
            "model_state": state["model_state"],
            "epoch": state["epoch"],
            "history": state["history"],
            "extra": {
                **state["extra"],
                "training": {
                    "seed": args.seed,
                    "sim_laps": args.sim_laps,
                    "real_laps": len(real),
                    "data": "simulated laps only"
                    if not real
                    else "real fastf1 laps (2025 Australian GP) and simulated laps",
                },
            },
        },
    )
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.0f} KiB) after {state['epoch']} epochs")
    print(f"wrote {export_folded(args.out)}")
    detector = load_detector(args.out, engine="numpy")
    print(f"wrote {write_json(args.out.with_name('model_card.json'), detector.card)}")
    print(detector.card_text())


def real_laps(folder: Path, sessions: list[str], cache: str | None) -> list:
    """Every lap of the real sessions: fastf1 ``sessions`` where given, else the exported
    files in ``folder`` (with their lap timing, so each lap has its status)."""
    if sessions:
        return [
            lap
            for spec in sessions
            for lap in load_laps(session=spec, drivers="all", laps="all", cache=cache)
        ]
    timing = folder / "laps.parquet"
    laps = []
    for name in REAL_FILES:
        laps += load_laps(files=[folder / name], laps_file=timing if timing.is_file() else None)
    print(f"{len(laps)} real laps from {folder}")
    return laps


if __name__ == "__main__":
    main()

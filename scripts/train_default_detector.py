"""Train the default event detector shipped in ``telecnn/telemetry/assets/detector.pt``.

Simulated laps of both eras only (never ../shared/data: that is for measuring), reproducible
bit for bit by seed on one machine (another CPU rounds differently and trains a slightly
different model: the real-lap F1s moved by up to 0.02 between two machines):

    .venv/bin/python scripts/train_default_detector.py            # about 3 min on 2 CPU cores

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

from telecnn.telemetry.detector.config import DetectorTrainConfig
from telecnn.telemetry.detector.loading import KIND, MODEL_NAME, export_folded
from telecnn.telemetry.detector.train import train_detector
from telecnn.training import load_checkpoint, save_checkpoint

REPO = Path(__file__).resolve().parents[1]
ASSET = REPO / "telecnn" / "telemetry" / "assets" / "detector.pt"
SHIPPED_SIM_LAPS = 4000
SHIPPED_EPOCHS = 12


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
    args = parser.parse_args()
    if args.fold_only:
        print(f"wrote {export_folded(args.out)}")
        return

    torch.manual_seed(args.seed)
    # on the CPU always: the shipped weights must be reproducible bit for bit
    config = DetectorTrainConfig(
        sim_laps=args.sim_laps, epochs=args.epochs, seed=args.seed, device="cpu"
    )
    train_detector(config, args.run_dir, resume_run=args.resume, force=args.force)
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
                    "data": "simulated laps only",
                },
            },
        },
    )
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.0f} KiB) after {state['epoch']} epochs")
    print(f"wrote {export_folded(args.out)}")
    last = state["history"][-1]
    print(
        "held-out simulated F1: "
        + ", ".join(f"{k[7:]} {v:.3f}" for k, v in last.items() if k.startswith("val_f1_"))
    )


if __name__ == "__main__":
    main()

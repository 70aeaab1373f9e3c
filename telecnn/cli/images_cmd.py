"""CLI commands for the FashionMNIST pipeline: ``train-images`` and ``eval-images``."""

from __future__ import annotations

import click

from telecnn.cli.common_options import (
    data_dir_option,
    device_option,
    resolve_run_folder,
    run_folder_options,
)
from telecnn.cli.io_paths import check_paths


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(train_images)
    group.add_command(eval_images)
    group.add_command(fetch_data)


@click.command("train-images")
@click.option(
    "--model",
    type=click.Choice(["simple-cnn", "mini-resnet"]),
    default="mini-resnet",
    show_default=True,
    help="Architecture from the notebook.",
)
@click.option(
    "--recipe",
    type=click.Choice(["notebook", "fast"]),
    default="notebook",
    show_default=True,
    help="notebook: Adam 1e-3, cosine, batch 128, 10 epochs; fast: one-cycle AdamW, "
    "label smoothing, batch 256, 20 epochs.",
)
@click.option(
    "--epochs",
    type=int,
    default=None,
    help="Epochs (default: the recipe's; with --resume: the run's, more extend it).",
)
@click.option("--batch-size", type=int, default=None, help="Batch size (default: the recipe's).")
@click.option(
    "--lr", type=float, default=None, help="(Peak) learning rate (default: the recipe's)."
)
@data_dir_option
@run_folder_options("runs/<model>-<timestamp>")
@click.option("--limit", type=int, default=None, help="Train on the first N images only.")
@device_option
@click.option(
    "--precision",
    type=click.Choice(["auto", "fp32", "bf16"]),
    default="auto",
    show_default=True,
    help="auto: bfloat16 autocast where the hardware runs it natively.",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--no-figures", is_flag=True, help="Skip the figures at the end.")
def train_images(
    model: str,
    recipe: str,
    epochs: int | None,
    batch_size: int | None,
    lr: float | None,
    data_dir: str | None,
    out: str | None,
    resume: str | None,
    force: bool,
    limit: int | None,
    device: str,
    precision: str,
    seed: int,
    no_figures: bool,
) -> None:
    """Train SimpleCNN or MiniResNet on FashionMNIST; writes a run directory with figures.

    A resumed run keeps its saved options (model, recipe, batch size, lr, limit, seed); only
    --epochs (to extend it), --data-dir, --device and --no-figures apply to it.
    """
    check_paths()
    from vision.train import ImageTrainConfig
    from vision.train import train_images as run

    run_dir, resuming = resolve_run_folder(out, resume, None)
    config = ImageTrainConfig(
        model=model,
        recipe=recipe,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        limit=limit,
        data_dir=data_dir,
        out=None if resuming else run_dir,
        device=device,
        precision=precision,
        figures=not no_figures,
    )
    result = run(config, resume_from=run_dir if resuming else None, force=force)
    if result.run_dir is None:  # a non-zero rank under torchrun
        return
    from telecnn.words import count

    m = result.metrics
    true, pred, times = (m["most_confused"][k] for k in ("true", "predicted", "count"))
    click.echo(
        f"test accuracy {m['accuracy'] * 100:.2f}% after {count(m['epochs'], 'epoch')} "
        f"({m['seconds_per_epoch']:.1f} s/epoch); most confused: {true} -> {pred} "
        f"({times})"
    )
    click.echo(f"run directory: {result.run_dir}")


@click.command("eval-images")
@click.argument("run", metavar="RUN_DIR_OR_CHECKPOINT", type=click.Path())
@data_dir_option
@device_option
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the report as JSON.",
)
def eval_images(run: str, data_dir: str | None, device: str, json_path: str | None) -> None:
    """Test accuracy, per-class accuracy, confusion matrix and most confused pair of a model."""
    check_paths()
    from telecnn.atomic import write_json
    from vision.evaluate import evaluate_checkpoint

    result = evaluate_checkpoint(run, data_dir=data_dir, device=device)
    click.echo(result.format())
    if json_path:
        write_json(json_path, result.to_dict())


@click.command("fetch-data")
@click.option(
    "--dest",
    type=click.Path(file_okay=False),
    default="data/fashion-mnist",
    show_default=True,
    help="Folder to put FashionMNIST's four IDX files in.",
)
def fetch_data(dest: str) -> None:
    """Put FashionMNIST into DEST, checked by SHA-256 (what `make data` runs).

    From an installed copy, the official download, or Debian's dataset-fashion-mnist package
    unpacked without installing it; instant once DEST holds checked files.
    """
    from pathlib import Path

    from vision.fashion_mnist import fetch_dataset

    folder, source = fetch_dataset(Path(dest))
    click.echo(f"FashionMNIST in {folder} ({source})")

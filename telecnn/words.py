"""Small helpers for messages that read as English: "1 epoch", "2 epochs", "an image model"."""

from __future__ import annotations


def count(n: int | float, noun: str, plural: str | None = None) -> str:
    """``count(1, "epoch")`` -> ``"1 epoch"``; ``count(3, "epoch")`` -> ``"3 epochs"``."""
    shown = f"{n:,}" if isinstance(n, int) or float(n).is_integer() else f"{n:g}"
    return f"{shown.removesuffix('.0')} {noun if n == 1 else plural or noun + 's'}"


def with_article(phrase: str) -> str:
    """``"image-classifier"`` -> ``"an image-classifier"``, ``"event-detector"`` ->
    ``"an event-detector"``, ``"checkpoint"`` -> ``"a checkpoint"`` (by the first letter)."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' and phrase else 'a'} {phrase}"

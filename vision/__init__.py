"""FashionMNIST image pipeline: IDX data, batched augmentation, the notebook's CNNs, training."""

from vision.fashion_mnist import CLASS_NAMES, load_fashion_mnist, locate_data
from vision.models import MODELS, MiniResNet, SimpleCNN, create_model

__all__ = [
    "CLASS_NAMES",
    "MODELS",
    "MiniResNet",
    "SimpleCNN",
    "create_model",
    "load_fashion_mnist",
    "locate_data",
]

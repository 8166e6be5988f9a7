"""Shared fixtures: a tiny Fashion-MNIST-shaped dataset on disk and Hydra composition."""
from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "wgan_repro" / "conf"
sys.path.insert(0, str(ROOT))


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_fake_idx_dataset(folder: Path, n_train: int = 256, n_test: int = 64, seed: int = 0) -> Path:
    """Class-dependent blobs in Fashion-MNIST's file names and format (10 classes, 28x28)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 40, (n, 28, 28))
        for i, y in enumerate(labels):
            r0, c0 = 2 + 2 * (y % 5), 2 + 10 * (y // 5)
            images[i, r0:r0 + 14, c0:c0 + 8] += 200
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", np.clip(images, 0, 255))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.fixture(scope="session")
def fake_data_root(tmp_path_factory) -> Path:
    return make_fake_idx_dataset(tmp_path_factory.mktemp("fake_fashion_mnist"))


@pytest.fixture()
def compose_cfg(fake_data_root):
    """Compose the project's config with overrides, on the fake dataset unless told otherwise."""

    def _compose(*overrides: str, fake_data: bool = True):
        extra = [f"data.root={fake_data_root}"] if fake_data else []
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            return compose(config_name="config", overrides=list(overrides) + extra)

    return _compose

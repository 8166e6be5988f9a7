"""Datasets held in memory as one tensor (uint8 images or float 2-D points), and a seeded
batch sampler over it, so that a training step never decodes an image.

Image sets are resized once to `image_size` and scaled to [-1, 1] per batch. Fashion-MNIST,
the embedded default, is found without any download: in `root` (torchvision's layout,
gzipped or not), then in Debian's /usr/share/datasets/fashion-mnist.
"""
from __future__ import annotations

import gzip
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from wgan_repro.registry import ConfigError, Registry

DATASETS = Registry("data")
# Debian's dataset-fashion-mnist; the environment variable lets tests point it elsewhere.
DEBIAN_FASHION_MNIST = Path(os.environ.get("WGAN_REPRO_DEBIAN_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass
class InMemoryData:
    """All samples of one split: uint8 images (N, C, H, W) or float points (N, D)."""

    samples: torch.Tensor
    labels: Optional[torch.Tensor]
    name: str

    @property
    def is_image(self) -> bool:
        return self.samples.dim() == 4

    @property
    def shape(self) -> tuple:
        """The shape of one sample."""
        return tuple(self.samples.shape[1:])

    def __len__(self) -> int:
        return self.samples.shape[0]

    def to(self, device) -> "InMemoryData":
        labels = None if self.labels is None else self.labels.to(device)
        return InMemoryData(self.samples.to(device), labels, self.name)

    def as_float(self, samples: torch.Tensor) -> torch.Tensor:
        """Model-ready floats: images scaled from uint8 to [-1, 1], points unchanged."""
        if self.is_image:
            return samples.float().div_(127.5).sub_(1.0)
        return samples


def to_uint8_images(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] back to uint8 (the inverse of InMemoryData.as_float)."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


class BatchSampler:
    """Draws batches without replacement in a seeded random order, epoch after epoch.

    Its state (generator state, the current permutation and the position in it) goes into
    checkpoints so that a resumed run sees the same batches as an uninterrupted one.
    """

    def __init__(self, data: InMemoryData, batch_size: int, seed: int):
        if batch_size > len(data):
            raise ConfigError(
                f"train.batch_size={batch_size} is larger than the dataset ({len(data)} samples): lower it"
            )
        self.data = data
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(len(data), generator=self.generator)
        self.position = 0

    def next(self) -> torch.Tensor:
        if self.position + self.batch_size > len(self.order):
            self.order = torch.randperm(len(self.data), generator=self.generator)
            self.position = 0
        index = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return self.data.as_float(self.data.samples[index.to(self.data.samples.device)])

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order.clone(), "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order = state["order"].clone()
        self.position = int(state["position"])


def load_dataset(options, split: str = "train", seed: int = 0) -> InMemoryData:
    """The dataset named by the `data` config section (validated against its constructor)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return DATASETS.build(options, context={"split": split, "seed": seed}, section="data")


# ----------------------------------------------------------------------------- image sets
def resize_images(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """Resize uint8 images (N, C, H, W) to size x size (bilinear with antialiasing)."""
    if images.shape[-2:] == (size, size):
        return images
    out = torch.empty((images.shape[0], images.shape[1], size, size), dtype=torch.uint8)
    for start in range(0, images.shape[0], chunk):
        block = images[start:start + chunk].float()
        block = F.interpolate(block, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out[start:start + chunk] = block.round().clamp_(0, 255).to(torch.uint8)
    return out


def _check_image_size(image_size: int) -> None:
    if image_size < 8 or image_size > 1024:
        raise ConfigError(f"data.image_size={image_size} is out of range: use a value between 8 and 1024 (e.g. 32 or 64)")


def _cap(data: InMemoryData, max_images: Optional[int]) -> InMemoryData:
    if max_images is None:
        return data
    if max_images < 1:
        raise ConfigError(f"data.max_images={max_images} must be positive (or null for all)")
    labels = None if data.labels is None else data.labels[:max_images]
    return InMemoryData(data.samples[:max_images], labels, data.name)


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (MNIST's format), gzipped or not; a truncated file is a ConfigError."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise ConfigError(f"cannot read {path} ({err}): the file is corrupt or truncated, fetch it again") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ConfigError(f"{path} is not an IDX file of unsigned bytes: fetch the dataset again")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    expected = math.prod(dims)
    body = raw[4 + 4 * ndim:]
    if len(body) < expected:
        raise ConfigError(
            f"{path} is truncated ({len(body)} of {expected} bytes): fetch the dataset again"
        )
    return np.frombuffer(body, dtype=np.uint8, count=expected).reshape(dims)


def _find_idx(folders: list[Path], stem: str) -> Optional[Path]:
    for folder in folders:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _idx_dataset(title: str, torchvision_name: str, root: Optional[str], extra: list[Path],
                 download: bool, split: str, image_size: int, how_to_get: str) -> InMemoryData:
    _check_image_size(image_size)
    prefix = "train" if split == "train" else "t10k"
    folders = []
    if root:
        folders += [Path(root), Path(root) / torchvision_name / "raw", Path(root) / "raw"]
    folders += extra
    images = _find_idx(folders, f"{prefix}-images-idx3-ubyte")
    labels = _find_idx(folders, f"{prefix}-labels-idx1-ubyte")
    if (images is None or labels is None) and download:
        import torchvision

        target = root or "data"
        getattr(torchvision.datasets, torchvision_name)(target, train=split == "train", download=True)
        folders = [Path(target) / torchvision_name / "raw"]
        images = _find_idx(folders, f"{prefix}-images-idx3-ubyte")
        labels = _find_idx(folders, f"{prefix}-labels-idx1-ubyte")
    if images is None or labels is None:
        searched = ", ".join(str(f) for f in folders)
        raise ConfigError(f"{title} ({split} split) not found in {searched}: {how_to_get}")
    x = torch.from_numpy(read_idx(images).copy()).unsqueeze(1)
    y = torch.from_numpy(read_idx(labels).astype(np.int64))
    if x.shape[0] != y.shape[0]:
        raise ConfigError(f"{images} and {labels} disagree on the number of samples: fetch the dataset again")
    return InMemoryData(resize_images(x, image_size), y, title)


@DATASETS.register("fashion_mnist")
def fashion_mnist(split: str, seed: int, image_size: int = 32, root: Optional[str] = None,
                  download: bool = False, max_images: Optional[int] = None) -> InMemoryData:
    """Fashion-MNIST, from `root`, Debian's dataset-fashion-mnist, or torchvision's download."""
    data = _idx_dataset(
        "fashion_mnist", "FashionMNIST", root, [DEBIAN_FASHION_MNIST], download, split, image_size,
        "install Debian's package (apt-get install dataset-fashion-mnist), or set data.root to a folder "
        "holding train-images-idx3-ubyte.gz, or set data.download=true",
    )
    return _cap(data, max_images)


@DATASETS.register("mnist")
def mnist(split: str, seed: int, image_size: int = 32, root: Optional[str] = None,
          download: bool = False, max_images: Optional[int] = None) -> InMemoryData:
    """MNIST in torchvision's layout under `root`."""
    data = _idx_dataset("mnist", "MNIST", root, [], download, split, image_size,
                        "set data.root to torchvision's MNIST folder, or set data.download=true")
    return _cap(data, max_images)


def _require_root(root: Optional[str], name: str) -> Path:
    if not root:
        raise ConfigError(f"data={name} needs data.root: set data.root=/path/to/{name}")
    if not Path(root).exists():
        raise ConfigError(f"data.root={root} does not exist: point data.root at the {name} folder")
    return Path(root)


@DATASETS.register("cifar10")
def cifar10(split: str, seed: int, image_size: int = 32, root: Optional[str] = None,
            download: bool = False, max_images: Optional[int] = None) -> InMemoryData:
    """CIFAR-10 through torchvision's class, from `root`."""
    import torchvision

    _check_image_size(image_size)
    if not download:
        _require_root(root, "cifar10")
    try:
        ds = torchvision.datasets.CIFAR10(root or "data", train=split == "train", download=download)
    except RuntimeError as err:
        raise ConfigError(f"CIFAR-10 not found under data.root={root} ({err}): set data.root or data.download=true") from err
    x = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(ds.targets, dtype=torch.int64)
    return _cap(InMemoryData(resize_images(x, image_size), y, "cifar10"), max_images)


def _load_pil(images, image_size: int, channels: int) -> torch.Tensor:
    """Center-crop and resize PIL images to uint8 (N, C, S, S)."""
    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    out = torch.empty((len(images), channels, image_size, image_size), dtype=torch.uint8)
    for i, img in enumerate(images):
        img = img.convert(mode)
        side = min(img.size)
        left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((image_size, image_size), Image.BICUBIC)
        arr = np.asarray(img, dtype=np.uint8).reshape(image_size, image_size, channels)
        out[i] = torch.from_numpy(arr.copy()).permute(2, 0, 1)
    return out


@DATASETS.register("lsun_bedroom")
def lsun_bedroom(split: str, seed: int, image_size: int = 64, root: Optional[str] = None,
                 max_images: Optional[int] = 100000) -> InMemoryData:
    """LSUN bedrooms (the WGAN paper's data) via torchvision.datasets.LSUN; needs `lmdb`.

    The first `max_images` images are held in memory (the full set is 3M images)."""
    import torchvision

    _check_image_size(image_size)
    path = _require_root(root, "lsun_bedroom")
    try:
        ds = torchvision.datasets.LSUN(str(path), classes=["bedroom_train" if split == "train" else "bedroom_val"])
    except ImportError as err:
        raise ConfigError("data=lsun_bedroom needs the lmdb package: pip install lmdb") from err
    n = len(ds) if max_images is None else min(len(ds), max_images)
    images = (ds[i][0] for i in range(n))
    return InMemoryData(_load_pil(list(images), image_size, 3), None, "lsun_bedroom")


@DATASETS.register("image_folder")
def image_folder(split: str, seed: int, image_size: int = 64, root: Optional[str] = None,
                 channels: int = 3, max_images: Optional[int] = None) -> InMemoryData:
    """Every image file under `root` (recursively), center-cropped and resized; no labels."""
    from PIL import Image

    _check_image_size(image_size)
    if channels not in (1, 3):
        raise ConfigError(f"data.channels={channels} must be 1 or 3")
    path = _require_root(root, "image_folder")
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if max_images is not None:
        files = files[:max_images]
    if not files:
        raise ConfigError(f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) under data.root={root}: point it at a folder of images")
    images = []
    for p in files:
        try:
            with Image.open(p) as img:
                img.load()
                images.append(img.copy())
        except OSError as err:
            raise ConfigError(f"cannot read image {p} ({err}): remove or replace it") from err
    return InMemoryData(_load_pil(images, image_size, channels), None, "image_folder")


# ----------------------------------------------------------------------------- 2-D sets
def _mixture(centers: torch.Tensor, std: float, n_points: int, seed: int, name: str) -> InMemoryData:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(len(centers), (n_points,), generator=g)
    points = centers[labels] + std * torch.randn(n_points, 2, generator=g)
    return InMemoryData(points, labels, name)


def _check_points(n_points: int, std: float) -> None:
    if n_points < 2:
        raise ConfigError(f"data.n_points={n_points} must be at least 2")
    if std < 0:
        raise ConfigError(f"data.std={std} must be non-negative")


def gaussian_centers(name: str, radius: float) -> torch.Tensor:
    """The modes of the 2-D mixtures: 8 on a circle, or a 5 x 5 grid spanning [-radius, radius]^2."""
    if name == "eight_gaussians":
        angles = torch.arange(8) * (2 * math.pi / 8)
        return radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    grid = torch.linspace(-radius, radius, 5)
    return torch.cartesian_prod(grid, grid)


@DATASETS.register("eight_gaussians")
def eight_gaussians(split: str, seed: int, n_points: int = 100000, radius: float = 2.0,
                    std: float = 0.02) -> InMemoryData:
    """Eight Gaussians of standard deviation `std` evenly spaced on a circle of `radius`."""
    _check_points(n_points, std)
    return _mixture(gaussian_centers("eight_gaussians", radius), std, n_points,
                    seed + (0 if split == "train" else 1_000_003), "eight_gaussians")


@DATASETS.register("twentyfive_gaussians")
def twentyfive_gaussians(split: str, seed: int, n_points: int = 100000, radius: float = 2.0,
                         std: float = 0.05) -> InMemoryData:
    """A 5 x 5 grid of Gaussians spanning [-radius, radius]^2."""
    _check_points(n_points, std)
    return _mixture(gaussian_centers("twentyfive_gaussians", radius), std, n_points,
                    seed + (0 if split == "train" else 1_000_003), "twentyfive_gaussians")


@DATASETS.register("swiss_roll")
def swiss_roll(split: str, seed: int, n_points: int = 100000, std: float = 0.05,
               scale: float = 0.15) -> InMemoryData:
    """The 2-D Swiss roll (t cos t, t sin t), t in [1.5 pi, 4.5 pi], scaled by `scale` and jittered."""
    _check_points(n_points, std)
    g = torch.Generator().manual_seed(seed + (0 if split == "train" else 1_000_003))
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n_points, generator=g))
    points = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) * scale
    points = points + std * torch.randn(n_points, 2, generator=g)
    return InMemoryData(points, None, "swiss_roll")

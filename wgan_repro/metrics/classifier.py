"""The domain classifier whose features replace Inception's: a small CNN trained by the project on
the dataset's training split, so that no weights are ever downloaded.

It is seeded and deterministic (on the CPU), and cached on disk keyed by the dataset (name, image
size and a fingerprint of its content) and by its own config, so a sweep trains it once. Its
held-out accuracy on the test split is written beside it (`classifier.json`). Its penultimate
layer (`embed_dim` units after ReLU) is the embedding on which FID and KID are measured.

Trained weights differ slightly from one CPU kind to another (the kernels sum in other orders),
and FID follows its feature network. So the package ships the default classifier of the default
data (`wgan_repro/weights/<cache key>.pt`, with its SHA-256 and accuracy in the `.json` beside
it; made by `python -m wgan_repro.metrics.classifier --ship`): when the cache has no classifier
for a key the package ships, the shipped one is checked against its SHA-256 and used, so every
machine measures FID with the same network. Other data or another classifier config train
their own as before.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from wgan_repro.data import InMemoryData
from wgan_repro.run_files import atomic_torch_save, atomic_write_bytes, read_json, write_json

log = logging.getLogger(__name__)
VERSION = 1          # bump when the architecture or the training recipe changes (invalidates caches)
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "weights"


class DomainClassifier(nn.Module):
    """Three conv blocks (conv, BN, ReLU, max-pool), a pooled 4x4 map, the embedding, the logits.

    Takes images in [-1, 1] of any size >= 8, so the same class serves 28, 32 and 64 pixels.
    """

    def __init__(self, channels: int, n_classes: int, width: int = 32, embed_dim: int = 128):
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True), nn.MaxPool2d(2)]

        self.body = nn.Sequential(*block(channels, width), *block(width, 2 * width), *block(2 * width, 4 * width),
                                  nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.embed = nn.Sequential(nn.Linear(4 * width * 16, embed_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(embed_dim, n_classes)
        self.num_features = embed_dim
        self.n_classes = n_classes

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding (penultimate layer) of images in [-1, 1]."""
        return self.embed(self.body(x.contiguous(memory_format=torch.channels_last)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class Embedding(nn.Module):
    """The classifier's embedding as torchmetrics' custom `feature` network (FID and KID call it).

    It remembers the features and logits of the last batch it embedded: FID and KID are updated
    with the same tensor, and the class metrics need its logits, so one forward pass serves all.
    """

    def __init__(self, classifier: DomainClassifier):
        super().__init__()
        self.classifier = classifier
        self.num_features = classifier.num_features
        self.last: Optional[tuple] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.last is None or self.last[0] is not x:
            features = self.classifier.features(x)
            self.last = (x, features, self.classifier.head(features))
        return self.last[1]

    def forget(self) -> None:
        self.last = None


@dataclass
class ClassifierInfo:
    """What `classifier.json` records beside the weights."""
    accuracy: float
    train_seconds: float
    n_train: int
    n_test: int
    key: str
    path: str
    config: dict
    cached: bool = False
    sha256: str = ""
    source: str = "trained"       # trained (here) | shipped (the package's weights)


def fingerprint(data: InMemoryData) -> str:
    """A short hash of a dataset's samples and labels (a different root or max_images differs)."""
    h = hashlib.sha1()
    h.update(str(tuple(data.samples.shape)).encode())
    h.update(data.samples.cpu().contiguous().numpy().tobytes())
    if data.labels is not None:
        h.update(data.labels.cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def cache_folder(cache_dir: Path, train: InMemoryData, config: dict) -> Path:
    """`<cache_dir>/classifier/<data>-<C>x<H>x<W>-<key>`: the key hashes the data and the config."""
    text = json.dumps({"version": VERSION, "data": fingerprint(train), "config": config}, sort_keys=True)
    key = hashlib.sha1(text.encode()).hexdigest()[:12]
    shape = "x".join(str(s) for s in train.shape)
    return Path(cache_dir) / "classifier" / f"{train.name}-{shape}-{key}"


@contextlib.contextmanager
def _locked(folder: Path):
    """Hold an exclusive lock on the cache folder, so parallel runs of a sweep train it once."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:                  # no POSIX locks: runs may train it twice, harmlessly
        yield
        return
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@torch.no_grad()
def predict(classifier: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Embeddings and logits of float images in [-1, 1], in batches, in eval mode."""
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    feats, logits = [], []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        f = classifier.features(x)
        feats.append(f)
        logits.append(classifier.head(f))
    classifier.train(was_training)
    return torch.cat(feats), torch.cat(logits)


def accuracy(classifier: nn.Module, data: InMemoryData, batch_size: int = 1000) -> float:
    device = next(classifier.parameters()).device
    correct = 0
    for start in range(0, len(data), batch_size):
        x = data.as_float(data.samples[start:start + batch_size].to(device))
        _, logits = predict(classifier, x, batch_size)
        correct += (logits.argmax(1) == data.labels[start:start + batch_size].to(device)).sum().item()
    return correct / len(data)


def train_classifier(train: InMemoryData, config: dict, device: torch.device) -> DomainClassifier:
    """Train from scratch: Adam, a seeded shuffle, a one-cycle learning rate, `epochs` passes over
    (the first `max_train` of) the training split. The global RNG is left as it was."""
    n = len(train) if config["max_train"] is None else min(len(train), config["max_train"])
    n_classes = int(train.labels.max().item()) + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config["seed"])
        model = DomainClassifier(train.shape[0], n_classes, config["width"], config["embed_dim"])
    model = model.to(device, memory_format=torch.channels_last)     # NHWC: about 2x faster on a CPU
    order_rng = torch.Generator().manual_seed(config["seed"] + 1)
    steps_per_epoch = max(1, n // config["batch_size"])
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config["lr"], total_steps=config["epochs"] * steps_per_epoch)
    samples, labels = train.samples[:n], train.labels[:n]
    model.train()
    for _ in range(config["epochs"]):
        order = torch.randperm(n, generator=order_rng)
        for step in range(steps_per_epoch):
            index = order[step * config["batch_size"]:(step + 1) * config["batch_size"]]
            x = train.as_float(samples[index].to(device))
            loss = F.cross_entropy(model(x), labels[index].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def load_or_train(train: InMemoryData, test: InMemoryData, config: dict, cache_dir: Path,
                  device: torch.device) -> tuple[DomainClassifier, ClassifierInfo]:
    """The cached classifier for this dataset and config, trained (and cached) when missing."""
    if train.labels is None:
        raise ValueError(f"{train.name} has no labels: the domain classifier needs a labelled dataset")
    folder = cache_folder(cache_dir, train, config)
    weights, meta_path = folder / "classifier.pt", folder / "classifier.json"
    with _locked(folder):
        meta = read_json(meta_path)
        if meta is None or not weights.exists():
            meta = _install_shipped(folder.name, weights, meta_path)
        if meta is not None and weights.exists():
            state = torch.load(weights, map_location=device, weights_only=True)
            model = DomainClassifier(train.shape[0], meta["n_classes"], config["width"], config["embed_dim"])
            model.load_state_dict(state)
            model = model.to(memory_format=torch.channels_last)
            log.info("domain classifier from cache %s (held-out accuracy %.4f)", folder, meta["accuracy"])
            return model.to(device).eval(), _info(meta, folder, cached=True)
        log.info("training the domain classifier on %s (cached in %s)", train.name, folder)
        start = time.perf_counter()
        model = train_classifier(train, config, device)
        seconds = time.perf_counter() - start
        acc = accuracy(model, test)
        meta = {"accuracy": acc, "train_seconds": round(seconds, 2), "n_train": min(len(train), config["max_train"] or len(train)),
                "n_test": len(test), "n_classes": model.n_classes, "data": train.name, "shape": list(train.shape),
                "device": str(device), "torch": torch.__version__, "config": config, "version": VERSION}
        atomic_torch_save({k: v.cpu() for k, v in model.state_dict().items()}, weights)
        meta["sha256"], meta["source"] = sha256(weights), "trained"
        write_json(meta_path, meta)
        log.info("domain classifier trained in %.1f s: held-out accuracy %.4f", seconds, acc)
        return model, _info(meta, folder, cached=False)


def _info(meta: dict, folder: Path, cached: bool) -> ClassifierInfo:
    return ClassifierInfo(accuracy=meta["accuracy"], train_seconds=meta["train_seconds"], n_train=meta["n_train"],
                          n_test=meta["n_test"], key=folder.name, path=str(folder), config=meta["config"], cached=cached,
                          sha256=meta.get("sha256", ""), source=meta.get("source", "trained"))


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _install_shipped(key: str, weights: Path, meta_path: Path) -> Optional[dict]:
    """Copy the package's classifier for this cache key into the cache, after checking its SHA-256;
    None when the package ships none for this key."""
    shipped, shipped_meta = SHIPPED_DIR / f"{key}.pt", read_json(SHIPPED_DIR / f"{key}.json")
    if shipped_meta is None or not shipped.exists():
        return None
    if sha256(shipped) != shipped_meta.get("sha256"):
        log.warning("the shipped classifier %s does not match its SHA-256: training one instead", shipped)
        return None
    atomic_write_bytes(weights, shipped.read_bytes())
    meta = {**shipped_meta, "source": "shipped"}
    write_json(meta_path, meta)
    log.info("domain classifier: the package's %s (SHA-256 %s..., held-out accuracy %.4f)",
             shipped.name, meta["sha256"][:12], meta["accuracy"])
    return meta


def ship(threads: int = 1) -> Path:
    """Train the default classifier on the default data (as a default run would, with `threads`
    CPU threads) and write it into the package's weights folder with its SHA-256."""
    import tempfile

    from wgan_repro.data import load_dataset
    from wgan_repro.presets import preset

    torch.set_num_threads(threads)
    options = {"name": "fashion_mnist", "image_size": 32}
    train, test = load_dataset(options, "train"), load_dataset(options, "test")
    config = preset("eval", "default")["classifier"]
    with tempfile.TemporaryDirectory() as cache:
        folder = cache_folder(Path(cache), train, config)
        global SHIPPED_DIR
        shipped_dir, SHIPPED_DIR = SHIPPED_DIR, Path(cache) / "none"     # train, do not reuse the shipped one
        try:
            load_or_train(train, test, config, Path(cache), torch.device("cpu"))
        finally:
            SHIPPED_DIR = shipped_dir
        meta = read_json(folder / "classifier.json")
        meta.pop("source", None)
        meta["made_by"] = (f"python -m wgan_repro.metrics.classifier --ship (the default eval.classifier config on "
                           f"Debian's dataset-fashion-mnist at 32x32, {threads} CPU thread(s))")
        target = SHIPPED_DIR / f"{folder.name}.pt"
        atomic_write_bytes(target, (folder / "classifier.pt").read_bytes())
        write_json(target.with_suffix(".json"), meta)
    return target


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m wgan_repro.metrics.classifier")
    parser.add_argument("--ship", action="store_true", help="train the default classifier and write it into "
                        "wgan_repro/weights/ (the weights the package ships)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not args.ship:
        parser.error("nothing to do: pass --ship")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(ship(args.threads))


def reference_path(info: ClassifierInfo, settings: dict) -> Path:
    """Where the floor/ceiling numbers for these evaluation settings are cached beside the classifier."""
    key = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return Path(info.path) / f"reference-{key}.json"

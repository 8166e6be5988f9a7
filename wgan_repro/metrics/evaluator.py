"""The training loop's evaluation hook: sample quality every `eval.every` generator iterations on
`eval.n_samples` samples, and once at the end on more, written as extra metrics.csv columns.

- Image sets with labels: FID and KID on the domain classifier's embedding, the classifier score,
  classes covered, the KL of the predicted-class histogram to the data's class distribution and
  the within-class diversity ratio (`ImageEvaluator`).
- 2-D sets: exact W1 against real points, plus VEEGAN's modes captured and high-quality share for
  the Gaussian mixtures (`PointEvaluator`).

Each evaluator also measures the same metrics for two references (computed once, cached beside
the classifier for images): the floor, held-out real data (the test split) against the training
data, and the ceiling, noise. They go to `eval_reference.json` when the evaluator is built and,
with the final metrics and the protocol, to `final_eval.json` at the end of the run.

Sampling leaves training untouched: the generator stays in train mode (BatchNorm uses batch
statistics, as the original code samples), batches of `train.batch_size`, its own seeded noise
(the same at every evaluation), BatchNorm running statistics restored afterwards, and the global
RNG forked; so a run gives the same training numbers with or without evaluation.
"""
from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Optional

import torch
from omegaconf import DictConfig, OmegaConf

from wgan_repro.data import InMemoryData, gaussian_centers, load_dataset, to_uint8_images
from wgan_repro.metrics import coverage
from wgan_repro.metrics.classifier import load_or_train, reference_path
from wgan_repro.metrics.fid import FeatureDistances
from wgan_repro.metrics.points import mode_coverage, w1_exact
from wgan_repro.registry import ConfigError
from wgan_repro.run_files import read_json, write_json
from wgan_repro.run_layout import IMAGE_METRICS, MIXTURE_METRICS, POINT_METRICS
from wgan_repro.runtime import resolve_device

log = logging.getLogger(__name__)

IMAGE_COLUMNS = list(IMAGE_METRICS)
MIXTURE_COLUMNS = list(MIXTURE_METRICS)
POINT_COLUMNS = list(POINT_METRICS)
MIXTURES = ("eight_gaussians", "twentyfive_gaussians")


class Evaluator:
    """What the training loop calls: `columns`, `due(iter, last)`, `evaluate(generator, iter, final)`."""

    columns: list[str] = []

    def __init__(self, settings: dict, run_dir: Path, nz: int, batch_size: int):
        self.settings = settings
        self.run_dir = Path(run_dir)
        self.nz, self.batch_size = nz, batch_size
        self.seconds, self.count = 0.0, 0
        self.reference: dict = {}

    def due(self, iter: int, last: bool) -> bool:
        return last or iter % self.settings["every"] == 0

    @torch.no_grad()
    def sample(self, generator: torch.nn.Module, n: int) -> torch.Tensor:
        """`n` samples from the generator as it trains (train mode), with this evaluator's own
        fixed noise; BatchNorm running statistics are put back as they were."""
        device = next(generator.parameters()).device
        noise = torch.Generator(device=device).manual_seed(self.settings["seed"])
        saved = {name: buf.clone() for name, buf in generator.named_buffers()}
        out = []
        for start in range(0, n, self.batch_size):
            z = torch.randn(min(self.batch_size, n - start), self.nz, generator=noise, device=device)
            out.append(generator(z).float())
        for name, buf in generator.named_buffers():
            buf.copy_(saved[name])
        return torch.cat(out)

    def evaluate(self, generator: torch.nn.Module, iter: int, final: bool = False) -> dict:
        start = time.perf_counter()
        if self.count == 0:
            self.write_reference()
        samples = self.sample(generator, self.n_generated(final))
        if torch.isfinite(samples).all():
            metrics = self.measure(samples, final)
        else:
            metrics = {c: math.nan for c in self.columns}
        row = {c: metrics[c] for c in self.columns}
        seconds = time.perf_counter() - start
        self.seconds += seconds
        self.count += 1
        log.info("evaluation at iteration %d (%d samples, %.1f s): %s", iter, len(samples), seconds,
                 "  ".join(f"{k} {v:.4g}" for k, v in row.items()))
        if final:
            write_json(self.run_dir / "final_eval.json", {
                "iter": iter, "metrics": metrics, "n_generated": len(samples),
                "floor": self.reference["final"]["floor"], "ceiling": self.reference["final"]["ceiling"],
                "protocol": self.protocol(final=True),
                "cost": {"evaluations": self.count, "seconds": round(self.seconds, 2)},
            })
        return row

    def write_reference(self) -> None:
        write_json(self.run_dir / "eval_reference.json", {
            "floor": self.reference["periodic"]["floor"], "ceiling": self.reference["periodic"]["ceiling"],
            "final": self.reference["final"], "protocol": self.protocol(final=False)})

    # to be provided by the subclasses
    def n_generated(self, final: bool) -> int:
        return self.settings["n_final" if final else "n_samples"]

    def measure(self, samples: torch.Tensor, final: bool) -> dict:
        raise NotImplementedError

    def protocol(self, final: bool) -> dict:
        raise NotImplementedError


class ImageEvaluator(Evaluator):
    """FID, KID, classifier score, class coverage and diversity on the domain classifier."""

    columns = IMAGE_COLUMNS

    def __init__(self, settings: dict, run_dir: Path, nz: int, batch_size: int,
                 train: InMemoryData, test: InMemoryData, device: torch.device, cache_dir: Path):
        super().__init__(settings, run_dir, nz, batch_size)
        self.classifier, self.info = load_or_train(train, test, settings["classifier"], cache_dir, device)
        self.n_classes = self.classifier.n_classes
        self.data_name = train.name
        pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(settings["seed"]))
        real = train.as_float(train.samples[pick[:settings["n_real"]]])
        self.n_real = len(real)
        self.distances = FeatureDistances(self.classifier, real, settings["kid_subsets"], settings["kid_subset_size"],
                                          seed=settings["seed"])
        features, logits = self.distances.real_features, self.distances.real_logits
        self.real_spread = coverage.class_spread(features, logits.argmax(1), self.n_classes)
        counts = torch.bincount(train.labels.cpu(), minlength=self.n_classes).double()
        self.data_distribution = counts / counts.sum()
        self.reference = self._references(test)

    def measure(self, images: torch.Tensor, final: bool = False) -> dict:
        """Every image metric of float images in [-1, 1], quantized to 8 bits first (as saved)."""
        images = to_uint8_images(images).float().div_(127.5).sub_(1.0)
        distances, features, logits = self.distances.score(images)
        histogram = coverage.class_histogram(logits, self.n_classes)
        return {
            "fid": distances["fid"],
            "kid": distances["kid"],
            "kid_std": distances["kid_std"],
            "classifier_score": coverage.classifier_score(logits),
            "classes_covered": coverage.classes_covered(histogram, self.settings["coverage_min_share"]),
            "class_kl": coverage.class_kl(histogram, self.data_distribution),
            "intra_diversity": coverage.intra_diversity(features, logits, self.real_spread),
            "class_histogram": [round(v, 5) for v in histogram.tolist()],
        }

    def _references(self, test: InMemoryData) -> dict:
        """Floor (held-out test images) and ceiling (N(0, 1) pixel noise clamped to [-1, 1]) at the
        periodic and the final sample size; cached beside the classifier."""
        keys = ("seed", "n_real", "n_samples", "n_final", "kid_subsets", "kid_subset_size", "coverage_min_share")
        path = reference_path(self.info, {k: self.settings[k] for k in keys})
        cached = read_json(path)
        if cached is not None:
            return cached
        start = time.perf_counter()
        pick = torch.randperm(len(test), generator=torch.Generator().manual_seed(self.settings["seed"] + 1))
        noise = torch.Generator().manual_seed(self.settings["seed"] + 2)
        reference = {}
        for stage in ("periodic", "final"):
            n = self.settings["n_samples" if stage == "periodic" else "n_final"]
            held_out = test.as_float(test.samples[pick[:n]])
            gaussian = torch.randn((n, *test.shape), generator=noise).clamp_(-1, 1)
            reference[stage] = {"n": n, "n_floor": len(held_out),
                                "floor": self.measure(held_out), "ceiling": self.measure(gaussian)}
        write_json(path, reference)
        log.info("reference numbers measured in %.1f s: FID floor %.4g, ceiling %.4g", time.perf_counter() - start,
                 reference["periodic"]["floor"]["fid"], reference["periodic"]["ceiling"]["fid"])
        return reference

    def protocol(self, final: bool) -> dict:
        s = self.settings
        return {
            "feature_network": (f"wgan_repro DomainClassifier (width {s['classifier']['width']}), penultimate layer "
                                 f"({self.classifier.num_features} units after ReLU), trained on {self.data_name} train"),
            "classifier_accuracy": self.info.accuracy,
            "classifier_accuracy_split": f"test ({self.info.n_test} images)",
            "classifier": {"cache": self.info.path, "sha256": self.info.sha256, "source": self.info.source,
                           "n_train": self.info.n_train,
                           "train_seconds": self.info.train_seconds, "config": self.info.config},
            "n_real": self.n_real, "real_split": "train",
            "n_generated": s["n_final"] if final else s["n_samples"],
            "floor": "test split images against the same training images",
            "ceiling": "N(0, 1) pixel noise clamped to [-1, 1]",
            "kid": {"subsets": s["kid_subsets"], "subset_size": s["kid_subset_size"], "kernel": "polynomial, degree 3"},
            "coverage_min_share": s["coverage_min_share"],
            "sampling": (f"generator in train mode (BatchNorm batch statistics), batches of {self.batch_size}, "
                         "fixed noise (eval.seed), 8-bit quantized"),
            "implementation": "torchmetrics.image.fid.FrechetInceptionDistance / kid.KernelInceptionDistance, custom feature",
        }


class PointEvaluator(Evaluator):
    """Exact W1 against real points; modes captured and high-quality share for the mixtures."""

    def __init__(self, settings: dict, run_dir: Path, nz: int, batch_size: int,
                 train: InMemoryData, test: InMemoryData, data_cfg: dict):
        super().__init__(settings, run_dir, nz, batch_size)
        self.name = data_cfg["name"]
        self.mixture = self.name in MIXTURES
        self.columns = MIXTURE_COLUMNS if self.mixture else POINT_COLUMNS
        if self.mixture:
            self.centers, self.std = gaussian_centers(self.name, data_cfg["radius"]), data_cfg["std"]
        pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(settings["seed"]))
        self.real = train.samples[pick[:max(settings["n_points"], settings["n_points_final"])]].float().cpu()
        self.reference = self._references(train, test)

    def n_generated(self, final: bool) -> int:
        return self.settings["n_points_final" if final else "n_points"]

    def measure(self, points: torch.Tensor, final: bool = False) -> dict:
        points = points.float().cpu()
        out = {"w1_exact": w1_exact(points, self.real[:len(points)])}
        if self.mixture:
            out.update(mode_coverage(points, self.centers, self.std, self.settings["mode_min_share"]))
        return out

    def _references(self, train: InMemoryData, test: InMemoryData) -> dict:
        """Floor: held-out (test) points; ceiling: a Gaussian with the data's mean and covariance."""
        data = train.samples.double()
        gaussian = torch.distributions.MultivariateNormal(data.mean(0), torch.cov(data.T))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.settings["seed"] + 2)
            noise = gaussian.sample((len(self.real),)).float()
        reference = {}
        for stage, n in (("periodic", self.settings["n_points"]), ("final", self.settings["n_points_final"])):
            reference[stage] = {"n": n, "floor": self.measure(test.samples[:n].float()), "ceiling": self.measure(noise[:n])}
        return reference

    def protocol(self, final: bool) -> dict:
        s = self.settings
        n = s["n_points_final"] if final else s["n_points"]
        out = {"metric": "exact W1 (POT ot.emd2, Euclidean cost, uniform weights)", "n_real": n, "real_split": "train",
               "n_generated": n, "floor": "test split points against the same training points",
               "ceiling": "a Gaussian with the training data's mean and covariance"}
        if self.mixture:
            out["modes"] = (f"{len(self.centers)} modes of std {self.std}; a sample is high quality within 3 std of its "
                            f"nearest mode; a mode is captured with >= {s['mode_min_share']} of the samples high quality there")
        return out


def build_evaluator(cfg: DictConfig, run_dir: Path) -> Optional[Evaluator]:
    """The evaluator the `eval` section asks for, or None (eval.enabled=false, or unlabelled images)."""
    settings = OmegaConf.to_container(cfg.eval, resolve=True)
    if not settings["enabled"]:
        return None
    train = load_dataset(cfg.data, "train", cfg.seed)
    if train.is_image and train.labels is None:
        log.warning("data=%s has no labels: no domain classifier, so no quality metrics", train.name)
        return None
    try:
        test = load_dataset(cfg.data, "test", cfg.seed)
    except ConfigError as err:
        raise ConfigError(f"the quality metrics need the test split: {err} (or set eval.enabled=false)") from None
    common = dict(settings=settings, run_dir=Path(run_dir), nz=cfg.arch.nz, batch_size=cfg.train.batch_size,
                  train=train, test=test)
    if train.is_image:
        return ImageEvaluator(**common, device=resolve_device(cfg.device), cache_dir=Path(settings["cache_dir"]))
    return PointEvaluator(**common, data_cfg=OmegaConf.to_container(cfg.data, resolve=True))

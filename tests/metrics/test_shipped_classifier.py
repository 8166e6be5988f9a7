"""The classifier the package ships: checked against its SHA-256, used on a cache miss instead of
training one, and giving the same FID floor and ceiling on every x86-64 machine."""
import json
import math

import pytest
import torch

from wgan_repro.data import DEBIAN_FASHION_MNIST, load_dataset
from wgan_repro.metrics import classifier as clf
from wgan_repro.metrics.evaluator import ImageEvaluator
from wgan_repro.presets import preset

SHIPPED = sorted(clf.SHIPPED_DIR.glob("*.pt"))
# What the shipped network measured when it was made (its cache's reference file, 2,000 samples)
PINNED = {"floor": 1.6281434297561646, "ceiling": 570.4116821289062}
needs_data = pytest.mark.skipif(not DEBIAN_FASHION_MNIST.exists(), reason="needs Debian's dataset-fashion-mnist")


def test_every_shipped_classifier_matches_its_sha256_and_loads_as_plain_tensors():
    assert SHIPPED, "the package ships the default classifier"
    for weights in SHIPPED:
        meta = json.loads(weights.with_suffix(".json").read_text())
        assert clf.sha256(weights) == meta["sha256"]
        assert 0.85 < meta["accuracy"] <= 1 and weights.stat().st_size < 2_000_000
        state = torch.load(weights, weights_only=True)
        assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_a_tampered_shipped_file_is_not_used(tmp_path, monkeypatch):
    key = SHIPPED[0].stem
    data = bytearray(SHIPPED[0].read_bytes())
    data[len(data) // 2] ^= 1                      # one bit flipped
    (tmp_path / f"{key}.pt").write_bytes(bytes(data))
    (tmp_path / f"{key}.json").write_text(SHIPPED[0].with_suffix(".json").read_text())
    monkeypatch.setattr(clf, "SHIPPED_DIR", tmp_path)
    assert clf._install_shipped(key, tmp_path / "c.pt", tmp_path / "c.json") is None


def _moments(features: torch.Tensor) -> float:
    f = features.double()
    return float((f.mean(0) ** 2).sum() + f.var(0).sum())


@needs_data
def test_the_shipped_network_gives_the_pinned_floor_and_ceiling_without_training(tmp_path):
    options = {"name": "fashion_mnist", "image_size": 32}
    train, test = load_dataset(options, "train"), load_dataset(options, "test")
    settings = {**preset("eval", "default"), "cache_dir": str(tmp_path)}
    torch.set_num_threads(1)
    evaluator = ImageEvaluator(settings, tmp_path / "run", nz=100, batch_size=64, train=train, test=test,
                               device=torch.device("cpu"), cache_dir=tmp_path)
    assert evaluator.info.source == "shipped"                 # copied from the package, not trained here
    assert evaluator.info.key == SHIPPED[0].stem
    reference = evaluator.reference["periodic"]
    # Tolerance from float32 summation: the features pass about 5 reductions of at most ~1,000
    # terms, each erring by about sqrt(n) u relative (u = 2^-24) when another machine sums in
    # another order; FID is a sum of squared means and covariance traces, so a relative feature
    # error d moves it by at most about 4 d (|mu_r|^2 + |mu_g|^2 + tr S_r + tr S_g).
    d = 5 * math.sqrt(1024) * 2.0 ** -24
    noise = torch.randn((reference["n"], *test.shape), generator=torch.Generator().manual_seed(settings["seed"] + 2))
    noise_features, _ = clf.predict(evaluator.classifier, noise.clamp_(-1, 1))
    pick = torch.randperm(len(test), generator=torch.Generator().manual_seed(settings["seed"] + 1))
    test_features, _ = clf.predict(evaluator.classifier, test.as_float(test.samples[pick[:reference["n"]]]))
    real = _moments(evaluator.distances.real_features)
    for stage, features in (("floor", test_features), ("ceiling", noise_features)):
        tolerance = 4 * d * (real + _moments(features))
        assert reference[stage]["fid"] == pytest.approx(PINNED[stage], abs=tolerance), (stage, tolerance)
        assert tolerance < 0.01 * PINNED["ceiling"]          # tight enough to mean something

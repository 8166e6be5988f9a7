"""Class coverage, classifier score and within-class diversity: on exact inputs, and through the
evaluator on generators that output real images of one class, of all classes, or a few copies."""
import math

import pytest
import torch
import torch.nn as nn

from wgan_repro.metrics import coverage
from wgan_repro.metrics.classifier import predict
from wgan_repro.metrics.evaluator import IMAGE_COLUMNS, ImageEvaluator
from wgan_repro.run_files import read_json


class ImageBank(nn.Module):
    """A 'generator' that returns stored images, picked by its noise: a stand-in for a trained one."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.register_buffer("images", images)
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        index = (z[:, 0].abs() * 1e6).long() % len(self.images)
        return self.images[index]


def test_classifier_score_ranges_from_one_to_the_number_of_classes():
    confident = torch.eye(10).repeat(50, 1) * 50
    assert coverage.classifier_score(confident) == pytest.approx(10, rel=1e-6)
    assert coverage.classifier_score(torch.zeros(100, 10)) == pytest.approx(1)
    assert coverage.classifier_score(torch.eye(10)[[3] * 100] * 50) == pytest.approx(1)


def test_histogram_coverage_and_kl_on_exact_inputs():
    logits = torch.eye(4)[[0] * 60 + [1] * 30 + [2] * 9 + [3] * 1]
    hist = coverage.class_histogram(logits, 4)
    assert hist.tolist() == [0.6, 0.3, 0.09, 0.01]
    assert coverage.classes_covered(hist, 0.05) == 3 and coverage.classes_covered(hist, 0.01) == 4
    uniform = torch.full((4,), 0.25)
    assert coverage.class_kl(uniform, uniform) == 0
    assert coverage.class_kl(torch.tensor([1.0, 0, 0, 0]), uniform) == pytest.approx(math.log(4))


def test_intra_diversity_compares_the_within_class_spread():
    g = torch.Generator().manual_seed(0)
    logits = torch.eye(2)[torch.arange(200) % 2]
    real = coverage.class_spread(torch.randn(200, 8, generator=g), logits.argmax(1), 2)
    wide, narrow = torch.randn(200, 8, generator=g), 0.1 * torch.randn(200, 8, generator=g)
    assert coverage.intra_diversity(wide, logits, real) == pytest.approx(1, abs=0.1)
    assert coverage.intra_diversity(narrow, logits, real) == pytest.approx(0.1, abs=0.02)


@pytest.fixture(scope="module")
def evaluator(eval_settings, image_data, small_classifier, classifier_cache, tmp_path_factory):
    train, test = image_data
    return ImageEvaluator(eval_settings, tmp_path_factory.mktemp("run"), nz=8, batch_size=64, train=train,
                          test=test, device=torch.device("cpu"), cache_dir=classifier_cache)


def _bank(test, mask):
    return ImageBank(test.as_float(test.samples[mask]))


def test_a_generator_of_one_class_covers_one_class(evaluator, image_data):
    """One class as the classifier sees it: the trouser images it labels as trousers, so the
    check holds whatever the classifier's accuracy on this machine's kernels (a few per cent of
    real trousers may be labelled otherwise by a briefly trained classifier)."""
    test = image_data[1]
    trousers = test.labels == 1
    _, logits = predict(evaluator.classifier, test.as_float(test.samples[trousers]))
    row = evaluator.evaluate(_bank(test, torch.nonzero(trousers)[:, 0][logits.argmax(1) == 1]), iter=1)
    assert row["classes_covered"] == 1
    assert row["class_kl"] > 0.8 * math.log(10)
    assert row["classifier_score"] < 2
    floor = evaluator.reference["periodic"]["floor"]
    assert row["fid"] > 10 * floor["fid"]


def test_real_images_cover_every_class_and_keep_their_diversity(evaluator, image_data):
    test = image_data[1]
    row = evaluator.evaluate(_bank(test, slice(None)), iter=1)
    assert row["classes_covered"] == 10
    assert row["class_kl"] < 0.05
    assert row["intra_diversity"] == pytest.approx(1, abs=0.1)
    ceiling = evaluator.reference["periodic"]["ceiling"]
    assert row["fid"] < 0.02 * ceiling["fid"] and row["classifier_score"] > ceiling["classifier_score"]


def test_intra_class_collapse_lowers_the_diversity_not_the_coverage(evaluator, image_data):
    test = image_data[1]
    first_of_each = torch.stack([torch.nonzero(test.labels == c)[0, 0] for c in range(10)])
    row = evaluator.evaluate(_bank(test, first_of_each), iter=1)
    assert row["classes_covered"] >= 8
    assert row["intra_diversity"] < 0.2


def test_the_final_evaluation_writes_metrics_references_and_protocol(evaluator, image_data):
    test = image_data[1]
    row = evaluator.evaluate(_bank(test, slice(None)), iter=7, final=True)
    assert list(row) == IMAGE_COLUMNS
    result = read_json(evaluator.run_dir / "final_eval.json")
    assert result["iter"] == 7 and result["n_generated"] == 1000
    assert result["metrics"]["fid"] == pytest.approx(row["fid"])
    assert result["floor"]["fid"] < result["metrics"]["fid"] * 3 < result["ceiling"]["fid"]
    protocol = result["protocol"]
    assert protocol["classifier_accuracy"] == evaluator.info.accuracy
    assert (protocol["n_real"], protocol["n_generated"], protocol["real_split"]) == (2000, 1000, "train")
    assert "DomainClassifier" in protocol["feature_network"]
    reference = read_json(evaluator.run_dir / "eval_reference.json")
    assert reference["floor"]["fid"] < reference["ceiling"]["fid"]

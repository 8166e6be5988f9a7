"""Shared fixtures of the metric tests: image data (real Fashion-MNIST when installed, the
class-blob stand-in otherwise) and a domain classifier on a reduced budget, trained once per
session into a temporary cache."""
from __future__ import annotations

import pytest
import torch

from tests.conftest import make_fake_idx_dataset
from wgan_repro.data import DEBIAN_FASHION_MNIST, load_dataset
from wgan_repro.metrics.classifier import load_or_train
from wgan_repro.presets import preset

# A tenth of the default budget: one epoch on 10,000 images (about 10 s on one core).
SMALL_CLASSIFIER = {**preset("eval", "default")["classifier"], "epochs": 1, "max_train": 10000}
REAL_DATA = DEBIAN_FASHION_MNIST.exists()


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One CPU thread, as the training tests use (train.threads=1): on a shared 2-core machine
    two OpenMP threads are often slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def image_options(tmp_path_factory) -> dict:
    if REAL_DATA:
        return {"name": "fashion_mnist", "image_size": 32}
    root = make_fake_idx_dataset(tmp_path_factory.mktemp("blobs"), n_train=4000, n_test=1000)
    return {"name": "fashion_mnist", "image_size": 32, "root": str(root)}


@pytest.fixture(scope="session")
def image_data(image_options):
    return load_dataset(image_options, "train"), load_dataset(image_options, "test")


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("classifier_cache")


@pytest.fixture(scope="session")
def small_classifier(image_data, classifier_cache):
    train, test = image_data
    model, info = load_or_train(train, test, SMALL_CLASSIFIER, classifier_cache, torch.device("cpu"))
    return model, info


@pytest.fixture(scope="session")
def eval_settings(classifier_cache) -> dict:
    """The `eval` section at test scale, with the session's classifier."""
    return {**preset("eval", "default"), "n_real": 2000, "n_samples": 500, "n_final": 1000, "kid_subsets": 10,
            "kid_subset_size": 500, "cache_dir": str(classifier_cache), "classifier": SMALL_CLASSIFIER}

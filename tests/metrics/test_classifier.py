import time

import pytest
import torch

from tests.metrics.conftest import REAL_DATA, SMALL_CLASSIFIER
from wgan_repro.data import InMemoryData
from wgan_repro.metrics.classifier import cache_folder, load_or_train
from wgan_repro.presets import preset
from wgan_repro.run_files import read_json

TINY = {**SMALL_CLASSIFIER, "max_train": 512}
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny_data(image_data):
    """The training split and 500 test images: the tiny-budget tests measure little accuracy."""
    train, test = image_data
    return train, InMemoryData(test.samples[:500], test.labels[:500], test.name)


def test_a_second_call_finds_the_cache_and_the_accuracy_is_written_beside_it(tiny_data, tmp_path):
    train, test = tiny_data
    first, info = load_or_train(train, test, TINY, tmp_path, CPU)
    assert not info.cached
    meta = read_json(cache_folder(tmp_path, train, TINY) / "classifier.json")
    assert meta["accuracy"] == info.accuracy and meta["n_test"] == len(test) and meta["n_train"] == 512
    second, info2 = load_or_train(train, test, TINY, tmp_path, CPU)
    assert info2.cached and info2.accuracy == info.accuracy and info2.path == info.path
    x = train.as_float(train.samples[:16])
    assert torch.equal(first(x), second(x))


def test_training_is_seeded_and_deterministic(tiny_data, tmp_path):
    train, test = tiny_data
    a, _ = load_or_train(train, test, TINY, tmp_path / "a", CPU)
    b, _ = load_or_train(train, test, TINY, tmp_path / "b", CPU)
    c, _ = load_or_train(train, test, {**TINY, "seed": 1}, tmp_path / "c", CPU)
    def weights(m):
        return torch.cat([p.detach().flatten() for p in m.parameters()])
    assert torch.equal(weights(a), weights(b))
    assert not torch.equal(weights(a), weights(c))


def test_the_cache_key_follows_the_data_and_the_config(image_data, tmp_path):
    train, _ = image_data
    key = cache_folder(tmp_path, train, TINY)
    assert key == cache_folder(tmp_path, train, dict(TINY))
    assert key != cache_folder(tmp_path, train, {**TINY, "epochs": 2})
    fewer = type(train)(train.samples[:100], train.labels[:100], train.name)
    assert key != cache_folder(tmp_path, fewer, TINY)


def test_the_embedding_is_the_penultimate_layer(small_classifier, image_data):
    model, _ = small_classifier
    x = image_data[1].as_float(image_data[1].samples[:8])
    with torch.no_grad():
        features = model.features(x)
        assert features.shape == (8, model.num_features) and (features >= 0).all()
        assert torch.allclose(model.head(features), model(x))


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DATA, reason="needs Debian's dataset-fashion-mnist")
def test_the_default_classifier_reaches_90_percent_on_fashion_mnist_within_3_minutes(image_data, tmp_path):
    train, test = image_data
    config = preset("eval", "default")["classifier"]
    start = time.perf_counter()
    _, info = load_or_train(train, test, config, tmp_path, CPU)
    seconds = time.perf_counter() - start
    print(f"default classifier: held-out accuracy {info.accuracy:.4f}, trained in {info.train_seconds:.1f} s")
    assert info.accuracy >= 0.90
    assert seconds < 180

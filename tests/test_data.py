import gzip

import pytest
import torch

from wgan_repro import data as data_mod
from wgan_repro.data import BatchSampler, load_dataset, read_idx, resize_images
from wgan_repro.registry import ConfigError


def test_fashion_mnist_loads_from_root_resized_and_scaled(fake_data_root):
    ds = load_dataset({"name": "fashion_mnist", "root": str(fake_data_root), "image_size": 32})
    assert ds.samples.dtype == torch.uint8 and ds.shape == (1, 32, 32) and len(ds) == 256
    assert ds.labels.shape == (256,) and set(ds.labels.tolist()) <= set(range(10))
    x = ds.as_float(ds.samples[:8])
    assert x.min() >= -1 and x.max() <= 1 and x.max() > 0.5
    test = load_dataset({"name": "fashion_mnist", "root": str(fake_data_root), "max_images": 10}, split="test")
    assert len(test) == 10


def test_torchvision_layout_is_found(tmp_path, fake_data_root):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in fake_data_root.iterdir():          # torchvision keeps them unzipped
        (raw / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
    ds = load_dataset({"name": "fashion_mnist", "root": str(tmp_path), "image_size": 28})
    assert ds.shape == (1, 28, 28) and len(ds) == 256


def test_missing_dataset_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data_mod, "DEBIAN_FASHION_MNIST", tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="apt-get install dataset-fashion-mnist.*data.download=true"):
        load_dataset({"name": "fashion_mnist", "root": str(tmp_path)})


def test_truncated_idx_file_is_reported(tmp_path, fake_data_root):
    blob = gzip.decompress((fake_data_root / "train-images-idx3-ubyte.gz").read_bytes())
    (tmp_path / "train-images-idx3-ubyte").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ConfigError, match="truncated"):
        read_idx(tmp_path / "train-images-idx3-ubyte")


def test_resize_keeps_constant_images_constant():
    x = torch.full((3, 1, 28, 28), 200, dtype=torch.uint8)
    y = resize_images(x, 64)
    assert y.shape == (3, 1, 64, 64) and (y == 200).all()


@pytest.mark.parametrize("name, modes", [("eight_gaussians", 8), ("twentyfive_gaussians", 25)])
def test_gaussian_mixtures_have_their_modes(name, modes):
    ds = load_dataset({"name": name, "n_points": 5000}, seed=3)
    assert ds.shape == (2,) and not ds.is_image
    assert len(torch.unique(ds.labels)) == modes
    again = load_dataset({"name": name, "n_points": 5000}, seed=3)
    assert torch.equal(ds.samples, again.samples)
    other = load_dataset({"name": name, "n_points": 5000}, split="test", seed=3)
    assert not torch.equal(ds.samples, other.samples)


def test_swiss_roll_is_two_dimensional_and_bounded():
    ds = load_dataset({"name": "swiss_roll", "n_points": 2000})
    assert ds.samples.shape == (2000, 2) and ds.samples.abs().max() < 3


def test_batch_sampler_visits_every_sample_once_per_epoch_and_restores_its_state(fake_data_root):
    ds = load_dataset({"name": "fashion_mnist", "root": str(fake_data_root), "image_size": 8})
    ds.samples = torch.arange(len(ds), dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 8, 8).clone()
    ds.as_float = lambda x: x
    sampler = BatchSampler(ds, 64, seed=1)
    seen = torch.cat([sampler.next()[:, 0, 0, 0] for _ in range(4)])
    assert sorted(seen.long().tolist()) == list(range(256))
    state = sampler.state_dict()
    a = [sampler.next() for _ in range(6)]
    sampler.load_state_dict(state)
    b = [sampler.next() for _ in range(6)]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ConfigError, match="larger than the dataset"):
        BatchSampler(ds, 1000, seed=0)

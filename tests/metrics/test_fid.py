"""FID and KID on the domain classifier: near their floor for held-out real data, rising with
Gaussian noise and with blur."""
import pytest
import torch
from torchvision.transforms.functional import gaussian_blur

from wgan_repro.metrics.fid import FeatureDistances

NOISE = (0.1, 0.2, 0.4, 0.8)      # pixel noise std, images in [-1, 1]
BLUR = (0.5, 1.0, 1.5, 2.0)       # Gaussian blur sigma, pixels


@pytest.fixture(scope="module")
def distances(small_classifier, image_data):
    train, _ = image_data
    pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:2000]
    return FeatureDistances(small_classifier[0], train.as_float(train.samples[pick]), kid_subsets=10, kid_subset_size=500)


@pytest.fixture(scope="module")
def held_out(image_data):
    test = image_data[1]
    return test.as_float(test.samples[:1000])


@pytest.fixture(scope="module")
def ceiling(distances, held_out):
    noise = torch.randn(held_out.shape, generator=torch.Generator().manual_seed(1)).clamp_(-1, 1)
    return distances.score(noise)[0]


def test_held_out_real_data_is_near_the_floor(distances, held_out, ceiling):
    floor = distances.score(held_out)[0]
    assert 0 <= floor["fid"] < 0.01 * ceiling["fid"]
    assert abs(floor["kid"]) < 0.01 * ceiling["kid"]
    noisy = distances.score((held_out + NOISE[0] * torch.randn(held_out.shape, generator=torch.Generator().manual_seed(2))).clamp(-1, 1))[0]
    assert floor["fid"] < noisy["fid"] and floor["kid"] < noisy["kid"]


def test_fid_rises_monotonically_with_gaussian_noise(distances, held_out, ceiling):
    g = torch.Generator().manual_seed(3)
    scores = [distances.score(held_out)[0]]
    for std in NOISE:
        scores.append(distances.score((held_out + std * torch.randn(held_out.shape, generator=g)).clamp(-1, 1))[0])
    fids, kids = [s["fid"] for s in scores], [s["kid"] for s in scores]
    assert all(a < b for a, b in zip(fids, fids[1:])), fids
    assert all(a < b for a, b in zip(kids, kids[1:])), kids
    assert fids[-1] < ceiling["fid"]


def test_fid_rises_monotonically_with_blur(distances, held_out):
    scores = [distances.score(held_out)[0]]
    for sigma in BLUR:
        scores.append(distances.score(gaussian_blur(held_out, kernel_size=[9, 9], sigma=[sigma, sigma]))[0])
    fids = [s["fid"] for s in scores]
    assert all(a < b for a, b in zip(fids, fids[1:])), fids


def test_the_same_images_give_the_same_scores_and_the_real_side_is_kept(distances, held_out):
    first, features, logits = distances.score(held_out[:600])
    assert features.shape == (600, distances.classifier.num_features) and logits.shape[0] == 600
    distances.score(held_out[600:])
    assert distances.score(held_out[:600])[0] == first

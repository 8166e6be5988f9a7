"""Exact W1 (POT) and VEEGAN's mode metrics on the 2-D sets."""
import warnings

import pytest
import torch

from wgan_repro.data import gaussian_centers, load_dataset
from wgan_repro.metrics.points import mode_coverage, w1_exact


@pytest.mark.parametrize("shift", [0.5, 1.0, 2.0])
def test_exact_w1_of_two_shifted_1d_gaussians_is_the_shift(shift):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(1500, 1, generator=g), torch.randn(1500, 1, generator=g) + shift
    w1 = w1_exact(x, y)
    # In 1-D the optimal plan matches sorted samples: the exact empirical W1 in closed form.
    assert w1 == pytest.approx((x.double().sort(0).values - y.double().sort(0).values).abs().mean().item(), abs=1e-9)
    same = w1_exact(x, torch.randn(1500, 1, generator=g))      # the sampling error at n = 1500
    assert abs(w1 - shift) < 3 * same + 0.02


def test_w1_uses_the_euclidean_not_the_squared_distance():
    x, y = torch.zeros(10, 2), torch.full((10, 2), 3.0)
    assert w1_exact(x, y) == pytest.approx(18 ** 0.5)


def test_hitting_the_iteration_limit_is_an_error_not_a_warning():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(300, 2, generator=g), torch.randn(300, 2, generator=g)
    with pytest.raises(UserWarning, match="numItermax"):
        w1_exact(x, y, num_iter_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w1_exact(x, y)


@pytest.mark.parametrize("name, modes", [("eight_gaussians", 8), ("twentyfive_gaussians", 25)])
def test_real_mixture_data_has_every_mode_and_high_quality(name, modes):
    data = load_dataset({"name": name, "n_points": 2000}, "train")
    std = 0.02 if name == "eight_gaussians" else 0.05
    result = mode_coverage(data.samples, gaussian_centers(name, 2.0), std, min_share=0.008)
    assert result["modes_captured"] == modes
    assert result["high_quality_share"] > 0.97


def test_a_collapsed_sample_captures_one_mode_even_with_a_few_strays():
    centers = gaussian_centers("eight_gaussians", 2.0)
    g = torch.Generator().manual_seed(0)
    collapsed = centers[3] + 0.02 * torch.randn(2000, 2, generator=g)
    assert mode_coverage(collapsed, centers, 0.02, 0.008)["modes_captured"] == 1
    others = [m for m in range(8) if m != 3]
    strays = centers[others] + 0.01 * torch.randn(7, 2, generator=g)     # one point at each other mode
    result = mode_coverage(torch.cat([collapsed[:1993], strays]), centers, 0.02, 0.008)
    assert result["modes_captured"] == 1
    assert [result["mode_counts"][m] for m in others] == [1] * 7      # high quality, but too few
    far = torch.full((100, 2), 10.0)
    assert mode_coverage(far, centers, 0.02, 0.008) == {"modes_captured": 0, "high_quality_share": 0.0,
                                                        "mode_counts": [0] * 8}

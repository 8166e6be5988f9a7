"""Metrics of the 2-D sets: the exact Wasserstein-1 distance between two point clouds (POT's
network simplex) and VEEGAN's mode coverage of a Gaussian mixture.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch


def w1_exact(x: torch.Tensor, y: torch.Tensor, num_iter_max: int = 10_000_000) -> float:
    """The exact W1 between the empirical distributions of `x` (n, d) and `y` (m, d), uniform
    weights: `ot.emd2` on the Euclidean (not squared) distance matrix.

    POT warns (and returns a non-optimal value) when the simplex stops at `num_iter_max`; that
    warning is raised as an error here, so a returned number is always the optimum."""
    import ot

    a = np.asarray(x.detach().cpu().double().numpy().reshape(len(x), -1))
    b = np.asarray(y.detach().cpu().double().numpy().reshape(len(y), -1))
    cost = ot.dist(a, b, metric="euclidean")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return float(ot.emd2(ot.unif(len(a)), ot.unif(len(b)), cost, numItermax=num_iter_max))


def mode_coverage(points: torch.Tensor, centers: torch.Tensor, std: float, min_share: float) -> dict:
    """VEEGAN's mode metrics for a mixture of isotropic Gaussians of standard deviation `std`.

    A sample is high quality when it lies within 3 std (Euclidean distance) of its nearest mode;
    a mode is captured when at least `min_share` of all samples are high-quality samples assigned
    to it (PacGAN's rule, 20 of 2,500 samples, is min_share = 0.008), so a few stray points do not
    count as a mode. Returns modes_captured, high_quality_share and the per-mode counts."""
    points, centers = points.detach().double().cpu(), centers.double().cpu()
    distance = torch.cdist(points, centers)
    nearest_distance, nearest = distance.min(dim=1)
    good = nearest_distance <= 3 * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    captured = int((counts >= max(1.0, min_share * len(points))).sum().item())
    return {"modes_captured": captured, "high_quality_share": good.double().mean().item(),
            "mode_counts": counts.tolist()}

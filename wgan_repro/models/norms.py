"""Critic normalizations (`critic.norm`): batch (BatchNorm, the DCGAN critic's), none, layer
(LayerNorm over each sample's features: WGAN-GP's choice, since its penalty is per sample) and
spectral (Miyato et al. 2018: every weight divided by its largest singular value, estimated by
one power iteration per forward pass through torch's parametrizations API; the iteration's
vectors are buffers, so they are in the state dict and the checkpoint)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

from wgan_repro.registry import ConfigError

NORMS = ("batch", "none", "layer", "spectral")


def check_norm(norm: str, who: str) -> None:
    if norm not in NORMS:
        raise ConfigError(f"{who}: critic.norm={norm!r} must be one of {', '.join(NORMS)}")


def feature_norm(norm: str, channels: int, image: bool) -> list[nn.Module]:
    """The normalization layer after a hidden layer of `channels` features (none for none and spectral)."""
    if norm == "batch":
        return [nn.BatchNorm2d(channels) if image else nn.BatchNorm1d(channels)]
    if norm == "layer":
        return [nn.GroupNorm(1, channels) if image else nn.LayerNorm(channels)]
    return []


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectrally normalize every convolution and linear layer of `module` (in place)."""
    for child in list(module.modules()):
        if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            parametrizations.spectral_norm(child)
    return module


def _spectral_norm_of(layer: nn.Module):
    """The spectral-norm parametrization of `layer`'s weight, or None."""
    if not parametrize.is_parametrized(layer, "weight"):
        return None
    return next((p for p in layer.parametrizations.weight if type(p).__name__ == "_SpectralNorm"), None)


def spectral_layers(module: nn.Module) -> list[nn.Module]:
    """The layers of `module` whose weight is spectrally normalized (empty without critic.norm=spectral)."""
    return [m for m in module.modules() if _spectral_norm_of(m) is not None]


@torch.no_grad()
def spectral_sigmas(layers: list[nn.Module]) -> list[float]:
    """The largest singular value of each layer's normalized weight, W / (u^T W v) with the power
    iteration's stored u and v (as the next forward pass in eval mode uses it), read without
    running an iteration, so logging it leaves training unchanged. The estimate u^T W v never
    exceeds W's largest singular value, so each value is >= 1 up to rounding. NaN where the
    weight is not finite (the next loss then ends the run as diverged)."""
    sigmas = []
    for layer in layers:
        norm = _spectral_norm_of(layer)
        matrix = norm._reshape_weight_to_matrix(layer.parametrizations.weight.original).double()
        estimate = torch.vdot(norm._u.double(), torch.mv(matrix, norm._v.double()))
        if not (torch.isfinite(matrix).all() and torch.isfinite(estimate) and estimate != 0):
            sigmas.append(float("nan"))
            continue
        sigmas.append(largest_singular_value(matrix / estimate))
    return sigmas


def largest_singular_value(matrix: torch.Tensor) -> float:
    """sigma_max of a 2-D matrix, from the largest eigenvalue of its smaller Gram matrix (a
    512 x 512 symmetric eigenproblem for a paper-size 512 x 4096 layer instead of its SVD)."""
    gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
    return float(torch.linalg.eigvalsh(gram)[-1].clamp_min(0).sqrt())

"""What the domain classifier's predictions say about a set of images: an Inception-Score-style
score, inter-class coverage (class histogram, classes covered, KL to the data's class
distribution) and intra-class diversity against real data.

All functions take the classifier's logits (and embeddings) of the images, so one forward pass
serves every metric.
"""
from __future__ import annotations

import math

import torch


def classifier_score(logits: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))), the Inception Score on our classifier (one split over all
    samples). 1 when every image gets the same prediction, the number of classes at best."""
    log_p = torch.log_softmax(logits.double(), dim=1)
    p = log_p.exp()
    log_marginal = torch.log(p.mean(0).clamp_min(1e-30))
    kl = (p * (log_p - log_marginal)).sum(1).mean()
    return math.exp(kl.item())


def class_histogram(logits: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The share of images predicted in each class (argmax), summing to 1."""
    counts = torch.bincount(logits.argmax(1).cpu(), minlength=n_classes).double()
    return counts / counts.sum()


def classes_covered(histogram: torch.Tensor, min_share: float) -> int:
    """The number of classes that hold at least `min_share` of the images."""
    return int((histogram >= min_share).sum().item())


def class_kl(histogram: torch.Tensor, data_distribution: torch.Tensor) -> float:
    """KL(samples' predicted-class histogram || data's class distribution), in nats.

    0 when the classes are drawn in the data's proportions; log(K) for a generator that outputs a
    single class of K balanced ones. This direction stays finite when classes are missing."""
    p, q = histogram.double().cpu(), data_distribution.double().cpu()
    mask = p > 0
    return float((p[mask] * (p[mask] / q[mask].clamp_min(1e-30)).log()).sum().item())


def class_spread(features: torch.Tensor, predicted: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Per class: the root-mean-square distance of the embeddings to their class centroid (NaN for
    classes with fewer than two images)."""
    features, predicted = features.double().cpu(), predicted.cpu()
    spread = torch.full((n_classes,), float("nan"), dtype=torch.float64)
    for c in range(n_classes):
        f = features[predicted == c]
        if len(f) >= 2:
            spread[c] = (f - f.mean(0)).pow(2).sum(1).mean().sqrt()
    return spread


def intra_diversity(features: torch.Tensor, logits: torch.Tensor, real_spread: torch.Tensor) -> float:
    """Within-class diversity of the samples relative to real data: the sample-weighted mean of the
    per-class spread of the samples divided by that of real data over the same classes.

    Classes are the classifier's predictions for both sets. About 1 for real held-out data; well
    below 1 when each class collapses to a few images (intra-class mode collapse). NaN when no
    class holds two samples."""
    n_classes = len(real_spread)
    predicted = logits.argmax(1)
    spread = class_spread(features, predicted, n_classes)
    weights = torch.bincount(predicted.cpu(), minlength=n_classes).double()
    ok = ~torch.isnan(spread) & ~torch.isnan(real_spread) & (real_spread > 0)
    if not ok.any():
        return float("nan")
    w = weights[ok]
    return float(((w * spread[ok]).sum() / (w * real_spread[ok]).sum()).item())

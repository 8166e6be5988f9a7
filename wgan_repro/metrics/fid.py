"""FID and KID on the domain classifier's embedding, through torchmetrics' own implementations
(`torchmetrics.image.fid` / `.kid`) with the classifier as their custom `feature` network, so no
Inception weights are involved.

The real side (a fixed set of training images) is embedded once; each `score` call then embeds
only the generated images, once for both metrics, and returns their features and logits too. Images are float tensors in [-1, 1]; the network is kept in eval mode
and every call runs under `torch.no_grad()`.
"""
from __future__ import annotations

import warnings

import torch
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from wgan_repro.metrics.classifier import DomainClassifier, Embedding


class FeatureDistances:
    """FID and KID of generated images against a fixed set of real images.

    `kid_subsets` random subsets of `kid_subset_size` images (capped at the smaller set) are
    drawn with a fixed seed, so the same features give the same KID.
    """

    def __init__(self, classifier: DomainClassifier, real: torch.Tensor, kid_subsets: int = 50,
                 kid_subset_size: int = 1000, batch_size: int = 1000, seed: int = 0):
        self.classifier = classifier.eval()
        self.device = next(classifier.parameters()).device
        self.batch_size, self.seed = batch_size, seed
        self.kid_subsets, self.kid_subset_size = kid_subsets, kid_subset_size
        self.feature = feature = Embedding(self.classifier)
        self.fid = FrechetInceptionDistance(feature=feature, reset_real_features=False).to(self.device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            self.kid = KernelInceptionDistance(feature=feature, reset_real_features=False,
                                               subsets=kid_subsets, subset_size=kid_subset_size).to(self.device)
        self.n_real = len(real)
        self.real_features, self.real_logits = self._update(real, real=True)

    @torch.no_grad()
    def _update(self, images: torch.Tensor, real: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Embed `images` once (the Embedding remembers the batch) into both metrics."""
        self.classifier.eval()
        features, logits = [], []
        for start in range(0, len(images), self.batch_size):
            x = images[start:start + self.batch_size].to(self.device)
            self.fid.update(x, real=real)
            self.kid.update(x, real=real)
            features.append(self.feature.last[1])
            logits.append(self.feature.last[2])
        self.feature.forget()
        return torch.cat(features), torch.cat(logits)

    @torch.no_grad()
    def score(self, fake: torch.Tensor) -> tuple[dict, torch.Tensor, torch.Tensor]:
        """{'fid', 'kid', 'kid_std'} of `fake` (float images in [-1, 1]) against the real set, and
        the embeddings and logits of `fake`."""
        self.fid.reset()
        self.kid.reset()
        features, logits = self._update(fake, real=False)
        self.kid.subset_size = min(self.kid_subset_size, len(fake), self.n_real)
        fid = self.fid.compute().item()
        with torch.random.fork_rng(devices=[]):          # KID's subsets use the global RNG
            torch.manual_seed(self.seed)
            kid_mean, kid_std = self.kid.compute()
        return {"fid": fid, "kid": kid_mean.item(), "kid_std": kid_std.item()}, features, logits

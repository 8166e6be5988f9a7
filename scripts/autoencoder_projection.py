"""Does an autoencoder critic trained on the data alone keep the generator's samples apart?

BEGAN's generator minimises its samples' reconstruction error while k_t is near 0, so it follows
the autoencoder's reconstruction of each sample. This script trains the critic of
`python run.py experiment=family_claims loss=began <overrides>` on the data alone (L_D = L(x), as
with k_t = 0), keeps the generator at its init, and prints at chosen critic steps how far apart
the generator's samples and their reconstructions are: the spread (the per-pixel std over 64
samples, averaged over pixels), the reconstruction errors, and the mean cosine between each
sample's and its reconstruction's deviation from the batch mean.

    python scripts/autoencoder_projection.py model=began        # BEGAN's generator
    python scripts/autoencoder_projection.py                    # the protocol's DCGAN generator
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir

from wgan_repro.config import validate
from wgan_repro.train import Trainer

CONF = Path(__file__).resolve().parents[1] / "wgan_repro" / "conf"
REPORT_AT = (0, 25, 50, 100, 200, 500)


def spread(x: torch.Tensor) -> float:
    return x.std(0).mean().item()


def main(overrides: list[str]) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["experiment=family_claims", "loss=began", "seed=0",
                                                       "train.threads=1", *overrides])
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(validate(cfg), Path(folder))
        critic = trainer.critic
        with torch.no_grad():
            fake = trainer.generator(trainer.sample_noise(64))
        real = trainer.sampler.next()
        print(f"overrides {overrides}: spread of G(z) {spread(fake):.4f}, of the data {spread(real):.4f}")
        for step in range(max(REPORT_AT) + 1):
            if step in REPORT_AT:
                with torch.no_grad():
                    rec = critic.reconstruct(fake)
                    cosine = F.cosine_similarity((fake - fake.mean(0)).flatten(1), (rec - rec.mean(0)).flatten(1)).mean()
                    print(f"critic step {step:4d}: spread of D(G(z)) {spread(rec):.4f}, "
                          f"L(G(z)) {critic(fake).mean():.4f}, L(x) {critic(real).mean():.4f}, "
                          f"cosine(G(z), D(G(z))) {cosine:.3f}", flush=True)
            loss = critic(trainer.sampler.next()).mean()
            trainer.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            trainer.opt_d.step()


if __name__ == "__main__":
    main(sys.argv[1:])

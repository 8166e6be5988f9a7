"""Fixtures of the theory tests: a TheoryRun on the CPU in a temporary folder."""
from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from wgan_repro.theory.common import TheoryRun


@pytest.fixture()
def toy_run(tmp_path):
    """A TheoryRun for the toy experiments (they read only the seed and the device)."""
    torch.set_num_threads(1)
    return TheoryRun(cfg=OmegaConf.create({"seed": 0}), run_dir=tmp_path, device=torch.device("cpu"))

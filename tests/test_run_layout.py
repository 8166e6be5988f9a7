"""run_layout.identity_overrides: which overrides say what a run is, shared by the report and the
reproduction so that both leave out the same ones."""
from pathlib import Path

from wgan_repro.reproduce import part_identity
from wgan_repro.run_layout import NON_IDENTITY_OVERRIDES, identity_overrides


def test_identity_overrides_drop_where_and_how_fast_keep_what():
    args = ["loss=wgan", "+model.uniform_noise=true", "~critic.norm", "train.threads=1",
            "hydra.run.dir=/tmp/x", "hydra/launcher=submitit_slurm", "seed=2", *(f"{k}=v" for k in NON_IDENTITY_OVERRIDES)]
    assert identity_overrides(args) == [("loss", "wgan", "loss=wgan"),
                                        ("model.uniform_noise", "true", "+model.uniform_noise=true"),
                                        ("seed", "2", "seed=2")]


def test_identity_overrides_take_their_own_ignored_keys():
    assert identity_overrides(["data.download=true", "seed=0"], ignored={"data.download"}) == [("seed", "0", "seed=0")]
    assert identity_overrides(["data.download=true"]) == [("data.download", "true", "data.download=true")]


def test_part_identity_ignores_threads_and_folders_but_not_the_objective(tmp_path):
    out = Path(tmp_path)
    part = {"argv": [["run.py", "loss=wgan", f"hydra.run.dir={out}/a", "train.threads=1"]]}
    same = {"argv": [["run.py", "loss=wgan", f"hydra.run.dir={out}/b", "train.threads=2", "hydra/launcher=local"]]}
    other = {"argv": [["run.py", "loss=gan", f"hydra.run.dir={out}/a", "train.threads=1"]]}
    assert part_identity(part, out) == part_identity(same, out)
    assert part_identity(part, out) != part_identity(other, out)

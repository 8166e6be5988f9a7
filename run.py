"""Hydra entry point: compose the config, build the run, train. See README.md.

    python run.py                                   # one run on the embedded default
    python run.py -m model=dcgan,mlp loss=wgan,gan  # a sweep, one folder per run
"""
import hydra
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> str:
    from wgan_repro.job import run_job

    return run_job(cfg)


if __name__ == "__main__":
    main()

"""Hydra entry point: compose the config, build the run, train. See README.md.

    python run.py                                   # one run on the embedded default
    python run.py -m model=dcgan,mlp loss=wgan,gan  # a sweep, one folder per run
"""
from wgan_repro.cli import main

if __name__ == "__main__":
    main()

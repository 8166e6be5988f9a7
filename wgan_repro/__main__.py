"""`python -m wgan_repro ...`: the same command as `python run.py ...` (Hydra's CLI), for an
installed package used from any folder."""
from wgan_repro.cli import main

if __name__ == "__main__":
    main()

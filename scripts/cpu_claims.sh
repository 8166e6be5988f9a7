#!/usr/bin/env bash
# The claims protocol on a 2-core CPU (README "Deciding the claims on a CPU"): five sweeps of
# experiment=cpu_claims, all into results/multirun/cpu_claims, whose report judges every claim
# from 3 seeds. Re-running this script resumes: finished runs are skipped, interrupted ones
# continue from their checkpoints. Extra arguments go to every sweep (e.g. out_dir=...).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
# WGAN Figs. 3-7 and Sec. 4.3 on images: three generators x WGAN / -log D GAN, DCGAN critic
$PY run.py experiment=cpu_claims -m model=dcgan,dcgan_nobn,mlp loss=wgan,nsgan seed=0,1,2 "$@"
# the 2-D mixtures, MLP generator and critic: modes captured, the estimate against the exact W1
$PY run.py experiment=cpu_claims -m data=eight_gaussians,twentyfive_gaussians loss=wgan,nsgan seed=0,1,2 "$@"
# WGAN Sec. 4.2: Adam instead of RMSProp, and RMSProp at ten times the paper's learning rate, at
# 4,000 generator iterations (half the others: the budget; a shorter run has fewer chances to lose quality)
$PY run.py experiment=cpu_claims -m loss.optim.name=adam train.iters=4000 seed=0,1,2 "$@"
$PY run.py experiment=cpu_claims -m loss.optim.lr=5e-4 train.iters=4000 seed=0,1,2 "$@"
# WGAN Fig. 3 (bottom): MLP generator and critic at that high learning rate
$PY run.py experiment=cpu_claims -m model=mlp critic=mlp loss.optim.lr=5e-4 seed=0,1,2 "$@"

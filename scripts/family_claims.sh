#!/usr/bin/env bash
# The claims of conf/family_claims.yaml (issues 12 and 13), one sweep per claim group, each in its
# own folder under results/multirun/family_claims/ (its report judges the claims). Re-running
# resumes: finished runs are skipped. Extra arguments go to every sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/multirun/family_claims}
AGGRESSIVE=(loss.optim.name=adam loss.optim.lr=1e-3 "loss.optim.betas=[0.5,0.9]")
# SN-GAN (Miyato et al., Sec. 4.1): Adam 1e-3, betas (0.5, 0.9) for every critic
$PY run.py experiment=family_claims -m loss=hinge critic.norm=spectral "${AGGRESSIVE[@]}" seed=0,1,2 hydra.sweep.dir=$OUT/aggressive "$@"
$PY run.py experiment=family_claims -m loss=wgan_gp critic.norm=layer "${AGGRESSIVE[@]}" seed=0,1,2 hydra.sweep.dir=$OUT/aggressive "$@"
$PY run.py experiment=family_claims -m loss=wgan "${AGGRESSIVE[@]}" seed=0,1,2 hydra.sweep.dir=$OUT/aggressive "$@"
# WGAN-GP against the clipped WGAN at their papers' settings
$PY run.py experiment=family_claims -m loss=wgan_gp critic.norm=layer seed=0,1,2 hydra.sweep.dir=$OUT/gradient_penalty "$@"
$PY run.py experiment=family_claims -m loss=wgan seed=0,1,2 hydra.sweep.dir=$OUT/gradient_penalty "$@"
# minibatch discrimination on the 25 Gaussians (MLP networks)
$PY run.py experiment=family_claims -m data=twentyfive_gaussians loss=nsgan critic.minibatch_kernels=0,8 seed=0,1,2 hydra.sweep.dir=$OUT/minibatch "$@"
# BEGAN: gamma 0.3, 0.5, 0.7, with the -log D GAN beside it
$PY run.py experiment=family_claims -m loss=began loss.gamma=0.3,0.5,0.7 seed=0,1,2 hydra.sweep.dir=$OUT/began "$@"
$PY run.py experiment=family_claims -m loss=nsgan seed=0,1,2 hydra.sweep.dir=$OUT/began "$@"
# EBGAN with and without the pull-away term on the 25 Gaussians (the autoencoder critic's MLP form)
$PY run.py experiment=family_claims -m data=twentyfive_gaussians loss=ebgan critic=autoencoder loss.pull_away=0,0.1 seed=0,1,2 hydra.sweep.dir=$OUT/ebgan "$@"

#!/usr/bin/env bash
# The claims protocol on a 2-core CPU (README "Deciding the claims on a CPU"): seven sweeps of
# experiment=cpu_claims, all into results/multirun/cpu_claims, whose report judges every claim
# from 3 seeds. The sweeps are taken from one queue by as many workers as the machine has cores,
# each sweep running its runs one at a time on one thread, longest sweeps first, so that no core
# idles while a short sweep's last run finishes alone. Re-running this script resumes: finished
# runs are skipped, interrupted ones continue from their checkpoints. The report is built once,
# at the end (sweeps finishing side by side would race to write it). Extra arguments go to every
# sweep (e.g. out_dir=...).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SLOTS=${SLOTS:-$(nproc)}
EXTRA=""; [ $# -gt 0 ] && EXTRA=$(printf " %q" "$@")
ONE="hydra/launcher=basic train.threads=1 hydra.callbacks.report.enabled=false"
queue=(
  # WGAN Figs. 3-7 and Sec. 4.3 on images: three generators x WGAN / -log D GAN, DCGAN critic
  "run.py experiment=cpu_claims -m loss=wgan model=dcgan,dcgan_nobn seed=0,1,2"
  # the 2-D mixtures, MLP generator and critic: modes captured, the estimate against the exact W1
  "run.py experiment=cpu_claims -m data=eight_gaussians,twentyfive_gaussians loss=wgan,nsgan seed=0,1,2"
  # WGAN Fig. 3 (bottom): MLP generator and critic at ten times the paper's learning rate
  "run.py experiment=cpu_claims -m model=mlp critic=mlp loss.optim.lr=5e-4 seed=0,1,2"
  "run.py experiment=cpu_claims -m loss=nsgan model=dcgan,dcgan_nobn,mlp seed=0,1,2"
  "run.py experiment=cpu_claims -m loss=wgan model=mlp seed=0,1,2"
  # WGAN Sec. 4.2: Adam instead of RMSProp, and RMSProp at ten times the paper's learning rate, at
  # 4,000 generator iterations (the budget; a shorter run has fewer chances to lose quality)
  "run.py experiment=cpu_claims -m loss.optim.name=adam train.iters=4000 seed=0,1,2"
  "run.py experiment=cpu_claims -m loss.optim.lr=5e-4 train.iters=4000 seed=0,1,2"
)
# a failed sweep does not stop the others, nor the report; the script's status says it failed
status=0
printf '%s\n' "${queue[@]}" | xargs -P "$SLOTS" -d '\n' -I{} bash -c "$(printf %q "$PY") {} $ONE$EXTRA" || status=$?
out_dir=results
for arg in "$@"; do case $arg in out_dir=*) out_dir=${arg#out_dir=} ;; esac; done
"$PY" -m wgan_repro.report "$out_dir/multirun/cpu_claims" || status=$?
exit $status

#!/usr/bin/env bash
# The claims of conf/family_claims.yaml (issues 12 and 13), one sweep folder per claim group under
# results/multirun/family_claims/ (its report judges the claims). The sweeps are 3-run commands
# taken from one queue by as many workers as the machine has cores, each command running its runs
# one at a time on one thread (hydra.launcher.n_jobs=1): no core idles while a sweep's last run
# finishes alone. Re-running resumes: finished runs are skipped. Extra arguments go to every sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/multirun/family_claims}
SLOTS=${SLOTS:-$(nproc)}
EXTRA=""; [ $# -gt 0 ] && EXTRA=$(printf " %q" "$@")
ONE="experiment=family_claims hydra.launcher.n_jobs=1 train.threads=1"
QOUT=$(printf "%q" "$OUT")
AGGRESSIVE="loss.optim.name=adam loss.optim.lr=1e-3 'loss.optim.betas=[0.5,0.9]'"
queue=(
  # issue 12's evidence first, then issue 13's, so that one issue's sweeps finish as early as they can
  # SN-GAN (Miyato et al., Sec. 4.1): Adam 1e-3, betas (0.5, 0.9) for every critic
  "-m loss=wgan_gp critic.norm=layer $AGGRESSIVE seed=0,1,2 hydra.sweep.dir=$QOUT/aggressive"
  "-m loss=wgan $AGGRESSIVE seed=0,1,2 hydra.sweep.dir=$QOUT/aggressive"
  "-m loss=hinge critic.norm=spectral $AGGRESSIVE seed=0,1,2 hydra.sweep.dir=$QOUT/aggressive"
  # WGAN-GP against the clipped WGAN at their papers' settings
  "-m loss=wgan_gp critic.norm=layer seed=0,1,2 hydra.sweep.dir=$QOUT/gradient_penalty"
  "-m loss=wgan seed=0,1,2 hydra.sweep.dir=$QOUT/gradient_penalty"
  # every new objective trains: 500 iterations each, FID every 100 (no claim; the report's table)
  "-m loss=fgan loss.divergence=kl,reverse_kl,pearson,hellinger,js,gan train.iters=500 eval.every=100 seed=0 hydra.sweep.dir=$QOUT/objectives_500"
  "-m loss=lsgan,hinge,feature_matching train.iters=500 eval.every=100 seed=0 hydra.sweep.dir=$QOUT/objectives_500"
  "-m loss=wgan_gp critic.norm=layer train.iters=500 eval.every=100 seed=0 hydra.sweep.dir=$QOUT/objectives_500"
  # minibatch discrimination on the 25 Gaussians (MLP networks)
  "-m data=twentyfive_gaussians loss=nsgan critic.minibatch_kernels=0,8 seed=0,1,2 hydra.sweep.dir=$QOUT/minibatch"
  # issue 13's short sweeps first (a wrong setting shows within minutes):
  # EBGAN with and without the pull-away term on the 25 Gaussians (the autoencoder critic's MLP form)
  "-m data=twentyfive_gaussians loss=ebgan critic=autoencoder loss.pull_away=0,0.1 seed=0,1,2 hydra.sweep.dir=$QOUT/ebgan"
  # the -log D GAN beside BEGAN (its JS estimate against FID)
  "-m loss=nsgan seed=0,1,2 hydra.sweep.dir=$QOUT/began"
)
# BEGAN at gamma 0.3, 0.5, 0.7 and one EBGAN image run (no claim), one command per run (8-9 min
# each on one thread on AMD EPYC) so that two workers stay balanced; seed by seed, so that an early stop
# leaves whole gamma comparisons. The runs are those of the 3-seed sweep `-m loss=began
# loss.gamma=0.3 seed=0,1,2` (a run's folder is named by its overrides), which resumes them.
for seed in 0 1 2; do
  for gamma in 0.3 0.5 0.7; do
    queue+=("-m loss=began loss.gamma=$gamma seed=$seed hydra.sweep.dir=$QOUT/began")
  done
  if [ "$seed" = 0 ]; then queue+=("-m loss=ebgan seed=0 hydra.sweep.dir=$QOUT/ebgan_images"); fi
done
# ONLY=began,ebgan runs the commands of those groups alone (default: every group)
if [ -n "${ONLY:-}" ]; then
  kept=()
  for cmd in "${queue[@]}"; do   # a command's group is the folder its sweep dir ends in
    [[ ",$ONLY," == *",${cmd##*hydra.sweep.dir=$QOUT/},"* ]] && kept+=("$cmd")
  done
  queue=("${kept[@]}")
fi
# a failed command does not stop the others, nor the reports; the script's status says it failed
status=0
printf '%s\n' "${queue[@]}" | xargs -P "$SLOTS" -d '\n' -I{} bash -c "$(printf %q "$PY") run.py $ONE {}$EXTRA" || status=$?
# each folder's report once all its sweeps are done (a sweep's own report can race its neighbours)
for group in began aggressive gradient_penalty minibatch ebgan objectives_500 ebgan_images; do
  [ -d "$OUT/$group" ] || continue
  "$PY" -m wgan_repro.report "$OUT/$group" --claims wgan_repro/conf/family_claims.yaml || status=$?
done
exit $status

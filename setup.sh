#!/usr/bin/env bash
# Sets up a fresh machine for wgan_repro: Debian's Fashion-MNIST package (the embedded
# default data), Chromium (for the report's browser test) and SLURM with munge (for
# scripts/slurm-local, the one-node cluster tests/test_slurm.py runs the SLURM launcher on),
# when apt-get is available, and a virtual environment .venv holding the package with its test
# extras. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages: the Fashion-MNIST files and Chromium (the report's headless browser test).
missing=()
[[ -d /usr/share/datasets/fashion-mnist ]] || missing+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
# SLURM 22.05 (a few MB without the recommended plugins): controller, node daemon, commands, munge
slurm=()
[[ -x /usr/sbin/slurmctld ]] || slurm+=(slurmctld)
[[ -x /usr/sbin/slurmd ]] || slurm+=(slurmd)
[[ -x /usr/bin/sbatch ]] || slurm+=(slurm-client)
[[ -x /usr/sbin/munged ]] || slurm+=(munge)
if [[ $((${#missing[@]} + ${#slurm[@]})) -gt 0 ]] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  for package in "${missing[@]}"; do
    if ! $sudo apt-get install -y -qq "$package" >/dev/null 2>&1; then
      case $package in
        dataset-fashion-mnist) echo "setup: could not install dataset-fashion-mnist; set data.root=<folder> or data.download=true instead" >&2 ;;
        chromium) echo "setup: could not install chromium; the report's browser test will be skipped" >&2 ;;
      esac
    fi
  done
  if [[ ${#slurm[@]} -gt 0 ]] && ! $sudo env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${slurm[@]}" >/dev/null 2>&1; then
    echo "setup: could not install ${slurm[*]}; tests/test_slurm.py (scripts/slurm-local) is skipped without slurmctld" >&2
  fi
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test${WGAN_REPRO_EXTRAS:+,$WGAN_REPRO_EXTRAS}]"
echo "setup: ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"

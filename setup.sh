#!/usr/bin/env bash
# Sets up a fresh machine for wgan_repro: Debian's Fashion-MNIST package (the embedded
# default data, when apt-get is available) and a virtual environment .venv holding the
# package with its test extras. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")"

if [[ ! -d /usr/share/datasets/fashion-mnist ]] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq dataset-fashion-mnist; } >/dev/null 2>&1; then
    echo "setup: could not install dataset-fashion-mnist; set data.root=<folder> or data.download=true instead" >&2
  fi
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test${WGAN_REPRO_EXTRAS:+,$WGAN_REPRO_EXTRAS}]"
echo "setup: ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"

"""Fabricated sweeps, built once per test session (a report takes a few seconds)."""
from __future__ import annotations

import pytest

from tests.report.fabricate import paper_sweep, points_sweep
from wgan_repro.report.build import build_report


@pytest.fixture(scope="session")
def paper(tmp_path_factory):
    """(sweep folder, {key: run folder}, report folder) of the fabricated 3 x 3 image sweep."""
    sweep = tmp_path_factory.mktemp("paper") / "sweep"
    runs = paper_sweep(sweep)
    index = build_report(sweep)
    return sweep, runs, index.parent


@pytest.fixture(scope="session")
def points(tmp_path_factory):
    """The same for the fabricated 2-D sweep (exact W1, a critic surface)."""
    sweep = tmp_path_factory.mktemp("points") / "sweep"
    runs = points_sweep(sweep)
    index = build_report(sweep)
    return sweep, runs, index.parent

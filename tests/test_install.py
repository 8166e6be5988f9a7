"""A non-editable install works from any folder: the config tree and the claims file travel as
package data (wgan_repro/conf), so nothing is looked up in the source checkout."""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def test_an_installed_wheel_runs_the_report_and_a_smoke_run_from_another_folder(tmp_path, fake_data_root):
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheel"), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next((tmp_path / "wheel").glob("wgan_repro-*.whl"))
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=300)

    where = run("-c", "import wgan_repro.cli as c; print(c.__file__); print(c.CONF_DIR)")
    module, conf = where.stdout.split()
    assert Path(module).is_relative_to(site) and Path(conf).is_relative_to(site), where.stdout
    assert (Path(conf) / "report_claims.yaml").exists() and (Path(conf) / "experiment" / "smoke.yaml").exists()
    assert list((Path(conf).parent / "weights").glob("*.pt")), "the shipped classifier travels with the package"
    report = run("-m", "wgan_repro.report", "--help")
    assert report.returncode == 0 and "claims" in report.stdout, report.stderr[-2000:]
    smoke = run("-m", "wgan_repro", "experiment=smoke", "train.threads=1", f"data.root={fake_data_root}")
    assert smoke.returncode == 0, smoke.stderr[-2000:]
    metrics = pd.read_csv(elsewhere / "results" / "runs" / "experiment=smoke" / "metrics.csv")
    assert metrics["iter"].tolist() == [1, 2, 3, 4]

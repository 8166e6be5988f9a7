"""Adding an objective is one Python function and one YAML file (README "Adding an objective"): in
a copy of the package, a new objective written as exactly those two files trains in a sweep beside
a shipped one, with its option checked against its signature, and the report shows its estimate
under its own name, with no other file changed."""
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

from tests.test_cli import DEBIAN
from wgan_repro.objectives import get_objective
from wgan_repro.report.collect import load_sweep
from wgan_repro.run_files import read_json

ROOT = Path(__file__).resolve().parents[1]

PROBE_PY = '''"""A probe objective for the test: the non-saturating GAN with its logits scaled."""
import torch.nn.functional as F

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo

INFO = ObjectiveInfo(estimate="probe estimate", unit="probe units", label="probe")


@OBJECTIVES.register("probe", INFO)
def probe(batch: CriticBatch, scale: float = 1.0) -> LossTerms:
    """The probe.

    scale: the factor on the critic's logits.
    """
    real, fake = scale * batch.real_out, scale * batch.fake_out
    critic = F.softplus(-real).mean() + F.softplus(fake).mean()
    return LossTerms(critic=critic, generator=F.softplus(-fake).mean(), estimate=-critic.detach())
'''

PROBE_YAML = """name: probe
scale: 0.5
n_critic: 1
clip: null
warmup: {enabled: false, iters: 25, critic_steps: 100, every: 500}
optim: {name: adam, lr: 2.0e-4, betas: [0.5, 0.999], momentum: 0.0, weight_decay: 0.0}
"""


def _copy_project(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "wgan_repro", dest / "wgan_repro", ignore=ignore)
    shutil.copy2(ROOT / "run.py", dest / "run.py")
    return dest


def _changed_files(copy: Path) -> list[str]:
    """Files of the copy's package that are new or differ from the original's."""
    changed = []
    for path in sorted((copy / "wgan_repro").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            original = ROOT / path.relative_to(copy)
            if not original.exists() or not filecmp.cmp(path, original, shallow=False):
                changed.append(str(path.relative_to(copy)))
    return changed


def _run(copy: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *args], cwd=copy, capture_output=True, text=True,
                          timeout=600)


def test_a_new_objective_is_one_function_and_one_yaml_file(tmp_path, fake_data_root):
    copy = _copy_project(tmp_path / "project")
    (copy / "wgan_repro" / "objectives" / "probe.py").write_text(PROBE_PY)
    (copy / "wgan_repro" / "conf" / "loss" / "probe.yaml").write_text(PROBE_YAML)
    assert _changed_files(copy) == ["wgan_repro/conf/loss/probe.yaml", "wgan_repro/objectives/probe.py"]

    data = [] if DEBIAN.exists() else [f"data.root={fake_data_root}"]
    sweep = tmp_path / "sweep"
    proc = _run(copy, "-m", "loss=probe,nsgan", "experiment=smoke", f"hydra.sweep.dir={sweep}",
                "train.threads=1", f"out_dir={tmp_path}", *data)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = sweep / "experiment=smoke,loss=probe"
    meta = read_json(run / "run.json")
    assert meta["objective"]["estimate"] == "probe estimate"
    assert meta["config"]["loss"]["scale"] == 0.5                      # the YAML file's default
    assert read_json(run / "status.json")["status"] == "finished"
    assert "loss=probe" in (sweep / "report" / "index.html").read_text()      # its row in the report
    # the report reads the estimate's name (its figures' axis label) from the run's files
    names = {r.name: r.estimate_name for r in load_sweep(sweep).runs}
    assert names == {"experiment=smoke,loss=probe": "probe estimate", "experiment=smoke,loss=nsgan": get_objective("nsgan").info.estimate}

    # its option is checked against the function's signature, like a model's
    bad = _run(copy, "loss=probe", "+loss.scael=2", "experiment=smoke", f"out_dir={tmp_path}", *data)
    assert bad.returncode != 0 and "scael" in bad.stderr

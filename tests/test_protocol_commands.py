"""The CPU claims protocol is written down three times for three readers (scripts/cpu_claims.sh
runs it, the README shows its commands, conf/reproduce/cpu.yaml is its part of the one-command
reproduction): all three must list the same sweeps."""
import re
import shlex
from pathlib import Path

import yaml

from wgan_repro.presets import CONF_DIR

ROOT = Path(__file__).resolve().parents[1]


def _sweeps(lines) -> list:
    """Each `run.py experiment=cpu_claims -m ...` command's overrides, without -m and shell variables."""
    found = []
    for line in lines:
        line = line.split("#", 1)[0].strip().strip('"')
        if "run.py experiment=cpu_claims" not in line:
            continue
        words = shlex.split(line[line.index("run.py") + len("run.py"):])
        found.append([w for w in words if w != "-m" and not w.startswith("$") and w != '"$@"'])
    return found


def test_the_script_the_readme_and_the_reproduction_plan_list_the_same_protocol():
    script = _sweeps((ROOT / "scripts" / "cpu_claims.sh").read_text().splitlines())
    readme = _sweeps(re.findall(r"^python run\.py experiment=cpu_claims.*$", (ROOT / "README.md").read_text(), re.M))
    plan = [list(sweep) for sweep in yaml.safe_load((CONF_DIR / "reproduce" / "cpu.yaml").read_text())["sweeps"]]
    assert script and script == readme == plan
    assert (CONF_DIR / "experiment" / "cpu_claims.yaml").exists()

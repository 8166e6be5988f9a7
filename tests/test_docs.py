"""The committed docs name no folder of the machine they were made on (reports hold paths
relative to their sweep)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|root|home|Users)/")


def test_no_committed_doc_holds_an_absolute_path_of_a_machine():
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "docs").rglob("*"))
                 if p.suffix in (".md", ".html", ".csv", ".json")
                 for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if MACHINE_PATH.search(line)]
    assert not offenders, offenders

"""Nothing under report/ or theory/ names an objective: what they need to know travels with the
objective (its ObjectiveInfo in run.json) or comes from the experiment's YAML file."""
import ast
from pathlib import Path

import pytest

from wgan_repro.objectives import OBJECTIVES

PACKAGE = Path(__file__).resolve().parents[1] / "wgan_repro"


def _docstrings(tree) -> set:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def named_objectives(path: Path) -> list:
    tree = ast.parse(path.read_text())
    docstrings = _docstrings(tree)
    names = set(OBJECTIVES.names())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            if text in names or any(f"loss={n}" in text for n in names):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {text!r}")
    return found


@pytest.mark.parametrize("folder", ["report", "theory"])
def test_no_objective_is_named_in_the_code(folder):
    offenders = [hit for path in sorted((PACKAGE / folder).rglob("*.py")) for hit in named_objectives(path)]
    assert offenders == []


def test_the_scan_finds_a_name_where_there_is_one(tmp_path):
    sample = PACKAGE / "report" / "_scan_probe.py"
    try:
        sample.write_text('X = "wgan"\nY = f"use loss=nsgan"\n')
        assert len(named_objectives(sample)) == 2
    finally:
        sample.unlink()

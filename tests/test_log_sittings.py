"""scripts/log_sittings.py: the protocol's wall time as the sum of its sittings (docs/reproduction/README.md)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("log_sittings", ROOT / "scripts" / "log_sittings.py")
log_sittings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(log_sittings)

LOG = """[2026-12-01 09:00:00,001][HYDRA] Launching jobs
[2026-12-01 09:05:00,500][wgan_repro.train][INFO] - iter 200/8000
  File "x.py", line 3, in <module>
[2026-12-01 09:14:00,000][wgan_repro.train][INFO] - iter 400/8000
[2026-12-01 09:40:00,000][HYDRA] Launching jobs
[2026-12-01 10:10:00,000][wgan_repro.train][INFO] - iter 600/8000
"""


def test_silences_over_the_gap_split_sittings_and_only_work_is_summed(tmp_path, capsys):
    log = tmp_path / "job.log"
    log.write_text(LOG)
    assert log_sittings.main([str(log), "--gap", "10"]) == 0
    out = capsys.readouterr().out
    # 09:00-09:14 (14 min, the 9-minute silence is work), then 09:40 alone (0 min), then 10:10 alone
    assert "| 1 | 2026-12-01 09:00:00 | 09:14:00 | 14.0 |" in out
    assert "total: 14 min (0.23 h) in 3 sittings" in out
    assert log_sittings.main([str(log), "--gap", "40"]) == 0
    assert "total: 70 min (1.17 h) in 1 sitting" in capsys.readouterr().out


def test_a_missing_or_unstamped_log_is_one_clear_error(tmp_path, capsys):
    assert log_sittings.main([str(tmp_path / "none.log")]) == 2
    assert "no log at" in capsys.readouterr().err
    (tmp_path / "plain.log").write_text("no stamps here\n")
    assert log_sittings.main([str(tmp_path / "plain.log")]) == 2
    assert "no timestamped lines" in capsys.readouterr().err

"""A Hydra callback that builds the report at the end of every multirun. Registered in
wgan_repro/conf/config.yaml under hydra.callbacks.report; `hydra.callbacks.report.enabled=false` turns
it off. A report that fails is logged, never raised: the runs are already on disk."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class ReportCallback(Callback):
    def __init__(self, enabled: bool = True, claims: Optional[str] = None) -> None:
        self.enabled = enabled
        self.claims = claims

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not self.enabled:
            return
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            from wgan_repro.report.build import build_report
            from wgan_repro.report.collect import ReportError
        except Exception:       # noqa: BLE001 - the runs are on disk whatever happens here
            log.exception("the report could not be loaded; the runs are kept")
            return
        try:
            index = build_report(sweep_dir, self.claims)
            log.info("report written: %s", index)
        except ReportError as err:
            log.warning("no report: %s", err)
        except Exception:       # noqa: BLE001 - a broken report must not hide the finished runs
            log.exception("the report failed; the runs are kept. Rebuild it with "
                          "`python -m wgan_repro.report %s`", sweep_dir)

"""Which checkpoints belong to a run: options added since a run started take the value that
reproduces it, and a switched-off block is compared by its switch alone."""
from wgan_repro.config import validate
from wgan_repro.run_identity import differing, identity


def test_a_run_from_before_the_shared_options_matches_todays_defaults(compose_cfg):
    today = identity(validate(compose_cfg("experiment=smoke", "loss=began")))
    before = {**today, "loss": {k: v for k, v in today["loss"].items()
                                if k not in ("instance_noise", "historical_averaging", "lr_on_stall")}}
    assert differing(before, today) == []


def test_a_switched_off_block_ignores_its_settings_a_switched_on_one_does_not(compose_cfg):
    off = identity(validate(compose_cfg("experiment=smoke", "loss=began")))
    off_other = identity(validate(compose_cfg("experiment=smoke", "loss=began", "loss.lr_on_stall.window=7")))
    assert differing(off, off_other) == []
    on = identity(validate(compose_cfg("experiment=smoke", "loss=began", "loss.lr_on_stall.enabled=true")))
    on_other = identity(validate(compose_cfg("experiment=smoke", "loss=began", "loss.lr_on_stall.enabled=true",
                                             "loss.lr_on_stall.window=7")))
    assert differing(off, on) == ["loss.lr_on_stall"] and differing(on, on_other) == ["loss.lr_on_stall"]

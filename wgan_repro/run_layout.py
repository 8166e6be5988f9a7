"""The names of what a run writes, in one place: the writers (train, the evaluator, the theory
experiments) and the readers (the report, the reproduction page) import them from here.
No dependencies, so the report can import it without the training code."""
from __future__ import annotations

# files of a run folder
METRICS_FILE = "metrics.csv"          # one row per logged generator iteration (TRAIN_COLUMNS + objective + eval columns)
STATUS_FILE = "status.json"           # {"status": one of STATUSES, "iter", "iters", "message", "wall_time"}
RUN_FILE = "run.json"                 # machine, versions, the resolved config and the objective's info
FINAL_EVAL_FILE = "final_eval.json"   # the final evaluation on eval.n_final samples, its protocol
EVAL_REFERENCE_FILE = "eval_reference.json"   # the quality metrics' floor and ceiling
SURFACE_FILE = "critic_surface.npz"   # 2-D sets: the critic's value on a grid (see Trainer.save_critic_surface)
SUMMARY_FILE = "summary.json"         # a theory experiment's headline numbers
CHECKPOINT = "checkpoints/last.pt"
SAMPLES_DIR = "samples"               # iter_NNNNNN.png, final.png, real.png
LOG_FILE = "run.log"
RUN_MARKERS = (METRICS_FILE, STATUS_FILE, RUN_FILE)   # any of them makes a folder a run folder

STATUSES = ("running", "finished", "diverged", "failed")

# metrics.csv: the training loop's columns; an objective adds its ObjectiveInfo.logged, the
# evaluator its metrics
TRAIN_COLUMNS = ("iter", "critic_steps", "loss_critic", "loss_generator", "critic_real", "critic_fake",
                 "estimate", "wall_time")
IMAGE_METRICS = ("fid", "kid", "classifier_score", "classes_covered", "class_kl", "intra_diversity")
MIXTURE_METRICS = ("w1_exact", "modes_captured", "high_quality_share")
# critic.norm=spectral: the smallest and largest singular value over the critic's normalized weights
SPECTRAL_COLUMNS = ("sn_sigma_min", "sn_sigma_max")
POINT_METRICS = ("w1_exact",)

# The config groups a run is composed of (run.json's `choices`), and those that sweep axes name.
GROUPS = ("model", "critic", "loss", "data", "eval", "experiment")
AXES = ("model", "critic", "loss", "data", "experiment")
# Config sections whose change makes a checkpoint belong to another run.
IDENTITY_SECTIONS = ("model", "critic", "loss", "data", "arch", "seed")
# Overrides that change where or how a run goes, not what it is: left out of folder names
# (conf/config.yaml's hydra.job.config.override_dirname.exclude_keys, which a test holds equal
# to this list) and of the report's run parameters.
NON_IDENTITY_OVERRIDES = ("out_dir", "data.root", "device", "train.threads", "train.progress", "train.resume",
                          "train.tensorboard", "eval.cache_dir")


def identity_overrides(args, ignored=NON_IDENTITY_OVERRIDES) -> list[tuple[str, str, str]]:
    """(key, value, argument) of the `key=value` overrides among `args` that say what a run is, in
    their order: without the `ignored` keys, `hydra.*` settings and `hydra/` group choices (the
    launcher), and with Hydra's `+`/`~` prefixes taken off the key. Shared by the report's run
    parameters and the reproduction's part identities, so both leave out the same things."""
    kept = []
    for arg in args:
        key, sep, value = str(arg).partition("=")
        key = key.lstrip("+~")
        if sep and key not in ignored and not key.startswith(("hydra.", "hydra/")):
            kept.append((key, value, str(arg)))
    return kept

"""The reproduction's one page: `<repro>/index.html` and `<repro>/reproduction.md`, built from
the files of a reproduction folder only (what `python -m wgan_repro.reproduce` writes):

    <repro>/parts.json                 scale, commit, torch, device; each part's commands, status, wall time
    <repro>/theory/<name>/             the five theory runs (summary.json, status.json, figure.png)
    <repro>/claims/report/             the claims sweep's report (claims.json, curves.png, samples.png, ...)

At the top, every claim (the theory claims judged here on the theory runs, the sweep's from its
claims.json) with our number, its threshold, the verdict and the seeds behind it; then one
section per figure of each paper, in the papers' order, with our figure, the paper's
statement, the numbers, the verdicts and the command that regenerates that part alone. A part
still pending or running shows as such, and its claims as not tested. Images and links are
relative paths, so the folder can be moved or shared; both files are written to a temporary
name, then renamed.

    python -m wgan_repro.report.reproduction results/reproduction/cpu
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, fields, replace
from html import escape
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from wgan_repro.report.claims import (
    DEFAULT_CLAIMS,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    NOT_TESTED,
    REPRODUCED,
    UNTESTED,
    VERDICTS,
    ClaimResult,
    ConditionResult,
    condition_text,
    load_config,
)
from wgan_repro.report.collect import REPORT_DIR, ReportError, _read_json, read_json_value
from wgan_repro.report.html import CSS, VERDICT_CLASS
from wgan_repro.report.theory_claims import THEORY_CLAIMS, claim_tasks, judge_theory

PARTS_FILE = "parts.json"
THEORY_DIR = "theory"
PAGE, MARKDOWN, CLAIMS_JSON = "index.html", "reproduction.md", "claims.json"   # claims.json: every verdict, for scripts
LABEL = {REPRODUCED: "reproduced", NOT_REPRODUCED: "not reproduced", INCONCLUSIVE: "inconclusive",
         NOT_TESTED: "not tested"}
STATUS_CLASS = {"finished": "ok", "failed": "bad", "running": "open", "pending": "na"}
WGAN = "Wasserstein GAN (Arjovsky, Chintala, Bottou, 2017)"
TP = "Towards Principled Methods for Training GANs (Arjovsky, Bottou, 2017)"
REPRODUCE = "python -m wgan_repro.reproduce --scale cpu"
PAGE_CSS = "td.claim{min-width:22em} td.source{min-width:9em} td.verdict{min-width:8em} pre{white-space:pre-wrap}"


@dataclass(frozen=True)
class Section:
    """One figure (or section) of a paper: what it states, the part that redoes it, the figures
    of that part shown (paths inside the part's folder, with captions), and its claims: the
    sweep's by id, the theory's by the task they select."""

    key: str
    paper: str
    title: str
    statement: str
    part: str
    figures: tuple = ()
    claims: tuple = ()
    tasks: tuple = ()


SECTIONS = (
    Section("wgan-example-1", WGAN, "Example 1 and Fig. 1: learning parallel lines",
            "P0 is the law of (0, Z) and P_θ the law of (θ, Z), Z ~ U[0, 1]. For θ ≠ 0, W = |θ|, JS = log 2, "
            "KL = KL(reverse) = +∞ and TV = 1 (all 0 at θ = 0): only the Wasserstein distance is continuous in θ "
            "and gives a usable gradient, so only it lets θ be learned by gradient descent.",
            "parallel_lines", (("figure.png", "(a) the closed forms; (b) a clipped critic's estimate against θ; "
                                "(c) a GAN discriminator's JS estimate; (d) θ learned under each objective; "
                                "(e) the generator's gradient."),), tasks=("parallel_lines",)),
    Section("wgan-fig-2", WGAN, "Fig. 2: the optimal discriminator and the optimal critic",
            "Between two 1-D Gaussians far apart, the optimal minimax-GAN discriminator saturates, so the generator's "
            "gradient vanishes where the fakes are; the optimal weight-clipped critic cannot saturate, is close to "
            "linear and gives clean gradients everywhere.",
            "optimal_critic", (("figure.png", "(a) D(x) and the critic f(x) over the two densities; (b) the gradient "
                                "each gives a sample at x (log scale)."),), tasks=("optimal_critic",)),
    Section("wgan-clipping", WGAN, "Sec. 3: weight clipping",
            "\"Weight clipping is a clearly terrible way to enforce a Lipschitz constraint\": a large clip is slow "
            "to train to optimality; a small clip makes the gradient vanish when the critic is deep. (The exploding "
            "half, for a large clip, is Fig. 1b of Gulrajani et al. 2017.)",
            "critic_surface", (("figure.png", "(a) an optimal clipped critic on a 2-D set with real and generated "
                                "samples; (b) its weights pile up at ±c; (c) per-layer gradient norms of deep clipped "
                                "critics for each c."),), tasks=("critic_surface",)),
    Section("wgan-figs-3-4", WGAN, "Figs. 3-4: the estimate against sample quality",
            "The critic's W-estimate falls as the samples improve (Fig. 3; an MLP critic at a high learning rate "
            "fails and its curve stays flat), while the GAN's JS estimate stays near log 2 and does not track "
            "quality (Fig. 4).",
            "claims", (("report/curves.png", "The estimate (median-filtered) and the quality metric over training, "
                        "per generator and objective."),
                       ("report/loss_vs_quality.png", "The estimate against the quality metric at every evaluation, "
                        "with Spearman's ρ.")),
            claims=("wgan_estimate_tracks_fid", "gan_js_does_not_track_fid", "mlp_critic_high_lr_fails")),
    Section("wgan-figs-5-7", WGAN, "Figs. 5-7: samples, WGAN against the GAN",
            "With the DCGAN generator both work; without BatchNorm (constant filter count) the GAN fails and WGAN "
            "works; with an MLP generator the GAN collapses to few modes and WGAN does not.",
            "claims", (("report/samples.png", "The final samples of each run, real data on the left."),),
            claims=("dcgan_both_work", "nobn_gan_fails_wgan_learns", "mlp_gan_collapses_wgan_does_not")),
    Section("wgan-sec-4-2", WGAN, "Sec. 4.2: optimizers and learning rates",
            "\"WGAN training becomes unstable at times when one uses a momentum based optimizer such as Adam on the "
            "critic, or when one uses high learning rates\"; RMSProp at the paper's rate is stable.",
            "claims", (("report/curves.png", "The estimate and the quality metric over training of every run."),),
            claims=("wgan_momentum_unstable",)),
    Section("wgan-sec-4-3", WGAN, "Sec. 4.3 and the 2-D sets: mode collapse",
            "\"In no experiment did we see evidence of mode collapse for the WGAN algorithm\"; on the 2-D mixtures the "
            "GAN drops modes, and the critic's estimate tracks the exact W1.",
            "claims", (("report/critic.png", "The critic's value over the plane at the end of training (2-D runs), "
                        "real (black) and generated (orange) points."),
                       ("report/samples.png", "The final samples of each run.")),
            claims=("wgan_no_mode_collapse", "wgan_estimate_tracks_w1", "gan_drops_modes_2d")),
    Section("tp-figs-1-3", TP, "Figs. 1-3: a discriminator trained from scratch against a frozen generator",
            "A DCGAN is trained for a short, a medium and a long time, its generator frozen, and a fresh discriminator "
            "trained against it: its accuracy reaches 1 fast, even when the samples are good (Fig. 1); the generator's "
            "gradient under E[log(1 − D(G(z)))] falls by orders of magnitude (Fig. 2); under E[−log D(G(z))] its norm "
            "and its variance grow (Fig. 3). A fresh clipped WGAN critic is measured alike (panel d).",
            "vanishing_gradients", (("figure.png", "(a) the fresh discriminator's accuracy; (b) the minimax generator "
                                     "gradient; (c) the −log D gradient, mean and std; (d) a fresh clipped critic's "
                                     "generator gradient."),), tasks=("vanishing_gradients",)),
    Section("tp-sec-3", TP, "Sec. 3: instance noise",
            "Adding continuous noise to the discriminator's inputs makes the two distributions overlap, so that the "
            "discriminator cannot separate them perfectly and the generator's gradient is informative again; the "
            "noise is to be annealed.",
            "instance_noise", (("figure.png", "(a) the minimax generator gradient for each noise scale; (b) the "
                                "gradient after training against the noise scale; (c) the discriminator's accuracy."),),
            tasks=("instance_noise",)),
)
OTHER = Section("other", "", "Other claims", "Claims of the claims files that no figure section above names.", "")


@dataclass
class Entry:
    """A judged claim on the page: the result, whether a theory run or the sweep judged it, and
    its section."""

    result: ClaimResult
    kind: str                  # theory | sweep
    section: str


# --------------------------------------------------------------------------- input
def read_parts(repro: Path) -> dict:
    """parts.json, checked; ReportError naming the problem and the fix otherwise."""
    path = repro / PARTS_FILE
    if not repro.is_dir():
        raise ReportError(f"{repro} is not a folder: pass a reproduction folder written by `{REPRODUCE}`")
    if not path.is_file():
        raise ReportError(f"{repro} has no {PARTS_FILE}: pass a reproduction folder written by `{REPRODUCE}`")
    data = _read_json(path)
    if data is None or not isinstance(data.get("parts"), list):
        raise ReportError(f"{path} is not a parts file (JSON with a `parts` list): rerun `{REPRODUCE}` to rewrite it")
    for part in data["parts"]:
        if not isinstance(part, dict) or not {"name", "kind", "folder", "status"} <= part.keys():
            raise ReportError(f"{path}: each part needs name, kind, folder and status, not {part!r}")
        folder = Path(str(part["folder"]))
        if folder.is_absolute() or ".." in folder.parts:
            raise ReportError(f"{path}: part {part['name']}'s folder {part['folder']} must be a path inside the "
                              "reproduction folder, e.g. theory/parallel_lines")
    return data


def theory_results(repro: Path, parts: list) -> list:
    """The theory claims judged on <repro>/theory/, a part that is not finished overriding its
    folder's status (its old numbers are not judged)."""
    statuses = {Path(str(p["folder"])).name: str(p["status"]) for p in parts
                if p["kind"] == "theory" and Path(str(p["folder"])).parent == Path(THEORY_DIR)}
    return judge_theory(repro / THEORY_DIR, statuses=statuses)


def sweep_results(repro: Path, part: Optional[dict]) -> list:
    """The sweep's claims from its report's claims.json; not tested (with the reason) while the
    part is not finished or has no report yet, its numbers so far kept."""
    folder = str(part["folder"]) if part else "claims"
    path = repro / folder / REPORT_DIR / "claims.json"
    status = str(part["status"]) if part else "missing from parts.json"
    loaded = _read_json_list(path)
    if loaded is None:
        why = f"no {folder}/{REPORT_DIR}/claims.json" + (" (unreadable)" if path.exists() else "") + \
              f": the claims part is {status}"
        return [_untested_claim(claim, why) for claim in load_config(DEFAULT_CLAIMS)[1]]
    results = [_claim_from_dict(d) for d in loaded]
    if status != "finished":
        why = f"the claims part is {status}: its report holds the runs finished so far"
        results = [replace(r, verdict=NOT_TESTED, note=why) for r in results]
    return results


def _read_json_list(path: Path) -> Optional[list]:
    data = read_json_value(path)
    return data if isinstance(data, list) and all(isinstance(d, dict) for d in data) else None


def _claim_from_dict(data: dict) -> ClaimResult:
    known = {f.name for f in fields(ClaimResult)}
    cond_known = {f.name for f in fields(ConditionResult)}
    result = ClaimResult(**{k: v for k, v in data.items() if k in known and k != "conditions"})
    result.conditions = [ConditionResult(**{k: v for k, v in c.items() if k in cond_known})
                         for c in data.get("conditions") or [] if isinstance(c, dict)]
    return result


def _untested_claim(claim: dict, why: str) -> ClaimResult:
    conditions = [ConditionResult(condition_text(cond), UNTESTED, "", why) for cond in claim["conditions"]]
    return ClaimResult(id=str(claim["id"]), source=str(claim.get("source", "")), claim=str(claim["claim"]),
                       verdict=NOT_TESTED, conditions=conditions, note=why)


def entries(repro: Path, data: dict) -> list:
    """Every claim, placed in its section, in the sections' order (the papers')."""
    parts = data["parts"]
    sweep_part = next((p for p in parts if p["kind"] == "sweep"), None)
    tasks = claim_tasks()
    placed = {}
    for result in theory_results(repro, parts):
        section = next((s.key for s in SECTIONS if tasks.get(result.id) in s.tasks), OTHER.key)
        placed.setdefault(section, []).append(Entry(result, "theory", section))
    for result in sweep_results(repro, sweep_part):
        section = next((s.key for s in SECTIONS if result.id in s.claims), OTHER.key)
        placed.setdefault(section, []).append(Entry(result, "sweep", section))
    return [e for s in (*SECTIONS, OTHER) for e in placed.get(s.key, [])]


# --------------------------------------------------------------------------- text pieces
def seeds_text(entry: Entry) -> str:
    """"1 run" for a theory claim (one run by design); the fewest seeds behind a sweep claim's
    numbers, flagged when below the sweep's min_seeds."""
    if entry.kind == "theory":
        return "1 run"
    seeds = [c.seeds for c in entry.result.conditions if c.seeds is not None]
    if not seeds:
        return ""
    n = min(seeds)
    return f"{n} seed{'s' if n != 1 else ''}" + (" (fewer than settings.min_seeds)" if entry.result.flag else "")


def verdict_text(result: ClaimResult) -> str:
    return LABEL[result.verdict] + (f": {result.note}" if result.note else "")


def duration(seconds) -> str:
    """38 s, 12 min 5 s, 1 h 30 min; "" when unknown."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds != seconds:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def when(timestamp) -> str:
    try:
        return datetime.datetime.fromtimestamp(float(timestamp), tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return "unknown"


class Relative:
    """Text with the reproduction folder's own path made relative, so that no file of the page
    names a folder of this machine: `<repro>/theory/x` is written `results/reproduction/cpu/theory/x`
    (its path from the working folder) or, outside it, by the folder's name."""

    def __init__(self, repro: Path):
        resolved = repro.resolve()
        try:
            shown = str(resolved.relative_to(Path.cwd().resolve()))
        except ValueError:
            shown = resolved.name
        self.prefixes = sorted({str(resolved), str(repro.absolute())}, key=len, reverse=True)
        self.shown = shown

    def __call__(self, text) -> str:
        text = str(text)
        for prefix in self.prefixes:
            text = re.sub(re.escape(prefix) + r"(?![\w.-])", self.shown.replace("\\", "\\\\"), text)
        return text


@dataclass
class Page:
    """What both files are written from."""

    repro: Path
    data: dict
    entries: list
    rel: Relative

    def part(self, name: str) -> Optional[dict]:
        """The part named `name`; for "claims", the sweep part whatever its name."""
        parts = self.data["parts"]
        return next((p for p in parts if p["name"] == name), None) or (
            next((p for p in parts if p["kind"] == "sweep"), None) if name == "claims" else None)

    def section_entries(self, key: str) -> list:
        return [e for e in self.entries if e.section == key]

    def figures(self, section: Section) -> tuple[list, str]:
        """The section's figures that exist, as paths relative to the page, and why there are
        none (or a note on partial ones)."""
        part = self.part(section.part)
        folder = Path(str(part["folder"])) if part else Path(THEORY_DIR) / section.part
        status = str(part["status"]) if part else "missing from parts.json"
        if section.part != "claims" and status != "finished":
            return [], f"no figure: the {section.part} part is {status}"
        if section.part != "claims" and not self._theory_finished(folder, status):
            return [], f"no figure: {folder.as_posix()}/ holds no finished run"
        found = [(str(folder / name).replace(os.sep, "/"), caption) for name, caption in section.figures
                 if (self.repro / folder / name).is_file()]
        if not found:
            return [], f"no figure yet: the {section.part} part is {status}"
        return found, ("" if status == "finished" else f"drawn while the {section.part} part was {status}: partial")

    def _theory_finished(self, folder: Path, status: str) -> bool:
        state = _read_json(self.repro / folder / "status.json") or {}
        return status == "finished" and state.get("status") == "finished"

    def finding(self, section: Section) -> str:
        """The theory run's finding sentence (its summary.json), when it finished."""
        if section.part == "claims" or not self.part(section.part):
            return ""
        folder = Path(str(self.part(section.part)["folder"]))
        if not self._theory_finished(folder, str(self.part(section.part)["status"])):
            return ""
        return str((_read_json(self.repro / folder / "summary.json") or {}).get("finding", ""))


def build(repro: Path) -> Page:
    data = read_parts(repro)
    return Page(repro, data, entries(repro, data), Relative(repro))


# --------------------------------------------------------------------------- HTML
def page_html(page: Page) -> str:
    d, rel = page.data, page.rel
    counts = ", ".join(f"{sum(e.result.verdict == v for e in page.entries)} {LABEL[v]}" for v in VERDICTS)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Reproduction ({escape(str(d.get('scale', '?')))})</title>", f"<style>{CSS}{PAGE_CSS}</style></head><body>",
        f"<h1>Reproduction of “Wasserstein GAN” and “Towards Principled Methods for Training GANs” "
        f"({escape(str(d.get('scale', '?')))} scale)</h1>",
        f'<p class="meta">Commit <code>{escape(str(d.get("commit", "unknown")))}</code>, torch '
        f'{escape(str(d.get("torch", "unknown")))}, device {escape(rel(d.get("device", "unknown")))}. Started '
        f'{when(d.get("started"))}, updated {when(d.get("updated"))}, page built '
        f'{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}. {len(page.entries)} claims: '
        f'{escape(counts)}. Also as <a href="{MARKDOWN}">{MARKDOWN}</a>.</p>',
        "<h2>Parts</h2>", _parts_table(page),
        "<h2>Every claim</h2>",
        f'<p class="meta">Theory thresholds: <code>{escape(_package_name(THEORY_CLAIMS))}</code>, judged on the '
        f"theory runs; sweep thresholds: <code>{escape(_package_name(DEFAULT_CLAIMS))}</code>, judged by the claims "
        "sweep's report. Reproduced: every condition passes; not reproduced: one fails; inconclusive: the failures "
        "rest on runs still improving; not tested: a run or a number is missing, or its part has not finished. A "
        "theory experiment is one run by design.</p>",
        _claims_table(page.entries, with_section=True),
    ]
    for section in (*SECTIONS, OTHER):
        parts += _section_html(page, section)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _parts_table(page: Page) -> str:
    rows = ["<table><tr><th>part</th><th>kind</th><th>status</th><th>wall time</th><th>folder</th>"
            "<th>command</th></tr>"]
    for p in page.data["parts"]:
        status = str(p["status"])
        commands = "<br>".join(f"<code>{escape(page.rel(c))}</code>" for c in p.get("commands") or [])
        folder = str(p["folder"])
        link = f'<a href="{quote(folder)}/">{escape(folder)}</a>' if (page.repro / folder).is_dir() else escape(folder)
        rows.append(f'<tr><td>{escape(str(p["name"]))}</td><td>{escape(str(p["kind"]))}</td>'
                    f'<td class="{STATUS_CLASS.get(status, "na")}">{escape(status)}</td>'
                    f'<td class="num">{duration(p.get("wall_time"))}</td><td>{link}</td><td>{commands}</td></tr>')
    rows.append("</table>")
    return "\n".join(rows)


def _claims_table(entries_: list, with_section: bool = False) -> str:
    head = "<th>claim</th><th>paper and figure</th><th>our number</th><th>threshold</th><th>verdict</th>" \
           "<th>seeds</th>"
    rows = [f"<table><tr>{head}</tr>"]
    for e in entries_:
        r = e.result
        claim = (f'<a href="#{e.section}">{escape(r.claim)}</a>' if with_section else escape(r.claim))
        numbers = "<br>".join(escape(c.short()) for c in r.conditions)
        thresholds = "<br>".join(escape(c.text) for c in r.conditions)
        rows.append(f'<tr id="{"claim" if with_section else "row"}-{escape(r.id)}" class="{VERDICT_CLASS[r.verdict]}">'
                    f'<td class="claim">{claim}</td><td class="source">{escape(r.source)}</td><td>{numbers}</td>'
                    f"<td>{thresholds}</td>"
                    f'<td class="verdict"><b>{escape(LABEL[r.verdict])}</b>'
                    + (f": {escape(r.note)}" if r.note else "") + f"</td><td>{escape(seeds_text(e))}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _section_html(page: Page, section: Section) -> list:
    entries_ = page.section_entries(section.key)
    if section is OTHER and not entries_:
        return []
    out = [f'<h2 id="{section.key}">' + (f"{escape(section.paper)}: " if section.paper else "")
           + f"{escape(section.title)}</h2>", f"<p><b>The paper:</b> {escape(section.statement)}</p>"]
    part = page.part(section.part)
    if section.part:
        status = str(part["status"]) if part else "missing from parts.json"
        wall = duration(part.get("wall_time")) if part else ""
        out.append(f'<p class="meta">Part <code>{escape(section.part)}</code>: <span class="status-{escape(status)}">'
                   f"{escape(status)}</span>" + (f", {wall}" if wall else "") + ".</p>")
        figures, note = page.figures(section)
        for src, caption in figures:
            out.append(f'<figure><img src="{quote(src)}" alt="{escape(section.title)}"><figcaption>{escape(caption)}'
                       + (f" ({escape(note)})" if note else "") + "</figcaption></figure>")
        if not figures:
            out.append(f'<p class="na">{escape(note)}</p>')
        finding = page.finding(section)
        if finding:
            out.append(f"<p><b>Our numbers:</b> {escape(page.rel(finding))}</p>")
        if section.part == "claims":
            report = f"{part['folder'] if part else 'claims'}/{REPORT_DIR}/index.html"
            if (page.repro / report).is_file():
                out.append(f'<p>The whole sweep report: <a href="{quote(report)}">{escape(report)}</a>.</p>')
    if entries_:
        out.append(_claims_table(entries_))
    if part and part.get("commands"):
        out.append("<p>Regenerate this part alone:</p>"
                   + "".join(f"<pre>{escape(page.rel(c))}</pre>" for c in part["commands"]))
    return out


def _package_name(path: Path) -> str:
    return str(Path(path).resolve().relative_to(Path(DEFAULT_CLAIMS).resolve().parents[2]))


# --------------------------------------------------------------------------- Markdown
def page_markdown(page: Page) -> str:
    d, rel = page.data, page.rel
    lines = [f"# Reproduction of \"Wasserstein GAN\" and \"Towards Principled Methods for Training GANs\" "
             f"({d.get('scale', '?')} scale)", "",
             f"Commit `{d.get('commit', 'unknown')}`, torch {d.get('torch', 'unknown')}, device "
             f"{rel(d.get('device', 'unknown'))}. Started {when(d.get('started'))}, updated {when(d.get('updated'))}. "
             f"Theory thresholds: `{_package_name(THEORY_CLAIMS)}`; sweep thresholds: `{_package_name(DEFAULT_CLAIMS)}`.",
             "", "## Parts", "", "| part | kind | status | wall time | folder | command |", "|---|---|---|---|---|---|"]
    for p in d["parts"]:
        commands = "<br>".join(f"`{rel(c)}`" for c in p.get("commands") or [])
        lines.append(_md_row([p["name"], p["kind"], p["status"], duration(p.get("wall_time")), p["folder"], commands]))
    lines += ["", "## Every claim", "", *_md_claims(page.entries)]
    for section in (*SECTIONS, OTHER):
        entries_ = page.section_entries(section.key)
        if section is OTHER and not entries_:
            continue
        lines += ["", f"## {section.paper + ': ' if section.paper else ''}{section.title}", "",
                  f"**The paper:** {section.statement}", ""]
        part = page.part(section.part)
        if section.part:
            lines += [f"Part `{section.part}`: {part['status'] if part else 'missing from parts.json'}"
                      + (f", {duration(part.get('wall_time'))}" if part and duration(part.get("wall_time")) else "")
                      + ".", ""]
            figures, note = page.figures(section)
            lines += [f"![{caption}]({quote(src)})" for src, caption in figures] or [f"*{note}*"]
            lines += ([f"*{note}*"] if figures and note else []) + [""]
            if page.finding(section):
                lines += [f"**Our numbers:** {rel(page.finding(section))}", ""]
        if entries_:
            lines += [*_md_claims(entries_), ""]
        if part and part.get("commands"):
            lines += ["Regenerate this part alone:", "", "```", *[rel(c) for c in part["commands"]], "```"]
    return "\n".join(lines) + "\n"


def _md_claims(entries_: list) -> list:
    lines = ["| claim | paper and figure | our number | threshold | verdict | seeds |", "|---|---|---|---|---|---|"]
    for e in entries_:
        r = e.result
        lines.append(_md_row([r.claim, r.source, "<br>".join(c.short() for c in r.conditions),
                              "<br>".join(c.text for c in r.conditions), f"**{verdict_text(r)}**", seeds_text(e)]))
    return lines


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


# --------------------------------------------------------------------------- writing
def atomic_write(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a temporary file beside it, then a rename."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        raise ReportError(f"cannot write {path} ({err.strerror}): make {path.parent} writable") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def build_page(repro_dir) -> Path:
    """Write `<repro_dir>/index.html` and `<repro_dir>/reproduction.md`; return the index's path.
    ReportError (one line) for a folder that is not a reproduction."""
    repro = Path(repro_dir)
    page = build(repro)
    # every text read from the folder's files is made relative where it is written; this pass
    # catches what a claims report or a finding may still carry
    atomic_write(repro / MARKDOWN, page.rel(page_markdown(page)))
    claims = [{**asdict(e.result), "kind": e.kind, "section": e.section} for e in page.entries]
    atomic_write(repro / CLAIMS_JSON, page.rel(json.dumps(claims, indent=2, default=str) + "\n"))
    atomic_write(repro / PAGE, page.rel(page_html(page)))
    return repro / PAGE


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wgan_repro.report.reproduction",
                                     description="Rebuild a reproduction folder's index.html and reproduction.md.")
    parser.add_argument("repro", help="a reproduction folder, e.g. results/reproduction/cpu")
    args = parser.parse_args(argv)
    try:
        index = build_page(args.repro)
    except ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"page: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

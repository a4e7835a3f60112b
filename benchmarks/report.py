"""The multi-task part of a benchmark section: rliable's aggregates of normalised scores (see
:mod:`benchmarks.aggregate` and :mod:`benchmarks.scores`), as markdown and a performance-profile plot.

``python -m benchmarks.report --tag TAG --doc docs/benchmarks.md`` adds (or refreshes) the aggregate of a section
already written, from its stored ``docs/benchmarks/<tag>/curves.csv``, without training anything."""

from __future__ import annotations

import argparse
import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from benchmarks import aggregate, scores

BASELINES = ("ppo", "trpo")
BEGIN, END = "<!-- aggregate -->", "<!-- /aggregate -->"  # around the aggregate, inside a section


def _matrix(groups: list[list], envs: list[str], refs: dict, n: int, stat) -> np.ndarray:
    """(n, tasks) matrix of ``(stat(curve) - random) / (ppo - random)`` over the first ``n`` runs per task."""
    rows = []
    for i in range(n):
        cells = []
        for group, env in zip(groups, envs, strict=True):
            random, ppo = refs[env]
            cells.append((float(stat(group[i].returns)) - random) / ((ppo - random) or 1.0))
        rows.append(cells)
    return np.array(rows)


def normalised(
    runs: Sequence, labels: list[str], envs: list[str], args: argparse.Namespace
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[str]]:
    """Per label, (runs, tasks) matrices of normalised final return and AUC, and one note per task.

    A label needs a finished run on every task; its k-th run on each task is the k-th seed that finished. Where a
    task's PPO reference does not beat random play, no matrices, and the notes of those tasks only."""
    groups = {
        label: [[r for r in runs if r.algo == label and r.env == env and len(r.returns)] for env in envs]
        for label in labels
    }
    counts = {label: min(len(g) for g in groups[label]) for label in labels}
    if not any(counts.values()):  # a partial report: no label has finished every task yet
        return {}, {}, []
    refs, notes = {}, []
    for env in envs:
        if args.metric == "success":
            refs[env] = (0.0, 1.0)
            continue
        own = [r.returns[-1] for r in runs if r.env == env and r.algo == args.baseline and len(r.returns)]
        random, ppo, source = scores.references(env, float(np.mean(own)) if own else None)
        refs[env] = (random, ppo)
        notes.append(f"{env} {random:.1f} / {ppo:.1f} ({source})")
    flat = [note for note, (random, ppo) in zip(notes, refs.values(), strict=True) if ppo <= random]
    if flat:  # the reference does not beat random play: (x - random) / (ppo - random) has no meaning
        return {}, {}, flat
    final, auc = {}, {}
    for label, n in counts.items():
        if n:
            final[label] = _matrix(groups[label], envs, refs, n, lambda returns: returns[-1])
            auc[label] = _matrix(groups[label], envs, refs, n, np.mean)
    return final, auc, notes


def no_aggregate(flat: list[str]) -> str:
    """The line written in place of the aggregate when a task's PPO reference scores no better than random play.

    :param flat: ``"env random / ppo (source)"`` of each such task
    """
    return (
        "**No aggregate**: normalised scores, (return - random) / (PPO - random), are undefined where the PPO "
        "reference does not beat random play (random / PPO: "
        + "; ".join(flat)
        + "). Read the per-task table."
    )


def interval(value: tuple[float, float, float], digits: int = 2) -> str:
    """``point [low, high]``."""
    return f"{value[0]:.{digits}f} [{value[1]:.{digits}f}, {value[2]:.{digits}f}]"


def pairs_of(labels: list[str], baseline: str) -> list[tuple[str, str]]:
    """(ours, other) for each of our labels (an sb3_pgx zoo key) and each of PPO, TRPO and ``baseline`` present."""
    from sb3_pgx.zoo import ZOO_ENTRIES

    ours = [a for a in labels if a.split("@", 1)[0] in ZOO_ENTRIES]
    others = dict.fromkeys([*BASELINES, baseline])
    return [(a, b) for a in ours for b in others if b in labels and b != a]


def aggregate_section(
    runs: Sequence, labels: list[str], args: argparse.Namespace, out: Path, rel: str
) -> list[str]:
    """Markdown lines of the aggregate over ``args.envs`` (and ``profile.png`` in ``out``)."""
    final, auc, notes = normalised(runs, labels, args.envs, args)
    if not final:
        return [BEGIN, no_aggregate(notes), END, ""] if notes else []
    result = aggregate.aggregate(final, auc, pairs_of(list(final), args.baseline))
    aggregate.plot_profile(final, out / "profile.png")
    how = (
        "success rate (not normalised)"
        if args.metric == "success"
        else "(return - random) / (PPO - random): random = uniformly random actions (measured, "
        "`benchmarks/scores.py`), PPO = the zoo's published PPO score (rl-zoo3 `benchmark.md`, one agent at the "
        "zoo's full budget) or, where it has none, this section's; random / PPO per task: " + "; ".join(notes)
    )
    lines = [
        f"**Aggregate over the {len(args.envs)} tasks** (rliable; IQM over runs x tasks, 95% stratified-bootstrap "
        f"intervals, {aggregate.REPS} replications; {result.n_runs}+ runs per task). Normalised score = {how}.",
        "",
        "| algo | runs per task | IQM normalised final (95% CI) | IQM normalised AUC (95% CI) |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {a} | {final[a].shape[0]} | {interval(result.final[a])} | {interval(result.auc[a])} |"
        for a in final
    ]
    if result.improvement:
        lines += [
            "",
            "| algo | baseline | P(algo improves on baseline), final return (95% CI) |",
            "|---|---|---|",
        ]
        lines += [f"| {a} | {b} | {interval(v)} |" for (a, b), v in result.improvement.items()]
    return [BEGIN, *lines, "", f"![performance profile]({rel}/profile.png)", END, ""]


def runs_from_curves(path: Path) -> list[SimpleNamespace]:
    """The runs of a ``curves.csv`` (algo, env, seed, timesteps, mean_return), in the file's order."""
    curves: dict[tuple[str, str, int], list[tuple[int, float]]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["algo"], row["env"], int(row["seed"]))
            curves.setdefault(key, []).append((int(row["timesteps"]), float(row["mean_return"])))
    return [
        SimpleNamespace(algo=a, env=e, seed=k, returns=np.array([v for _, v in sorted(points)]))
        for (a, e, k), points in curves.items()
    ]


def insert(text: str, tag: str, block: str) -> str:
    """``text`` with ``block`` in the section ``tag``: in place of an older aggregate, else before its plots."""
    match = re.search(rf"<!-- bench:{re.escape(tag)} -->.*?<!-- /bench:{re.escape(tag)} -->", text, re.S)
    if match is None:
        raise SystemExit(f"no section <!-- bench:{tag} --> in the doc")
    section = re.sub(rf"{re.escape(BEGIN)}.*?{re.escape(END)}\n*", "", match.group(0), flags=re.S)
    at = section.find("\n![")
    at = at + 1 if at >= 0 else section.rindex("<!-- /bench:")
    return text[: match.start()] + section[:at] + block + "\n" + section[at:] + text[match.end() :]


def main(argv: list[str] | None = None) -> None:
    """Add the aggregate to a written section from its stored curves."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tag", required=True)
    p.add_argument("--doc", type=Path, required=True)
    p.add_argument(
        "--out", type=Path, default=None, help="folder of curves.csv (default docs/benchmarks/<tag>)"
    )
    p.add_argument("--baseline", default="ppo")
    args = p.parse_args(argv)
    out = args.out or Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / args.tag
    runs = runs_from_curves(out / "curves.csv")
    args.envs, args.metric = list(dict.fromkeys(r.env for r in runs)), "return"
    if len(args.envs) < 2:
        raise SystemExit(f"{args.tag}: one task only, no aggregate")
    labels = list(dict.fromkeys(r.algo for r in runs))
    lines = aggregate_section(runs, labels, args, out, os.path.relpath(out, args.doc.parent))
    args.doc.write_text(insert(args.doc.read_text(), args.tag, "\n".join(lines)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

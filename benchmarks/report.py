"""The multi-task part of a benchmark section: rliable's aggregates of normalised scores (see
:mod:`benchmarks.aggregate` and :mod:`benchmarks.scores`), as markdown and a performance-profile plot."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks import aggregate, scores

BASELINES = ("ppo", "trpo")


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

    A label needs a finished run on every task; its k-th run on each task is the k-th seed that finished."""
    refs, notes = {}, []
    for env in envs:
        if args.metric == "success":
            refs[env] = (0.0, 1.0)
            continue
        own = [r.returns[-1] for r in runs if r.env == env and r.algo == args.baseline and len(r.returns)]
        random, ppo, source = scores.references(env, float(np.mean(own)) if own else None)
        refs[env] = (random, ppo)
        notes.append(f"{env} {random:.1f} / {ppo:.1f} ({source})")
    final, auc = {}, {}
    for label in labels:
        groups = [[r for r in runs if r.algo == label and r.env == env and len(r.returns)] for env in envs]
        n = min(len(g) for g in groups)
        if n:
            final[label] = _matrix(groups, envs, refs, n, lambda returns: returns[-1])
            auc[label] = _matrix(groups, envs, refs, n, np.mean)
    return final, auc, notes


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
        return []
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
    return [*lines, "", f"![performance profile]({rel}/profile.png)", ""]

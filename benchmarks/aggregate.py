"""The field's aggregate statistics over tasks (Agarwal et al. 2021, with ``rliable``): interquartile mean (IQM)
of normalised scores with 95% stratified-bootstrap intervals, performance profiles, and the probability that
one algorithm improves on another."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPS = 2000  # bootstrap replications
# rliable hands arch a RandomState (reproducible intervals), which arch 7 deprecates but still takes.
warnings.filterwarnings("ignore", message="random_state is deprecated", category=FutureWarning)


@dataclass
class Aggregate:
    """Per-algorithm (IQM, low, high) of normalised final return and AUC, and P(row > baseline) intervals."""

    n_runs: int
    final: dict[str, tuple[float, float, float]]
    auc: dict[str, tuple[float, float, float]]
    improvement: dict[tuple[str, str], tuple[float, float, float]]


def _iqm(scores: dict[str, np.ndarray], seed: int) -> dict[str, tuple[float, float, float]]:
    """(IQM, low, high) per algorithm, 95% stratified-bootstrap interval."""
    from rliable import library as rly
    from rliable import metrics

    point, interval = rly.get_interval_estimates(
        scores,
        lambda x: np.array([metrics.aggregate_iqm(x)]),
        reps=REPS,
        random_state=np.random.RandomState(seed),
    )
    return {a: (float(np.ravel(point[a])[0]), *map(float, np.ravel(interval[a]))) for a in scores}


def aggregate(
    final: dict[str, np.ndarray], auc: dict[str, np.ndarray], pairs: list[tuple[str, str]], seed: int = 0
) -> Aggregate:
    """``final``/``auc``: per algorithm a (runs, tasks) matrix of normalised scores; ``pairs``: (ours, baseline)."""
    from rliable import library as rly
    from rliable import metrics

    improvement: dict[tuple[str, str], tuple[float, float, float]] = {}
    if pairs:
        pair_scores = {f"{a},{b}": (final[a], final[b]) for a, b in pairs}
        point, interval = rly.get_interval_estimates(
            pair_scores,
            metrics.probability_of_improvement,
            reps=REPS,
            random_state=np.random.RandomState(seed),
        )
        for a, b in pairs:
            key = f"{a},{b}"
            low, high = np.ravel(interval[key])
            improvement[a, b] = (float(np.ravel(point[key])[0]), float(low), float(high))
    n_runs = min(m.shape[0] for m in final.values())
    return Aggregate(n_runs, _iqm(final, seed), _iqm(auc, seed), improvement)


def plot_profile(final: dict[str, np.ndarray], path: Path, seed: int = 0) -> None:
    """Performance profile of normalised final return (fraction of runs above tau), 95% bootstrap bands."""
    from rliable import library as rly
    from rliable import plot_utils

    from benchmarks.plotting import plt, save

    top = max(1.5, max(float(np.max(m)) for m in final.values()))
    taus = np.linspace(min(0.0, min(float(np.min(m)) for m in final.values())), top, 81)
    profiles, bands = rly.create_performance_profile(final, taus, reps=REPS)
    fig, ax = plt.subplots(figsize=(6, 4))
    plot_utils.plot_performance_profiles(
        profiles, taus, performance_profile_cis=bands, ax=ax, xlabel=r"normalised final return $\tau$",
        ylabel=r"fraction of runs with score > $\tau$",
    )  # fmt: skip
    ax.legend(fontsize=8)
    save(fig, path)

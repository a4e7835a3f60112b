"""Plot and table helpers shared by the tabular experiment scripts (the figure set-up is benchmarks.plotting's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.plotting import plt, save

__all__ = ["DOCS", "fmt", "plot_gap", "plt", "save"]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks"  # each script writes into its own ``<tag>/`` folder there
GAP_FLOOR = 1e-16  # gaps of exactly 0 (floating point) are drawn at this floor on log axes


def plot_gap(ax, iterations: np.ndarray, gaps: np.ndarray, label: str, **kwargs) -> None:
    """Log-log sub-optimality gap; ``gaps`` is (K,) or (K, seeds) (mean line, min-max band)."""
    x = np.maximum(iterations, 1)
    if gaps.ndim == 2 and gaps.shape[1] > 1:
        ax.plot(x, np.maximum(gaps.mean(1), GAP_FLOOR), label=label, **kwargs)
        ax.fill_between(x, np.maximum(gaps.min(1), GAP_FLOOR), np.maximum(gaps.max(1), GAP_FLOOR), alpha=0.15)
    else:
        ax.plot(x, np.maximum(gaps.reshape(len(x), -1)[:, 0], GAP_FLOOR), label=label, **kwargs)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("V*(rho) - V(rho)")


def fmt(x: float) -> str:
    return "0" if x == 0 else f"{x:.3g}"

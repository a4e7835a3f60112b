"""The plotting set-up shared by the runner and the paper reproductions: a headless backend, one style, one
way of saving (``dpi`` 100, tight layout, the figure closed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 8, "figure.dpi": 100})

__all__ = ["plt", "save"]


def save(fig: matplotlib.figure.Figure, path: Path, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` (its folder created) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path

"""Torch optimizers of the momentum papers: PG-SOM's second-order momentum and SPG-NM's negative momentum."""

from sb3_pgx.optim.hutchinson import hutchinson_diagonal, rademacher_like
from sb3_pgx.optim.negative_momentum import NegativeMomentum
from sb3_pgx.optim.pgsom import PGSOM

__all__ = ["PGSOM", "NegativeMomentum", "hutchinson_diagonal", "rademacher_like"]

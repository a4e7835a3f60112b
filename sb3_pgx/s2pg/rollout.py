"""Kept for saved models: their zips name ``sb3_pgx.s2pg.rollout.S2PGRolloutBuffer`` (now in
:mod:`sb3_pgx.common.stateful.buffers`)."""

from sb3_pgx.common.stateful.buffers import S2PGRolloutBuffer  # noqa: F401  (saved models load it from here)

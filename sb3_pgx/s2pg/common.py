"""Kept for saved models: their zips name ``sb3_pgx.s2pg.common.StatefulReplayBuffer`` (now in
:mod:`sb3_pgx.common.stateful.buffers`)."""

from sb3_pgx.common.stateful.buffers import StatefulReplayBuffer  # noqa: F401  (saved models load it from here)

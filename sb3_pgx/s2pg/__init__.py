"""Stochastic stateful policies (S2PG): shared pieces and the three algorithms."""

from sb3_pgx.common.stateful.buffers import StatefulReplayBuffer
from sb3_pgx.common.stateful.vec_env import S2PGVecEnv
from sb3_pgx.s2pg.policies import S2PGActorCriticPolicy, S2PGSACPolicy, S2PGTD3Policy
from sb3_pgx.s2pg.ppo import S2PGPPO
from sb3_pgx.s2pg.sac import S2PGSAC
from sb3_pgx.s2pg.td3 import S2PGTD3

__all__ = [
    "S2PGPPO",
    "S2PGSAC",
    "S2PGTD3",
    "S2PGActorCriticPolicy",
    "S2PGSACPolicy",
    "S2PGTD3Policy",
    "S2PGVecEnv",
    "StatefulReplayBuffer",
]

"""Stochastic stateful policies (S2PG): shared pieces and the three algorithms."""

from sb3_pgx.s2pg.policies import S2PGActorCriticPolicy, S2PGSACPolicy, S2PGTD3Policy
from sb3_pgx.s2pg.ppo import S2PGPPO
from sb3_pgx.s2pg.vec_env import S2PGVecEnv

__all__ = ["S2PGPPO", "S2PGActorCriticPolicy", "S2PGSACPolicy", "S2PGTD3Policy", "S2PGVecEnv"]

"""sb3-pgx: new policy-gradient methods for Stable-Baselines3 and the RL Baselines3 Zoo."""

import sb3_pgx.envs  # noqa: F401  (registers the POMDP env ids)
from sb3_pgx.mdpo import MDPO
from sb3_pgx.rank1_npg import Rank1NPG
from sb3_pgx.reinforce import REINFORCE
from sb3_pgx.s2pg import S2PGPPO, S2PGSAC, S2PGTD3
from sb3_pgx.spma import SPMA
from sb3_pgx.trpo_reg import TRPOReg

__version__ = "0.1.0"

__all__ = ["MDPO", "REINFORCE", "S2PGPPO", "S2PGSAC", "S2PGTD3", "SPMA", "Rank1NPG", "TRPOReg"]

"""sb3-pgx: new policy-gradient methods for Stable-Baselines3 and the RL Baselines3 Zoo."""

from sb3_pgx.mdpo import MDPO
from sb3_pgx.rank1_npg import Rank1NPG
from sb3_pgx.reinforce import REINFORCE
from sb3_pgx.spma import SPMA
from sb3_pgx.trpo_reg import TRPOReg

__version__ = "0.1.0"

__all__ = ["MDPO", "REINFORCE", "SPMA", "Rank1NPG", "TRPOReg"]

"""sb3-pgx: new policy-gradient methods for Stable-Baselines3 and the RL Baselines3 Zoo.

The algorithm classes are imported on first access (PEP 562), so ``import sb3_pgx`` (and ``import sb3_pgx.zoo``,
which the rl-zoo3 start-up hook runs) loads neither torch nor Stable-Baselines3. Importing the package still
registers the POMDP env ids (:mod:`sb3_pgx.envs`: gymnasium and numpy only).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import sb3_pgx.envs  # noqa: F401  (registers the POMDP env ids)

if TYPE_CHECKING:
    from sb3_pgx.mdpo import MDPO
    from sb3_pgx.rank1_npg import Rank1NPG
    from sb3_pgx.reinforce import REINFORCE
    from sb3_pgx.s2pg import S2PGPPO, S2PGSAC, S2PGTD3
    from sb3_pgx.spma import SPMA
    from sb3_pgx.trpo_reg import TRPOReg

__version__ = "0.1.0"

#: public class (``__all__``) -> the subpackage that defines it
_EXPORTS = {
    "MDPO": "sb3_pgx.mdpo",
    "REINFORCE": "sb3_pgx.reinforce",
    "S2PGPPO": "sb3_pgx.s2pg",
    "S2PGSAC": "sb3_pgx.s2pg",
    "S2PGTD3": "sb3_pgx.s2pg",
    "SPMA": "sb3_pgx.spma",
    "Rank1NPG": "sb3_pgx.rank1_npg",
    "TRPOReg": "sb3_pgx.trpo_reg",
}

__all__ = ["MDPO", "REINFORCE", "S2PGPPO", "S2PGSAC", "S2PGTD3", "SPMA", "Rank1NPG", "TRPOReg"]


def __getattr__(name: str) -> Any:
    """Import a public class on first access and cache it in the module's namespace.

    :param name: the attribute asked for
    """
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

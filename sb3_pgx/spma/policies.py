"""Policy aliases of SPMA, MDPO and TRPO-regularized: SB3's actor-critic policies with separate actor and critic
optimizers (see :mod:`sb3_pgx.common.policies`)."""

from sb3_pgx.common.policies import (
    SplitActorCriticCnnPolicy as CnnPolicy,
)
from sb3_pgx.common.policies import (
    SplitActorCriticPolicy as MlpPolicy,
)
from sb3_pgx.common.policies import (
    SplitMultiInputActorCriticPolicy as MultiInputPolicy,
)

__all__ = ["CnnPolicy", "MlpPolicy", "MultiInputPolicy"]

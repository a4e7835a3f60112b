"""Actor-critic policies whose actor and critic are separate networks with separate optimizers.

The mirror-ascent family (SPMA, MDPO, TRPO-regularized) and the natural-gradient methods optimise the actor with
a surrogate of their own (often with a line search on the actor's gradient norm alone) and the critic by
regression. That needs the two parameter groups apart: ``policy.optimizer`` holds the actor's parameters only and
``policy.critic_optimizer`` the critic's. As in the official SPMA code, the features extractor is *not* shared by
default (one CNN each on images).
"""

from __future__ import annotations

from typing import Any

import torch as th
from stable_baselines3.common.policies import (
    ActorCriticCnnPolicy,
    ActorCriticPolicy,
    MultiInputActorCriticPolicy,
)
from stable_baselines3.common.type_aliases import Schedule

# A parameter belongs to the critic when its name starts with one of these.
CRITIC_PREFIXES = ("value_net.", "mlp_extractor.value_net.", "vf_features_extractor.")


class SplitOptimizerMixin:
    """Builds one optimizer for the actor's parameters and one for the critic's; put it first in the bases of an
    SB3 actor-critic policy. Same parameters as that policy, with two defaults changed: ``share_features_extractor``
    is False (the only allowed value: actor and critic are optimised separately), and Adam's ``eps`` is 1e-5 as in
    SB3's PPO tuned files and the official SPMA code.

    :param args: the policy's positional arguments
    :param kwargs: the policy's keyword arguments
    """

    critic_optimizer: th.optim.Optimizer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("share_features_extractor", False)
        if kwargs.get("optimizer_class", th.optim.Adam) is th.optim.Adam:
            kwargs.setdefault("optimizer_kwargs", {"eps": 1e-5})
        if kwargs["share_features_extractor"]:
            raise ValueError(
                "share_features_extractor=True is not supported: the actor and the critic are optimised "
                "separately, so each needs its own features extractor (allowed: False)"
            )
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def actor_parameters(self) -> list[th.nn.Parameter]:
        """The parameters the actor's optimizer moves (everything but the critic's)."""
        return [p for name, p in self.named_parameters() if not name.startswith(CRITIC_PREFIXES)]  # type: ignore[attr-defined]

    def critic_parameters(self) -> list[th.nn.Parameter]:
        """The critic's parameters (names starting with one of :data:`CRITIC_PREFIXES`)."""
        return [p for name, p in self.named_parameters() if name.startswith(CRITIC_PREFIXES)]  # type: ignore[attr-defined]

    def _build(self, lr_schedule: Schedule) -> None:
        super()._build(lr_schedule)  # type: ignore[misc]
        self.optimizer = self.optimizer_class(
            self.actor_parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )  # type: ignore[attr-defined]
        self.critic_optimizer = self.optimizer_class(
            self.critic_parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )  # type: ignore[attr-defined]


class SplitActorCriticPolicy(SplitOptimizerMixin, ActorCriticPolicy):
    """``MlpPolicy``: SB3's ``ActorCriticPolicy`` with separate actor/critic optimizers (see
    :class:`SplitOptimizerMixin`)."""


class SplitActorCriticCnnPolicy(SplitOptimizerMixin, ActorCriticCnnPolicy):
    """``CnnPolicy``: one NatureCNN for the actor and one for the critic (see :class:`SplitOptimizerMixin`)."""


class SplitMultiInputActorCriticPolicy(SplitOptimizerMixin, MultiInputActorCriticPolicy):
    """``MultiInputPolicy`` for Dict observations (see :class:`SplitOptimizerMixin`)."""


SPLIT_POLICY_ALIASES = {
    "MlpPolicy": SplitActorCriticPolicy,
    "CnnPolicy": SplitActorCriticCnnPolicy,
    "MultiInputPolicy": SplitMultiInputActorCriticPolicy,
}

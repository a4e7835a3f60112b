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
    """Builds one optimizer for the actor's parameters and one for the critic's.

    Adam's ``eps`` defaults to 1e-5 as in SB3's PPO tuned files and the official SPMA code.
    """

    critic_optimizer: th.optim.Optimizer

    def _check_not_shared(self, share_features_extractor: bool) -> None:
        if share_features_extractor:
            raise ValueError(
                "share_features_extractor=True is not supported: the actor and the critic are optimised "
                "separately, so each needs its own features extractor (allowed: False)"
            )

    def actor_parameters(self) -> list[th.nn.Parameter]:
        return [p for name, p in self.named_parameters() if not name.startswith(CRITIC_PREFIXES)]  # type: ignore[attr-defined]

    def critic_parameters(self) -> list[th.nn.Parameter]:
        return [p for name, p in self.named_parameters() if name.startswith(CRITIC_PREFIXES)]  # type: ignore[attr-defined]

    def _build(self, lr_schedule: Schedule) -> None:
        super()._build(lr_schedule)  # type: ignore[misc]
        self.optimizer = self.optimizer_class(
            self.actor_parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )  # type: ignore[attr-defined]
        self.critic_optimizer = self.optimizer_class(
            self.critic_parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )  # type: ignore[attr-defined]


def _split_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("share_features_extractor", False)
    if kwargs.get("optimizer_class", th.optim.Adam) is th.optim.Adam:
        kwargs.setdefault("optimizer_kwargs", {"eps": 1e-5})
    return kwargs


class SplitActorCriticPolicy(SplitOptimizerMixin, ActorCriticPolicy):
    """``MlpPolicy``: SB3's ``ActorCriticPolicy`` with separate actor/critic optimizers. Same parameters as SB3's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs = _split_defaults(kwargs)
        self._check_not_shared(kwargs["share_features_extractor"])
        super().__init__(*args, **kwargs)


class SplitActorCriticCnnPolicy(SplitOptimizerMixin, ActorCriticCnnPolicy):
    """``CnnPolicy``: one NatureCNN for the actor and one for the critic. Same parameters as SB3's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs = _split_defaults(kwargs)
        self._check_not_shared(kwargs["share_features_extractor"])
        super().__init__(*args, **kwargs)


class SplitMultiInputActorCriticPolicy(SplitOptimizerMixin, MultiInputActorCriticPolicy):
    """``MultiInputPolicy`` for Dict observations. Same parameters as SB3's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs = _split_defaults(kwargs)
        self._check_not_shared(kwargs["share_features_extractor"])
        super().__init__(*args, **kwargs)


SPLIT_POLICY_ALIASES = {
    "MlpPolicy": SplitActorCriticPolicy,
    "CnnPolicy": SplitActorCriticCnnPolicy,
    "MultiInputPolicy": SplitMultiInputActorCriticPolicy,
}

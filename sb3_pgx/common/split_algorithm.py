"""What every on-policy algorithm with a split actor/critic policy shares (the mirror family, Rank1NPG and
REINFORCE): the policy aliases, the supported action spaces, the ``max_grad_norm`` encoding, the critic's step
size schedule, the critic optimizer in the saved model, and (:class:`ClassNamedRunsMixin`) ``learn``'s TensorBoard name."""

from __future__ import annotations

import math
from typing import ClassVar

from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy

from sb3_pgx.common.policies import SPLIT_POLICY_ALIASES
from sb3_pgx.common.runs import ClassNamedRunsMixin
from sb3_pgx.common.saving import AtomicSaveMixin
from sb3_pgx.common.schedules import ScheduleLike, make_schedule
from sb3_pgx.common.validation import check_space

SUPPORTED_ACTION_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)


def encode_max_grad_norm(max_grad_norm: float | None) -> float:
    """SB3's ``max_grad_norm`` attribute for the constructor's value: ``inf`` stands for None (no clipping).

    :param max_grad_norm: the constructor's value (None: off)
    """
    return max_grad_norm if max_grad_norm is not None else float("inf")


class SplitPolicyMixin(AtomicSaveMixin, ClassNamedRunsMixin):
    """Put before SB3's ``OnPolicyAlgorithm`` in the bases; the class sets ``critic_learning_rate``."""

    policy_aliases: ClassVar[dict[str, type[ActorCriticPolicy]]] = SPLIT_POLICY_ALIASES  # type: ignore[assignment]

    @property
    def clip_norm(self) -> float | None:
        """The constructor's ``max_grad_norm`` (None: no clipping), decoded from SB3's attribute."""
        value = self.max_grad_norm  # type: ignore[attr-defined]
        return value if math.isfinite(value) else None

    def _check_action_space(self) -> None:
        """Raise a ``ValueError`` naming the allowed action spaces when the env's is not one of them."""
        if self.env is not None:  # type: ignore[attr-defined]
            check_space("action space", self.action_space, SUPPORTED_ACTION_SPACES)  # type: ignore[attr-defined]

    def _setup_critic_lr_schedule(self, default: ScheduleLike) -> None:
        """``critic_lr_schedule`` from ``critic_learning_rate``, or from ``default`` when that is None.

        :param default: the actor's step size: the mirror family and Rank1NPG pass ``learning_rate`` (checked
            like ``critic_learning_rate``), REINFORCE its ``lr_schedule`` (a callable, used as it is: the zoo's
            ``enjoy`` loads with ``learning_rate=0``)
        """
        critic_lr = self.critic_learning_rate  # type: ignore[attr-defined]
        value = default if critic_lr is None else critic_lr
        self.critic_lr_schedule = make_schedule("critic_learning_rate", value)

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        state_dicts, tensors = super()._get_torch_save_params()  # type: ignore[misc]
        return [*state_dicts, "policy.critic_optimizer"], tensors


__all__ = ["SUPPORTED_ACTION_SPACES", "SplitPolicyMixin", "encode_max_grad_norm"]

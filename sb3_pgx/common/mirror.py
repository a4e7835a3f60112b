"""The on-policy base of the mirror-ascent family (SPMA, MDPO, TRPO-regularized).

Each iteration collects ``n_steps x n_envs`` transitions with pi_old, computes GAE advantages, then minimises
the actor surrogate ``surrogate(SurrogateInputs)`` for ``n_epochs`` passes (the paper's m inner
steps when the batch is the whole rollout), with either

- ``inner_loop="armijo"``: plain gradient steps with a backtracking Armijo line search (the SPMA paper's
  choice for MuJoCo, full batch), or
- ``inner_loop="adam"``: Adam on minibatches (the choice for Atari / CNN policies).

The critic is a separate network with its own loop (``critic_inner_loop``), regressing the GAE lambda-returns
(:class:`sb3_pgx.common.actor_critic.SplitActorCriticAlgorithm`). Subclasses define only
:meth:`MirrorAscentAlgorithm.surrogate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch as th
from stable_baselines3.common.distributions import Distribution
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import GymEnv, RolloutBufferSamples

from sb3_pgx.common.actor_critic import SUPPORTED_ACTION_SPACES, SplitActorCriticAlgorithm, TrainContext
from sb3_pgx.common.inner_loops import INNER_LOOPS
from sb3_pgx.common.schedules import ScheduleLike, make_schedule
from sb3_pgx.common.steps import StepLog
from sb3_pgx.common.validation import check_choice

__all__ = ["INNER_LOOPS", "SUPPORTED_ACTION_SPACES", "MirrorAscentAlgorithm", "SurrogateInputs"]


@dataclass
class SurrogateInputs:
    """What a surrogate sees on one batch.

    :param log_ratio: ``log pi_theta(a|s) - log pi_old(a|s)`` per sample (differentiable)
    :param advantages: the (normalised) advantages
    :param dist: pi_theta on the batch's states (differentiable)
    :param old_dist: pi_old on the same states (constant); None when the method declares
        ``needs_old_distribution = False`` (saves a forward pass of the old actor per step)
    :param eta: the step size of this iteration
    """

    log_ratio: th.Tensor
    advantages: th.Tensor
    dist: Distribution
    old_dist: Distribution | None
    eta: float


@dataclass
class MirrorContext(TrainContext):
    """The context of one mirror-ascent ``train()`` call.

    :param eta: this iteration's step size
    """

    eta: float


class MirrorAscentAlgorithm(SplitActorCriticAlgorithm):
    """Base class of the mirror-ascent family: the actor minimises :meth:`surrogate` with its inner loop.

    :param policy: the policy model (``MlpPolicy``, ``CnnPolicy``, ``MultiInputPolicy`` or a class)
    :param env: the environment (a Gym env, a VecEnv or a registered id)
    :param args: ``learning_rate``, ``n_steps``, ``batch_size``, ``n_epochs``, ``gamma``, ``gae_lambda`` (in
        this order when positional), as in :class:`sb3_pgx.common.actor_critic.SplitActorCriticAlgorithm`, with
        its defaults; ``learning_rate`` is the actor's Adam step size (``inner_loop="adam"``) and ``batch_size=None``
        (the whole rollout) is what the Armijo line search wants; m = ``n_epochs`` with a full batch
    :param eta: the mirror-ascent step size (1/eta weights the KL term): a positive number, ``"lin_<x>"`` or a
        callable of progress_remaining
    :param inner_loop: ``"armijo"`` (line search on the plain gradient) or ``"adam"``
    :param kwargs: the critic, line-search and SB3 parameters of
        :class:`sb3_pgx.common.actor_critic.SplitActorCriticAlgorithm` (``critic_inner_loop``,
        ``critic_learning_rate``, ``critic_batch_size``, ``n_critic_epochs``, ``normalize_advantage``,
        ``max_grad_norm``, ``armijo_*``, ``use_sde``, ``tensorboard_log``, ``seed``, ``device``, ...)
    """

    #: the name of eta in error messages and logs (MDPO calls it t_k)
    eta_name: ClassVar[str] = "eta"
    #: whether :meth:`surrogate` reads ``x.old_dist`` (an analytic KL); SPMA needs only the stored log-probs
    needs_old_distribution: ClassVar[bool] = True

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        *args: Any,
        eta: ScheduleLike = 1.0,
        inner_loop: str = "armijo",
        **kwargs: Any,
    ):
        check_choice("inner_loop", inner_loop, INNER_LOOPS)
        self.eta_schedule = make_schedule(self.eta_name, eta)
        self.eta = eta
        self.inner_loop = inner_loop
        super().__init__(policy, env, *args, **kwargs)

    def _setup_model(self) -> None:
        super()._setup_model()
        self._actor_loop = self._make_inner_loop(
            self.inner_loop, self.policy.actor_parameters(), self.policy.optimizer, self.actor_step_size
        )

    # ------------------------------------------------------------------ the method
    def surrogate(self, x: SurrogateInputs) -> th.Tensor:
        """The actor loss to minimise on one batch. Defined by each method.

        :param x: the batch's ratios, advantages, distributions and eta
        """
        raise NotImplementedError

    def _actor_loss_fn(self, data: RolloutBufferSamples, eta: float):
        actions = self._actions_for_log_prob(data.actions)
        advantages = self._advantages(data)  # once, outside the line search: the loss must be deterministic
        old_dist = None
        if self.needs_old_distribution:
            with th.no_grad():
                old_dist = self._old_policy.get_distribution(data.observations)

        def loss_fn() -> th.Tensor:
            dist = self.policy.get_distribution(data.observations)
            log_ratio = dist.log_prob(actions) - data.old_log_prob
            return self.surrogate(SurrogateInputs(log_ratio, advantages, dist, old_dist, eta))

        return loss_fn

    def _prepare_train(self) -> MirrorContext:
        eta = float(self.eta_schedule(self._rollout_start_progress()))
        if not np.isfinite(eta) or eta <= 0:
            raise ValueError(f"{self.eta_name} schedule returned {eta!r}; it must stay > 0")
        return MirrorContext(eta)

    def _train_actor(self, context: MirrorContext) -> StepLog:
        """``n_epochs`` passes of the inner loop on the surrogate."""
        actor_log = StepLog()
        for data in self._batches(self.n_epochs, self.batch_size):
            actor_log.add(self._actor_loop.step(self._actor_loss_fn(data, context.eta)))
        return actor_log

    def _log_actor(self, actor_log: StepLog, context: MirrorContext) -> None:
        self.logger.record(f"train/{self.eta_name}", context.eta)

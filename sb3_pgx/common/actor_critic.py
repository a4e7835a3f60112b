"""The on-policy actor-critic base shared by the mirror-ascent family and the natural-gradient methods.

Each iteration collects ``n_steps x n_envs`` transitions with pi_old, computes GAE advantages, then lets the
subclass move the actor (:meth:`SplitActorCriticAlgorithm._train_actor`), then regresses the critic (a
separate network with its own loop, ``critic_inner_loop``) on the GAE lambda-returns. pi_old is kept as a
frozen copy for analytic KLs and the ``train/`` policy-change statistics.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import GymEnv, RolloutBufferSamples, Schedule
from stable_baselines3.common.utils import explained_variance, update_learning_rate
from torch.distributions import Distribution
from torch.nn import functional as F

from sb3_pgx.common.inner_loops import INNER_LOOPS, InnerLoop, make_inner_loop
from sb3_pgx.common.line_search import check_armijo_settings
from sb3_pgx.common.split_algorithm import SUPPORTED_ACTION_SPACES, SplitPolicyMixin, encode_max_grad_norm
from sb3_pgx.common.steps import StepLog, record_mean
from sb3_pgx.common.surrogates import analytic_kl, bregman_log_ratio
from sb3_pgx.common.utils import minibatch_epochs
from sb3_pgx.common.validation import (
    check_at_least,
    check_choice,
    check_in_closed_interval,
    check_positive,
)

__all__ = [
    "SUPPORTED_ACTION_SPACES",
    "SplitActorCriticAlgorithm",
    "TrainContext",
    "no_distribution_validation",
]


@dataclass
class TrainContext:
    """What :meth:`SplitActorCriticAlgorithm._prepare_train` hands the actor's update and its logging for one
    ``train()`` call; each method subclasses it with its own fields (eta, statistics)."""


_GSDE_NOISE = ("weights_dist", "exploration_mat", "exploration_matrices")


def _copy_policy(policy: ActorCriticPolicy) -> ActorCriticPolicy:
    """``deepcopy`` of the policy without gSDE's sampled noise matrices (non-leaf tensors, which deepcopy
    refuses; pi_old never samples)."""
    dist = policy.action_dist
    noise = {k: getattr(dist, k) for k in _GSDE_NOISE if hasattr(dist, k)}
    for key in noise:
        setattr(dist, key, None)
    try:
        return copy.deepcopy(policy)
    finally:
        for key, value in noise.items():
            setattr(dist, key, value)


@contextlib.contextmanager
def no_distribution_validation() -> Iterator[None]:
    """Turn off torch.distributions' argument checks, so a NaN reaches the finiteness guards (which skip the
    step and count it) instead of raising inside ``Normal(...)``. A context manager, or a decorator:
    ``@no_distribution_validation()``."""
    previous = Distribution._validate_args
    Distribution.set_default_validate_args(False)
    try:
        yield
    finally:
        Distribution.set_default_validate_args(previous)


def _check_loop_sizes(
    n_steps: int,
    n_epochs: int,
    n_critic_epochs: int | None,
    batch_size: int | None,
    critic_batch_size: int | None,
    normalize_advantage: bool,
) -> None:
    """Raise a ``ValueError`` naming the first rollout, epoch or minibatch size out of range (a normalised
    minibatch needs two samples)."""
    check_at_least("n_steps", n_steps, 1)
    check_at_least("n_epochs", n_epochs, 1)
    if n_critic_epochs is not None:
        check_at_least("n_critic_epochs", n_critic_epochs, 1)
    for name, size in (("batch_size", batch_size), ("critic_batch_size", critic_batch_size)):
        if size is not None:
            check_at_least(name, size, 2 if normalize_advantage and name == "batch_size" else 1)


class SplitActorCriticAlgorithm(SplitPolicyMixin, OnPolicyAlgorithm):
    """Base class: rollouts, GAE, separate actor/critic parameter groups, the critic's loop and the logs.

    Subclasses implement :meth:`_train_actor` (and may extend :meth:`_setup_model`, :meth:`_log_actor`).

    :param policy: the policy model (``MlpPolicy``, ``CnnPolicy``, ``MultiInputPolicy`` or a class)
    :param env: the environment (a Gym env, a VecEnv or a registered id)
    :param learning_rate: the actor's step size, a number or a schedule of progress_remaining
    :param n_steps: steps per environment per rollout (the horizon T)
    :param batch_size: actor minibatch size; ``None`` means the whole rollout (``n_steps * n_envs``). Must
        divide ``n_steps * n_envs``
    :param n_epochs: actor passes over the rollout per iteration
    :param gamma: discount factor
    :param gae_lambda: GAE's lambda
    :param critic_inner_loop: the critic's ``"adam"`` or ``"armijo"``
    :param critic_learning_rate: the critic's Adam step size (defaults to ``learning_rate``)
    :param critic_batch_size: critic minibatch size; ``None`` means the whole rollout (``n_steps * n_envs``),
        as for ``batch_size`` (with ``critic_inner_loop="armijo"``: the official full-batch line-search critic).
        Must divide ``n_steps * n_envs``
    :param n_critic_epochs: critic passes per iteration; ``None`` (the default) means ``n_epochs``, as in the
        official SPMA code, which steps the critic on the same batches for the same epochs as the actor
    :param normalize_advantage: standardise the advantages per minibatch
    :param max_grad_norm: global gradient-norm clipping on the Adam paths (``None``: off)
    :param armijo_c: sufficient-decrease constant of the line search, in (0, 1)
    :param armijo_beta: backtracking factor, in (0, 1)
    :param armijo_growth: each search starts at ``armijo_growth`` x the last accepted step
    :param armijo_alpha_max: the largest (and first) step size tried
    :param armijo_max_backtracks: a search that needs more leaves the weights as they were (logged as a
        failure)
    :param armijo_reset_each_rollout: restart every rollout at ``armijo_alpha_max`` rather than warm-starting
    :param use_sde: generalized State-Dependent Exploration
    :param sde_sample_freq: gSDE noise resampling frequency (-1: only at rollout start)
    :param rollout_buffer_class: rollout buffer class (default ``RolloutBuffer`` / ``DictRolloutBuffer``)
    :param rollout_buffer_kwargs: its keyword arguments
    :param stats_window_size: episodes averaged for the rollout/ logs
    :param tensorboard_log: TensorBoard log folder (None: off)
    :param policy_kwargs: keyword arguments for the policy
    :param verbose: 0, 1 (info) or 2 (debug)
    :param seed: random seed
    :param device: ``"auto"``, ``"cpu"`` or ``"cuda"``
    :param _init_setup_model: build the networks now
    """

    #: the actor's inner loop, for the methods that step the actor with one (None: the method's own step)
    _actor_loop: InnerLoop | None = None

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 3e-4,
        n_steps: int = 2048,
        batch_size: int | None = None,
        n_epochs: int = 5,
        gamma: float = 0.99,
        gae_lambda: float = 0.95,
        critic_inner_loop: str = "adam",
        critic_learning_rate: float | Schedule | None = None,
        critic_batch_size: int | None = None,
        n_critic_epochs: int | None = None,
        normalize_advantage: bool = True,
        max_grad_norm: float | None = None,
        armijo_c: float = 0.5,
        armijo_beta: float = 0.9,
        armijo_growth: float = 1.8,
        armijo_alpha_max: float = 1e6,
        armijo_max_backtracks: int = 200,
        armijo_reset_each_rollout: bool = False,
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        rollout_buffer_class: type[RolloutBuffer] | None = None,
        rollout_buffer_kwargs: dict[str, Any] | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        check_choice("critic_inner_loop", critic_inner_loop, INNER_LOOPS)
        _check_loop_sizes(
            n_steps, n_epochs, n_critic_epochs, batch_size, critic_batch_size, normalize_advantage
        )
        check_positive("max_grad_norm", max_grad_norm, allow_none=True)
        check_in_closed_interval("gamma", gamma, 0, 1)
        check_in_closed_interval("gae_lambda", gae_lambda, 0, 1)
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            gamma=gamma,
            gae_lambda=gae_lambda,
            ent_coef=0.0,
            vf_coef=0.0,
            max_grad_norm=encode_max_grad_norm(max_grad_norm),
            use_sde=use_sde,
            sde_sample_freq=sde_sample_freq,
            rollout_buffer_class=rollout_buffer_class,
            rollout_buffer_kwargs=rollout_buffer_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            device=device,
            seed=seed,
            _init_setup_model=False,
            supported_action_spaces=None,
        )
        self._check_action_space()
        self._check_batches_divide_rollout(batch_size, critic_batch_size)
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.critic_inner_loop = critic_inner_loop
        self.critic_learning_rate = critic_learning_rate
        self.critic_batch_size = critic_batch_size
        self.n_critic_epochs = n_critic_epochs
        self.normalize_advantage = normalize_advantage
        self.armijo_kwargs = {
            "c": armijo_c, "beta": armijo_beta, "growth": armijo_growth, "alpha_max": armijo_alpha_max,
            "max_backtracks": armijo_max_backtracks,
        }  # fmt: skip
        check_armijo_settings(**self.armijo_kwargs)
        self.armijo_reset_each_rollout = armijo_reset_each_rollout
        # Warm-start state of the line searches, saved with the model.
        self.actor_step_size = armijo_alpha_max
        self.critic_step_size = armijo_alpha_max
        self.line_search_failures_total = 0
        self.nonfinite_skips_total = 0
        if _init_setup_model:
            self._setup_model()

    def _check_batches_divide_rollout(self, batch_size: int | None, critic_batch_size: int | None) -> None:
        """Raise a ``ValueError`` when a minibatch size does not divide ``n_steps * n_envs`` (with an env)."""
        if self.env is None:
            return
        rollout_size = self.n_steps * self.n_envs
        for name, size in (("batch_size", batch_size), ("critic_batch_size", critic_batch_size)):
            if size is not None and rollout_size % size != 0:
                raise ValueError(
                    f"{name}={size} must divide the rollout size n_steps * n_envs = {rollout_size} "
                    f"(allowed: a divisor of {rollout_size}, or None for the whole rollout)"
                )

    def _batches(self, n_epochs: int, batch_size: int | None) -> Iterator[RolloutBufferSamples]:
        """``n_epochs`` passes over the rollout in (reshuffled) minibatches of ``batch_size`` (None: whole)."""
        return (data for _, data in minibatch_epochs(self.rollout_buffer, n_epochs, batch_size))

    # ------------------------------------------------------------------ set-up
    def _setup_model(self) -> None:
        super()._setup_model()
        self._setup_critic_lr_schedule(self.learning_rate)
        # pi_old as a frozen copy of the policy, refreshed at the start of every train() (analytic KL,
        # logging)
        self._old_policy = _copy_policy(self.policy)
        self._old_policy.requires_grad_(False)
        self._old_policy.set_training_mode(False)
        self._critic_loop = self._make_inner_loop(
            self.critic_inner_loop,
            self.policy.critic_parameters(),
            self.policy.critic_optimizer,
            self.critic_step_size,
        )

    def _make_inner_loop(
        self, kind: str, params: list[th.nn.Parameter], optimizer: th.optim.Optimizer, step_size: float
    ) -> InnerLoop:
        return make_inner_loop(kind, params, optimizer, step_size, self.armijo_kwargs, self.clip_norm)

    def _inner_loops(self) -> list[InnerLoop]:
        """The actor's loop (when the method has one) and the critic's."""
        return [loop for loop in (self._actor_loop, self._critic_loop) if loop is not None]

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_old_policy", "_actor_loop", "_critic_loop"]

    # ------------------------------------------------------------------ helpers
    def _actions_for_log_prob(self, actions: th.Tensor) -> th.Tensor:
        return actions.long().flatten() if isinstance(self.action_space, spaces.Discrete) else actions

    def _advantages(self, data: RolloutBufferSamples) -> th.Tensor:
        advantages = data.advantages
        if self.normalize_advantage and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        return advantages

    def _critic_loss_fn(self, data: RolloutBufferSamples):
        def loss_fn() -> th.Tensor:
            return F.mse_loss(self.policy.predict_values(data.observations).flatten(), data.returns)

        return loss_fn

    # ------------------------------------------------------------------ one iteration
    def _prepare_train(self) -> TrainContext:
        """Called at the start of :meth:`train`, before pi_old is refreshed; its result goes to the actor."""
        return TrainContext()

    def _train_actor(self, context: TrainContext) -> StepLog:
        """Move the actor on the rollout of pi_old (``self._old_policy`` holds pi_old). Defined by each
        method."""
        raise NotImplementedError

    def _log_actor(self, actor_log: StepLog, context: TrainContext) -> None:
        """Method-specific ``train/`` scalars."""

    @no_distribution_validation()
    def collect_rollouts(self, *args: Any, **kwargs: Any) -> bool:
        """SB3's rollout collection; a non-finite observation yields a non-finite action (and a skipped update
        later) instead of an error inside ``Normal(...)``.

        :param args: SB3's ``collect_rollouts`` arguments (env, callback, rollout_buffer, n_rollout_steps)
        :param kwargs: the same, by name
        """
        return super().collect_rollouts(*args, **kwargs)

    @no_distribution_validation()
    def train(self) -> None:
        """One iteration: the actor's update (:meth:`_train_actor`), then the critic's passes."""
        self._train_iteration()

    def _train_iteration(self) -> None:
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        critic_lr = self.critic_lr_schedule(self._current_progress_remaining)
        update_learning_rate(self.policy.critic_optimizer, critic_lr)
        context = self._prepare_train()
        if self.armijo_reset_each_rollout:
            for loop in self._inner_loops():
                loop.reset()
        self._old_policy.load_state_dict(self.policy.state_dict())

        actor_log = self._train_actor(context)
        critic_log = StepLog()
        n_critic_epochs = self.n_epochs if self.n_critic_epochs is None else self.n_critic_epochs
        for data in self._batches(n_critic_epochs, self.critic_batch_size):
            critic_log.add(self._critic_loop.step(self._critic_loss_fn(data)))
        self._n_updates += self.n_epochs
        self._after_train(actor_log, critic_log, context, critic_lr)

    def _rollout_start_progress(self) -> float:
        """progress_remaining before this rollout was collected: the k-th of K updates sees 1 - (k-1)/K, as in
        MDPO's ``t_k = 1 - k/K`` with k counted from 0 (SB3's own value is already 0 at the last update)."""
        rollout = self.n_steps * self.n_envs / max(self._total_timesteps, 1)
        return min(1.0, self._current_progress_remaining + rollout)

    # ------------------------------------------------------------------ logging
    def _after_train(
        self, actor_log: StepLog, critic_log: StepLog, context: TrainContext, critic_lr: float
    ) -> None:
        if self._actor_loop is not None:
            self.actor_step_size = self._actor_loop.step_size
        self.critic_step_size = self._critic_loop.step_size
        failures = actor_log.failures + critic_log.failures
        nonfinite = actor_log.nonfinite + critic_log.nonfinite
        self.line_search_failures_total += failures
        self.nonfinite_skips_total += nonfinite

        log = self.logger.record
        self._log_actor(actor_log, context)
        log("train/critic_learning_rate", critic_lr)
        record_mean(self.logger, "train/actor_loss", actor_log.losses)
        record_mean(self.logger, "train/critic_loss", critic_log.losses)
        record_mean(self.logger, "train/actor_grad_norm", actor_log.grad_norms)
        if self._actor_loop is not None:
            self._actor_loop.log(self.logger, actor_log, "train/")
        self._critic_loop.log(self.logger, critic_log, "train/critic_")
        log("train/line_search_failures", failures)
        log("train/line_search_failures_total", self.line_search_failures_total)
        log("train/nonfinite_skips", nonfinite)
        log("train/nonfinite_skips_total", self.nonfinite_skips_total)
        for key, value in self._policy_change_stats().items():
            log(f"train/{key}", value)
        log(
            "train/explained_variance",
            explained_variance(self.rollout_buffer.values.flatten(), self.rollout_buffer.returns.flatten()),
        )
        log("train/n_updates", self._n_updates, exclude="tensorboard")

    def _policy_change_stats(self) -> dict[str, float]:
        """KL between pi_old and the new policy, and ratio statistics, over the whole rollout (one forward
        pass)."""
        with th.no_grad():
            data = next(self.rollout_buffer.get(None))
            actions = self._actions_for_log_prob(data.actions)
            dist = self.policy.get_distribution(data.observations)
            old_dist = self._old_policy.get_distribution(data.observations)
            log_ratio = dist.log_prob(actions) - data.old_log_prob
            ratio = log_ratio.exp()
            stats = th.stack(
                [
                    analytic_kl(old_dist, dist).mean(),
                    bregman_log_ratio(log_ratio).mean(),
                    ratio.mean(),
                    ratio.std() if len(ratio) > 1 else th.zeros((), device=ratio.device),
                    ratio.min(),
                    ratio.max(),
                ]
            ).tolist()
        keys = ("kl_old_new", "approx_kl", "ratio_mean", "ratio_std", "ratio_min", "ratio_max")
        return dict(zip(keys, stats, strict=True))

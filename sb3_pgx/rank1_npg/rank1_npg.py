"""Rank-1 natural policy gradient (Huo, Dash, Stoican, Kaski, Sun; arXiv 2601.18626): the actor steps along
the natural gradient under a damped rank-1 empirical Fisher, inverted with Sherman-Morrison in O(d)."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch as th
from stable_baselines3.common.distributions import Distribution
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import GymEnv, RolloutBufferSamples, Schedule
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from sb3_pgx.common.actor_critic import SplitActorCriticAlgorithm, TrainContext
from sb3_pgx.common.steps import StepLog, StepReason, StepResult, record_mean
from sb3_pgx.common.surrogates import analytic_kl
from sb3_pgx.common.validation import check_at_least, check_choice, check_in_open_interval, check_positive
from sb3_pgx.rank1_npg.fisher import (
    FISHER_MODES,
    GhostNorms,
    NaturalDirection,
    actor_log_prob,
    ghost_norm_modules,
    rank1_natural_direction,
)

#: ``kl_rescale`` changes a step by at most this factor either way (the quadratic model is local)
MAX_KL_RESCALE = 10.0


@dataclass
class NPGStats(TrainContext):
    """Per-step diagnostics of one ``train()`` call (the context :meth:`Rank1NPG._prepare_train` hands the
    actor's update and its logging).

    :param step_sizes: the step size taken by every accepted step (after ``kl_rescale`` and backtracking)
    :param predicted_kl: the rank-1 model's KL of every accepted step, ``step^2 g^T F^-1 g / 2``
    :param actual_kl: the measured KL of every accepted step
    :param direction_norms: the norm of every natural direction computed
    :param quadratics: ``g^T F^-1 g`` of every natural direction computed
    :param score_sq_norms: the mean ``||u||^2`` of the score(s) in F, for every natural direction computed
    :param not_ascent: the steps skipped because ``g^T F^-1 g <= 0`` (``step_rule="kl"``)
    """

    step_sizes: list[float] = field(default_factory=list)
    predicted_kl: list[float] = field(default_factory=list)
    actual_kl: list[float] = field(default_factory=list)
    direction_norms: list[float] = field(default_factory=list)
    quadratics: list[float] = field(default_factory=list)
    score_sq_norms: list[float] = field(default_factory=list)
    not_ascent: int = 0


@dataclass
class _Batch:
    """One actor batch as the natural step sees it: constants, and pi_theta at the step's start."""

    obs: th.Tensor | dict[str, th.Tensor]
    actions: th.Tensor
    old_log_prob: th.Tensor
    advantages: th.Tensor
    start_dist: Distribution

    def kl(self, policy: ActorCriticPolicy) -> th.Tensor:
        """Mean KL(start || pi_theta) at the policy's current parameters.

        :param policy: the policy being stepped
        """
        return analytic_kl(self.start_dist, policy.get_distribution(self.obs)).mean()

    def kl_and_surrogate(self, policy: ActorCriticPolicy) -> tuple[th.Tensor, th.Tensor]:
        """The mean KL from the start and the surrogate ``mean(r A)`` at the policy's current parameters.

        :param policy: the policy being stepped
        """
        dist = policy.get_distribution(self.obs)
        kl = analytic_kl(self.start_dist, dist).mean()
        surrogate = ((dist.log_prob(self.actions) - self.old_log_prob).exp() * self.advantages).mean()
        return kl, surrogate


class _Trial(NamedTuple):
    """The kept trial of the step: its backtracks, step size, KL and surrogate."""

    k: int
    step: th.Tensor
    kl: th.Tensor
    surrogate: th.Tensor


def _kl_step_size(model: Rank1NPG, nat: NaturalDirection) -> th.Tensor:
    """``step_rule="kl"``: beta = sqrt(2 delta / g^T F^-1 g)."""
    return th.sqrt(2.0 * model.delta / nat.quadratic)


def _fixed_step_size(model: Rank1NPG, nat: NaturalDirection) -> th.Tensor:
    """``step_rule="fixed"``: beta = learning_rate (its schedule's current value)."""
    lr = model.lr_schedule(model._current_progress_remaining)
    return th.as_tensor(lr, dtype=nat.quadratic.dtype, device=nat.quadratic.device)


#: the step rules by name: each gives beta for a direction
STEP_RULES: dict[str, Callable[[Rank1NPG, NaturalDirection], th.Tensor]] = {
    "kl": _kl_step_size,
    "fixed": _fixed_step_size,
}


class Rank1NPG(SplitActorCriticAlgorithm):
    """Rank-1 natural policy gradient (SM-ActorCritic): an actor-critic whose actor step is the natural
    gradient under the damped rank-1 empirical Fisher ``F = damping * I + u u^T``, applied with
    Sherman-Morrison in O(d) time and memory (no d x d matrix, no conjugate gradient).

    Each iteration: collect a rollout with pi_old, GAE advantages, then ``n_epochs`` passes of actor steps
    over minibatches (``batch_size=None``: one natural step on the whole rollout, like TRPO), then the
    critic's Adam regression on the lambda-returns. With ``g_i = grad log pi(a_i|s_i)`` and
    ``g = mean_i A_i g_i``::

        per_sample:     d = mean_i A_i g_i / (damping + ||g_i||^2)           (Sherman-Morrison, u = v = g_i)
        minibatch:      d = (1/damping) (g - u (u^T g) / (damping + ||u||^2)),  u = g_j, j ~ U(batch)
        self_gradient:  d = g / (damping + ||g||^2)                           (u = g)
        theta <- theta + beta d,  beta = sqrt(2 delta / g^T F^-1 g) ("kl")  or  beta = learning_rate ("fixed")

    with ``g^T F^-1 g = g^T d`` (the Sherman-Morrison quadratic form, free here). The per-sample reading
    bounds the first-order change of each sampled log-likelihood: ``A_i ||g_i||^2 / (damping + ||g_i||^2) <=
    |A_i|`` (times the step). Its norms ``||g_i||^2`` come from the layer inputs and output gradients ("ghost
    norms"), so memory stays O(N + d) (nn.Linear / nn.Conv2d layers and a Gaussian ``log_std``; gSDE needs
    another mode).

    Left open by the paper (only its abstract is available, see ``docs/rank1_npg.md``), with our choice: which
    rank-1 Fisher (``fisher``; default ``"minibatch"`` with ``damping=0.1`` and ``kl_rescale=True``, the
    configuration of every entry of our zoo file ``hyperparams/rank1_npg.yml``: the only secondary descriptions
    of the paper describe the rank-1 term as the score of a single sampled state-action pair per minibatch,
    which is this reading, while the references' reconstructed ``"per_sample"`` reading stalled on CartPole-v1
    with a non-ascent skip in most updates; ``"per_sample"`` stays an option), the step rule
    (default ``"kl"``: the references suggest a fixed learning rate, but the per-sample direction's scale
    depends on the batch size and on ``damping``, so a fixed rate needs per-task tuning; ``step_rule="fixed"``
    is that option), whether there is a line search (off by default, ``line_search=True`` is sb3-contrib
    TRPO's backtracking check of surrogate improvement and KL <= delta), and the critic (Adam on minibatches,
    as TRPO in sb3-contrib).

    :param policy: ``MlpPolicy``, ``CnnPolicy``, ``MultiInputPolicy`` (actor and critic apart) or a policy
        class
    :param env: the environment (a Gym env, a VecEnv or a registered id)
    :param learning_rate: the fixed step size of ``step_rule="fixed"`` (a number or a schedule); also the
        critic's Adam step size unless ``critic_learning_rate`` is given
    :param n_steps: steps per environment per rollout
    :param batch_size: actor minibatch size (``None``: the whole rollout, one natural step per epoch)
    :param n_epochs: actor passes over the rollout per iteration
    :param gamma: discount factor
    :param gae_lambda: GAE's lambda
    :param fisher: the rank-1 Fisher: ``"minibatch"`` (default: ``u`` is the score of one sampled pair),
        ``"per_sample"`` or ``"self_gradient"``
    :param damping: lambda > 0 in ``F = lambda I + u u^T`` (default 0.1, as in the zoo file)
    :param step_rule: ``"kl"`` (beta = sqrt(2 delta / g^T F^-1 g)) or ``"fixed"`` (beta = learning_rate)
    :param delta: the KL radius of ``step_rule="kl"`` and of the line search's KL check, > 0. It bounds the KL
        of the whole action distribution (summed over action dimensions); sb3-contrib's TRPO averages its KL
        over the k dimensions of a Box action, so ``delta = k * target_kl`` takes steps of TRPO's size
    :param kl_rescale: after the step, measure its KL (one forward pass) and rescale the step once by
        ``sqrt(delta / KL)``, so that the step's KL matches ``delta`` to second order whatever the rank-1
        model predicted (the direction stays the rank-1 natural one); the factor is clipped to [0.1, 10]. On by
        default (as in the zoo file): the rank-1 model's predicted KL was 10-35x off for ``"minibatch"``
    :param line_search: backtrack (``theta + beta s^k d``, k = 0..``line_search_max_iter``-1) until the
        surrogate ``mean(r A)`` improves and the step's KL is <= ``delta``; a failed search leaves the weights
        unchanged
    :param line_search_shrinking_factor: s in (0, 1)
    :param line_search_max_iter: the number of trials, >= 1
    :param critic_learning_rate: the critic's Adam step size (defaults to 1e-3)
    :param critic_batch_size: critic minibatch size (``None``: the whole rollout)
    :param n_critic_epochs: critic passes per iteration
    :param normalize_advantage: standardise the advantages per minibatch
    :param _init_setup_model: build the networks now
    :param kwargs: the remaining SB3 / critic parameters of
        :class:`sb3_pgx.common.actor_critic.SplitActorCriticAlgorithm` (``critic_inner_loop``,
        ``max_grad_norm`` of the critic, ``use_sde``, ``sde_sample_freq``, ``rollout_buffer_class``,
        ``stats_window_size``, ``tensorboard_log``, ``policy_kwargs``, ``verbose``, ``seed``, ``device``, ...)
    """

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 0.1,
        n_steps: int = 2048,
        batch_size: int | None = None,
        n_epochs: int = 1,
        gamma: float = 0.99,
        gae_lambda: float = 0.95,
        fisher: str = "minibatch",
        damping: float = 0.1,
        step_rule: str = "kl",
        delta: float = 0.01,
        kl_rescale: bool = True,
        line_search: bool = False,
        line_search_shrinking_factor: float = 0.8,
        line_search_max_iter: int = 10,
        critic_learning_rate: float | Schedule | None = 1e-3,
        critic_batch_size: int | None = 64,
        n_critic_epochs: int | None = 10,
        normalize_advantage: bool = True,
        _init_setup_model: bool = True,
        **kwargs: Any,
    ):
        check_choice("fisher", fisher, FISHER_MODES)
        check_choice("step_rule", step_rule, STEP_RULES)
        check_positive("damping", damping)
        check_positive("delta", delta)
        check_in_open_interval("line_search_shrinking_factor", line_search_shrinking_factor, 0.0, 1.0)
        check_at_least("line_search_max_iter", line_search_max_iter, 1)
        for name, value in (("damping", damping), ("delta", delta)):
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        self.fisher = fisher
        self.damping = float(damping)
        self.step_rule = step_rule
        self.delta = float(delta)
        self.kl_rescale = kl_rescale
        self.line_search = line_search
        self.line_search_shrinking_factor = line_search_shrinking_factor
        self.line_search_max_iter = line_search_max_iter
        self.not_ascent_skips_total = 0
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            batch_size=batch_size,
            n_epochs=n_epochs,
            gamma=gamma,
            gae_lambda=gae_lambda,
            critic_learning_rate=critic_learning_rate,
            critic_batch_size=critic_batch_size,
            n_critic_epochs=n_critic_epochs,
            normalize_advantage=normalize_advantage,
            _init_setup_model=_init_setup_model,
            **kwargs,
        )

    def _setup_model(self) -> None:
        super()._setup_model()
        self._actor_params = self.policy.actor_parameters()
        self._ghost = (
            GhostNorms(ghost_norm_modules(self.policy, self._actor_params))
            if self.fisher == "per_sample"
            else None
        )

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_actor_params", "_ghost"]

    # ------------------------------------------------------------------ one natural step
    def _natural_direction(
        self,
        log_prob: th.Tensor,
        advantages: th.Tensor,
        leaves: list[th.Tensor],
        obs: th.Tensor | dict[str, th.Tensor],
    ) -> NaturalDirection:
        """The preconditioned direction of one batch (``fisher``'s reading).

        :param log_prob: (N,) log-probabilities of the batch's actions, with their graph
        :param advantages: (N,) advantages
        :param leaves: the per-sample leaves of the forward pass (``fisher="per_sample"``)
        :param obs: the batch's observations
        """
        return rank1_natural_direction(
            self.fisher, log_prob, advantages, self._actor_params, self.damping, self._ghost, leaves
        )

    def _forward(self, data: RolloutBufferSamples) -> tuple[_Batch, th.Tensor, list[th.Tensor]]:
        """The batch's log-probabilities with their graph (recorded by the ghost norms when ``per_sample``),
        its per-sample leaves, and the batch's constants with pi_theta at the step's start."""
        obs, actions = data.observations, self._actions_for_log_prob(data.actions)
        advantages = self._advantages(data)
        recording = self._ghost is not None
        with self._ghost if recording else contextlib.nullcontext():  # type: ignore[attr-defined]
            log_prob, leaves = actor_log_prob(self.policy, obs, actions, per_sample_leaves=recording)
        with th.no_grad():  # a shallow copy: SB3 distributions are re-filled in place by the next forward
            start_dist = copy.copy(self.policy.get_distribution(obs))
        return _Batch(obs, actions, data.old_log_prob, advantages, start_dist), log_prob, leaves

    def _step_size(self, nat: NaturalDirection) -> th.Tensor:
        """beta of ``step_rule`` (see :data:`STEP_RULES`)."""
        return STEP_RULES[self.step_rule](self, nat)

    def _unusable(self, nat: NaturalDirection, beta: th.Tensor, stats: NPGStats) -> StepReason | None:
        """Why the direction cannot be taken (None: it can), after recording its statistics: a non-finite or
        zero direction or step size, or (``step_rule="kl"``) ``g^T F^-1 g <= 0``, not an ascent direction of the
        batch surrogate (the per-sample reading)."""
        direction_norm = th.linalg.vector_norm(nat.direction)
        finite, nonzero, finite_beta = th.stack(
            [
                th.isfinite(nat.direction).all() & th.isfinite(nat.quadratic),
                direction_norm > 0,
                th.isfinite(beta),
            ]
        ).tolist()
        stats.direction_norms.append(direction_norm.item())
        stats.quadratics.append(nat.quadratic.item())
        stats.score_sq_norms.append(nat.score_sq_norm.item())
        if self.step_rule == "kl" and finite and nonzero and not stats.quadratics[-1] > 0:
            return "not_ascent"
        return None if finite and nonzero and finite_beta else "nonfinite"

    def _rescale_to_kl(
        self, batch: _Batch, start: th.Tensor, step: th.Tensor, direction: th.Tensor
    ) -> th.Tensor:
        """``kl_rescale``: one probe at ``start + step d``; KL(step) ~ step^2 d^T F d / 2 along the line, so the
        step is rescaled by ``sqrt(delta / KL)`` (clipped to [1/MAX_KL_RESCALE, MAX_KL_RESCALE])."""
        vector_to_parameters(start + step * direction, self._actor_params)
        probe_kl = batch.kl(self.policy)
        scale = th.sqrt(self.delta / probe_kl).clamp(1.0 / MAX_KL_RESCALE, MAX_KL_RESCALE)
        return th.where(th.isfinite(scale) & (probe_kl > 0), step * scale, step)

    def _backtrack(
        self,
        batch: _Batch,
        start: th.Tensor,
        step: th.Tensor,
        direction: th.Tensor,
        surrogate_before: th.Tensor,
    ) -> _Trial | None:
        """Move to ``start + step s^k d``, k = 0, 1, ...: without ``line_search`` the first trial is kept; with
        it, the first whose KL is <= ``delta`` and whose surrogate improves (sb3-contrib TRPO's check). None
        when no trial of ``line_search_max_iter`` passes (the weights are then at the last trial)."""
        n_trials = self.line_search_max_iter if self.line_search else 1
        for k in range(n_trials):
            vector_to_parameters(start + step * direction, self._actor_params)
            kl, surrogate = batch.kl_and_surrogate(self.policy)
            if not self.line_search or bool((kl <= self.delta) & (surrogate > surrogate_before)):
                return _Trial(k, step, kl, surrogate)
            step = step * self.line_search_shrinking_factor
        return None

    def _natural_step(self, data: RolloutBufferSamples, stats: NPGStats) -> StepResult:
        """One actor step on a batch (Sherman-Morrison natural direction, KL-normalised or fixed step size).

        A non-finite or zero direction, a non-positive ``g^T F^-1 g`` (with ``step_rule="kl"``) or a failed
        line search leaves the weights exactly as they were."""
        params = self._actor_params
        batch, log_prob, leaves = self._forward(data)
        nat = self._natural_direction(log_prob, batch.advantages, leaves, batch.obs)
        surrogate_before = ((log_prob - data.old_log_prob).detach().exp() * batch.advantages).mean()
        beta = self._step_size(nat)
        reason = self._unusable(nat, beta, stats)
        grad_norm = th.linalg.vector_norm(nat.grad).item()
        loss_before = -surrogate_before.item()
        if reason is not None:
            return StepResult.rejected(reason, loss_before, grad_norm)
        start = parameters_to_vector(params).detach()
        with th.no_grad():
            step = self._rescale_to_kl(batch, start, beta, nat.direction) if self.kl_rescale else beta
            trial = self._backtrack(batch, start, step, nat.direction, surrogate_before)
            if trial is None:
                vector_to_parameters(start, params)
                return StepResult.rejected(
                    "no_decrease", loss_before, grad_norm, self.line_search_max_iter - 1
                )
            if not bool(th.isfinite(trial.kl) & th.isfinite(trial.surrogate)):
                vector_to_parameters(start, params)
                return StepResult.rejected("nonfinite", loss_before, grad_norm, trial.k)
        step_size = float(trial.step)
        stats.step_sizes.append(step_size)
        stats.predicted_kl.append(0.5 * step_size**2 * nat.quadratic.item())
        stats.actual_kl.append(trial.kl.item())
        return StepResult.ok(step_size, loss_before, -trial.surrogate.item(), grad_norm, trial.k)

    def _train_actor(self, context: NPGStats) -> StepLog:
        actor_log = StepLog()
        for data in self._batches(self.n_epochs, self.batch_size):
            result = self._natural_step(data, context)
            if result.reason == "not_ascent":
                context.not_ascent += 1
                actor_log.losses.append(result.loss_before)
            else:
                actor_log.add(result)
        self.not_ascent_skips_total += context.not_ascent
        return actor_log

    def _prepare_train(self) -> NPGStats:
        return NPGStats()

    def _log_actor(self, actor_log: StepLog, context: NPGStats) -> None:
        log = self.logger.record
        log("train/damping", self.damping)
        log("train/delta", self.delta)
        record_mean(self.logger, "train/step_size", context.step_sizes)
        record_mean(self.logger, "train/step_kl", context.actual_kl)
        record_mean(self.logger, "train/predicted_kl", context.predicted_kl)
        if context.predicted_kl:
            ratios = [a / p for a, p in zip(context.actual_kl, context.predicted_kl, strict=True) if p > 0]
            record_mean(self.logger, "train/kl_actual_over_predicted", ratios)
        record_mean(self.logger, "train/natural_direction_norm", context.direction_norms)
        record_mean(self.logger, "train/natural_quadratic", context.quadratics)
        record_mean(self.logger, "train/score_sq_norm", context.score_sq_norms)
        log("train/not_ascent_skips", context.not_ascent)
        log("train/not_ascent_skips_total", self.not_ascent_skips_total)
        if self.line_search:
            record_mean(self.logger, "train/line_search_backtracks", actor_log.backtracks)

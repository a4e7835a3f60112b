"""S2PG-PPO: PPO on the augmented problem (observation ``[o, z, a_prev]``, action ``[a, z']``), joint
ratio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, Schedule
from torch.nn import functional as F

from sb3_pgx.common.saving import AtomicSaveMixin
from sb3_pgx.common.stateful.buffers import S2PGRolloutBuffer
from sb3_pgx.common.stateful.kernel import gaussian_entropy
from sb3_pgx.common.stateful.mixins import StatefulAlgorithmMixin
from sb3_pgx.common.steps import StepLog, guarded_optimizer_step, record_mean
from sb3_pgx.common.utils import minibatch_epochs
from sb3_pgx.common.validation import check_at_least, check_choice, check_positive
from sb3_pgx.s2pg.policies import S2PGActorCriticPolicy


class S2PGPPO(AtomicSaveMixin, StatefulAlgorithmMixin, PPO):
    """Stochastic Stateful Policy Gradient with PPO (Al-Hafez et al., ICLR 2024, "Time-Efficient Reinforcement
    Learning with Stochastic Stateful Policies"; official ``PPO_RS``).

    The policy is ``pi(a, z' | o, z, a_prev) = pi^a(a | o, z, a_prev) q(z' | o, z, a_prev)`` with a GRU-cell
    mean for ``z'`` and learned Gaussian noise; ``z`` and ``a_prev`` are zero at every episode start and no
    gradient flows through time. Training is PPO on the augmented MDP; the ratio is the joint one:
    ``r = exp(log pi^a + log q - log pi^a_old - log q_old)`` (the stateful policy gradient, paper Sec. 2 /
    Eq. 2, reference B.1 and B.4). ``V(o, z, a_prev)`` is fitted on GAE targets with
    ``v_next = V(o', z', a)``.

    Differences from SB3's PPO that follow the official code: advantages normalised over the whole rollout
    (``advantage_normalization="batch"``; ``"minibatch"`` is SB3's), no gradient clipping by default
    (``max_grad_norm=None``), entropy coefficient 0. Observation normalisation (VecNormalize on the env you
    pass) applies to ``o`` only. A non-finite loss or gradient skips the step (weights untouched) and is
    counted in ``train/nonfinite_skips``.

    :param policy: ``"MlpPolicy"`` or an :class:`S2PGActorCriticPolicy` subclass
    :param env: the env (``Box``, ``Discrete``, ``MultiDiscrete`` or ``MultiBinary`` observations; ``Box``
        actions of any shape or ``Discrete`` actions) or its id
    :param z_dim: internal-state dimension (>= 1; official 128). Defaults to 128.
    :param learning_rate: learning rate (or schedule)
    :param n_steps: steps per env per rollout
    :param batch_size: minibatch size
    :param n_epochs: epochs per rollout
    :param gamma: discount
    :param gae_lambda: GAE lambda
    :param clip_range: PPO clip range (or schedule)
    :param clip_range_vf: value clip range (None: no clipping)
    :param normalize_advantage: normalise advantages (False: neither of ``advantage_normalization``'s choices)
    :param advantage_normalization: ``"batch"`` (whole rollout, official) or ``"minibatch"`` (SB3)
    :param ent_coef: entropy coefficient (joint entropy of ``a`` and ``z'``)
    :param vf_coef: value-loss coefficient
    :param max_grad_norm: gradient clipping (None: none, official)
    :param target_kl: early-stopping KL (None: none)
    :param stats_window_size: episodes in the rollout statistics
    :param tensorboard_log: TensorBoard folder
    :param policy_kwargs: :class:`S2PGActorCriticPolicy` arguments
    :param verbose: verbosity
    :param seed: seed
    :param device: torch device
    :param privileged_critic: not supported by S2PG-PPO (the official PPO value is not privileged); must be
    False
    :param rollout_buffer_class: rollout buffer class (default: :class:`S2PGRolloutBuffer`, SB3's
        ``DictRolloutBuffer`` that also stores ``log q(z'|.)``; any ``DictRolloutBuffer`` with ``ratio="joint"``)
    :param rollout_buffer_kwargs: its keyword arguments
    :param use_sde: gSDE exploration for a continuous (``Box``) action (SB3's; the zoo's ``ppo_lstm`` entries of the
        continuous NoVel tasks use it); ``z'`` keeps its Gaussian noise
    :param sde_sample_freq: redraw gSDE's exploration matrices every this many steps (-1: once per rollout)
    :param ratio: ``"joint"`` (official): one clipped surrogate with ``r = r^a r^z``; ``"factored"``: the sum
        of two clipped surrogates, one with ``r^a = pi^a / pi^a_old`` and one with ``r^z = q / q_old`` (same
        gradient at ``r = 1``, the stateful policy gradient; a large ``r^z``, which many ``z'`` dimensions
        or a small kernel noise produce, no longer clips the action's update, see docs/s2pg.md)
    :param z_coef: weight of the ``z'`` surrogate with ``ratio="factored"`` (>= 0; 0 trains the kernel only
        through the action head, a biased one-step gradient); must be 1.0 with ``"joint"``
    :param _init_setup_model: build the networks
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": S2PGActorCriticPolicy}
    z_bound = 1e4  # effectively unbounded; SB3 needs finite Box bounds
    default_z_dim = 128
    env_action_spaces = (spaces.Box, spaces.Discrete)

    def __init__(
        self,
        policy: str | type[S2PGActorCriticPolicy],
        env: GymEnv | str | None,
        z_dim: int | None = None,
        learning_rate: float | Schedule = 3e-4,
        n_steps: int = 2048,
        batch_size: int = 64,
        n_epochs: int = 10,
        gamma: float = 0.99,
        gae_lambda: float = 0.95,
        clip_range: float | Schedule = 0.2,
        clip_range_vf: float | Schedule | None = None,
        normalize_advantage: bool = True,
        advantage_normalization: str = "batch",
        ent_coef: float = 0.0,
        vf_coef: float = 0.5,
        max_grad_norm: float | None = None,
        target_kl: float | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        privileged_critic: bool = False,
        rollout_buffer_class: type | None = None,
        rollout_buffer_kwargs: dict[str, Any] | None = None,
        ratio: str = "joint",
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        z_coef: float = 1.0,
        _init_setup_model: bool = True,
    ) -> None:
        if privileged_critic:
            raise ValueError(
                "privileged_critic must be False for S2PGPPO (allowed: False); use S2PGSAC or S2PGTD3"
            )
        check_choice("advantage_normalization", advantage_normalization, ("batch", "minibatch"))
        _check_ratio(ratio, z_coef, rollout_buffer_class)
        self.ratio, self.z_coef = ratio, float(z_coef)
        check_at_least("n_epochs", n_epochs, 1)
        check_positive("max_grad_norm", max_grad_norm, allow_none=True)
        env = self._init_stateful(env, z_dim, False, verbose)
        self.advantage_normalization = advantage_normalization
        super().__init__(
            self._resolve_policy(policy),  # type: ignore[arg-type]
            env,  # type: ignore[arg-type]
            learning_rate=learning_rate,
            n_steps=n_steps,
            batch_size=batch_size,
            n_epochs=n_epochs,
            gamma=gamma,
            gae_lambda=gae_lambda,
            clip_range=clip_range,
            clip_range_vf=clip_range_vf,
            normalize_advantage=normalize_advantage,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,  # type: ignore[arg-type]
            use_sde=use_sde,
            sde_sample_freq=sde_sample_freq,
            rollout_buffer_class=rollout_buffer_class or S2PGRolloutBuffer,
            rollout_buffer_kwargs=rollout_buffer_kwargs,
            target_kl=target_kl,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=False,
        )
        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        self.policy_kwargs["n_discrete"] = self.action_layout.n_discrete
        # here, not in __init__: load() restores the two flags after constructing the model, then calls this
        self._normalize_rollout, self._normalize_minibatch = _advantage_normalizers(
            self.normalize_advantage, self.advantage_normalization
        )
        super()._setup_model()

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_normalize_rollout", "_normalize_minibatch"]

    def _minibatch_loss(
        self,
        data: Any,
        advantages: th.Tensor,
        clip_range: float,
        clip_range_vf: float | None,
    ) -> tuple[th.Tensor, dict[str, float]]:
        """PPO's loss on one minibatch with the joint ratio of ``(a, z')``, and its statistics.

        :param data: the minibatch (``DictRolloutBufferSamples``)
        :param advantages: its (normalised) advantages
        :param clip_range: PPO clip range
        :param clip_range_vf: value clip range (None: no clipping)
        :return: the loss and ``{"pg", "vf", "ent", "clip", "kl"}`` (policy and value losses, entropy, clip
            fraction, approximate KL)
        """
        if self.ratio == "joint":
            values, log_prob, entropy = self.policy.evaluate_actions(data.observations, data.actions)
            log_ratio = log_prob - data.old_log_prob
            ratio = th.exp(log_ratio)  # joint ratio of (a, z')
            policy_loss = _clipped_surrogate(advantages, ratio, clip_range)
        else:
            values, log_prob_a, log_prob_z, entropy = self.policy.evaluate_factored(
                data.observations, data.actions
            )
            log_ratio_z = log_prob_z - data.old_z_log_prob
            log_ratio_a = log_prob_a - (data.old_log_prob - data.old_z_log_prob)
            policy_loss = _clipped_surrogate(advantages, th.exp(log_ratio_a), clip_range)
            policy_loss = policy_loss + self.z_coef * _clipped_surrogate(
                advantages, th.exp(log_ratio_z), clip_range
            )
            log_ratio = log_ratio_a + log_ratio_z
            ratio = th.exp(log_ratio)
        values = values.flatten()
        if clip_range_vf is not None:
            values = data.old_values + th.clamp(values - data.old_values, -clip_range_vf, clip_range_vf)
        value_loss = F.mse_loss(data.returns, values)
        stats = (
            th.stack(
                [
                    policy_loss,
                    value_loss,
                    entropy.mean(),
                    ((ratio - 1).abs() > clip_range).float().mean(),
                    ((ratio - 1) - log_ratio).mean(),
                ]
            )
            .detach()
            .tolist()
        )  # one sync
        loss = policy_loss - self.ent_coef * entropy.mean() + self.vf_coef * value_loss
        return loss, dict(zip(_STATS, stats, strict=True))

    def train(self) -> None:
        """PPO's clipped surrogate with the joint ratio of ``(a, z')`` (paper Eq. 2 on the augmented MDP): SB3's
        ``PPO.train`` with the advantages normalised over the rollout, guarded steps and the z statistics."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        clip_range = self.clip_range(self._current_progress_remaining)  # type: ignore[operator]
        clip_range_vf = (
            None if self.clip_range_vf is None else self.clip_range_vf(self._current_progress_remaining)
        )  # type: ignore[operator]
        buffer = self.rollout_buffer
        if self.ratio == "factored":
            buffer.store_z_log_prob(self.policy.z_log_prob)
        buffer.advantages = self._normalize_rollout(buffer.advantages)
        params = list(self.policy.parameters())
        log = StepLog()
        logged: dict[str, list[float]] = {key: [] for key in _STATS}
        for epoch, data in minibatch_epochs(buffer, self.n_epochs, self.batch_size):
            advantages = self._normalize_minibatch(data.advantages)
            loss, stats = self._minibatch_loss(data, advantages, clip_range, clip_range_vf)
            if self.target_kl is not None and stats["kl"] > 1.5 * self.target_kl:
                # SB3's PPO: stop before the step that would take the policy too far
                logged["kl"].append(stats["kl"])
                if self.verbose >= 1:
                    print(f"Early stopping at step {epoch} due to reaching max kl: {stats['kl']:.2f}")
                break
            result = guarded_optimizer_step(
                self.policy.optimizer, params, lambda loss=loss: loss, self.max_grad_norm
            )  # type: ignore[arg-type]
            log.add(result)
            if result.accepted:
                for key, value in stats.items():
                    logged[key].append(value)
        self._n_updates += epoch + 1  # SB3 counts every epoch that started, the stopped one included
        self._log_train(logged, log, clip_range)

    def _log_train(self, logged: dict[str, list[float]], log: StepLog, clip_range: float) -> None:
        """Record the means of the accepted minibatches' statistics and the internal-state statistics."""
        for key, name in _STATS.items():
            record_mean(self.logger, f"train/{name}", logged[key])
        self._record_nonfinite(log.nonfinite)
        self.logger.record("train/clip_range", clip_range)
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record(
            "train/std",
            float(self.policy.log_std.detach().exp().mean()) if self.policy.log_std.numel() else 0.0,
        )
        z = th.as_tensor(self.rollout_buffer.observations["z"]).reshape(-1, self.z_dim)
        z_log_std = self.policy.z_log_std.detach()
        self._record_state_stats(z, gaussian_entropy(z_log_std), z_log_std.exp().mean())


#: the minibatch statistics of ``_minibatch_loss`` and the names SB3's PPO logs them under
_STATS = {
    "pg": "policy_gradient_loss",
    "vf": "value_loss",
    "ent": "entropy",
    "clip": "clip_fraction",
    "kl": "approx_kl",
}
_Advantages = TypeVar("_Advantages")


def _unchanged(advantages: _Advantages) -> _Advantages:
    return advantages


def _standardize_rollout(advantages: np.ndarray) -> np.ndarray:
    """``(A - mean) / (std + 1e-8)`` over the whole rollout (every step of every env)."""
    return (advantages - advantages.mean()) / (advantages.std() + 1e-8)


def _standardize_minibatch(advantages: th.Tensor) -> th.Tensor:
    """``(A - mean) / (std + 1e-8)`` of one minibatch (unbiased std); a minibatch of one is left as it is (SB3)."""
    if len(advantages) <= 1:
        return advantages
    return (advantages - advantages.mean()) / (advantages.std() + 1e-8)


def _advantage_normalizers(
    normalize_advantage: bool, advantage_normalization: str
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[th.Tensor], th.Tensor]]:
    """``(rollout, minibatch)``: what ``train`` applies to the rollout's advantages once, and to each minibatch's;
    ``normalize_advantage=False`` wins over ``advantage_normalization``."""
    if not normalize_advantage:
        return _unchanged, _unchanged
    if advantage_normalization == "batch":
        return _standardize_rollout, _unchanged
    return _unchanged, _standardize_minibatch


def _clipped_surrogate(advantages: th.Tensor, ratio: th.Tensor, clip_range: float) -> th.Tensor:
    """PPO's clipped surrogate loss ``-E[min(r A, clip(r, 1 - eps, 1 + eps) A)]``."""
    return -th.min(advantages * ratio, advantages * th.clamp(ratio, 1 - clip_range, 1 + clip_range)).mean()


def _check_ratio(ratio: str, z_coef: float, rollout_buffer_class: type | None) -> None:
    """ValueErrors for a bad ``ratio`` / ``z_coef`` or a rollout buffer that cannot serve ``ratio="factored"``."""
    check_choice("ratio", ratio, ("joint", "factored"))
    factored_buffer = rollout_buffer_class is None or issubclass(rollout_buffer_class, S2PGRolloutBuffer)
    if ratio == "factored" and not factored_buffer:
        raise ValueError(
            "rollout_buffer_class must be an S2PGRolloutBuffer subclass with ratio='factored' "
            f"(it stores log q(z'|.)); got {rollout_buffer_class!r}"
        )
    if isinstance(z_coef, bool) or not isinstance(z_coef, (int, float)) or not z_coef >= 0.0:
        raise ValueError(f"z_coef (weight of the z' surrogate) must be a number >= 0; got {z_coef!r}")
    if ratio == "joint" and z_coef != 1.0:
        raise ValueError(
            f"z_coef must be 1.0 with ratio='joint' (allowed: any >= 0 with 'factored'); got {z_coef!r}"
        )

"""S2PG-TD3: TD3 with a deterministic stateful policy, exploration and target noise on ``z'``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch as th
from stable_baselines3 import TD3
from stable_baselines3.common.noise import ActionNoise, NormalActionNoise
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import DictReplayBufferSamples, GymEnv, Schedule
from stable_baselines3.common.utils import polyak_update

from sb3_pgx.common.saving import AtomicSaveMixin
from sb3_pgx.common.stateful.kernel import gaussian_entropy
from sb3_pgx.common.stateful.mixins import StatefulOffPolicyMixin
from sb3_pgx.common.steps import StepLog, guarded_optimizer_step
from sb3_pgx.common.validation import check_positive
from sb3_pgx.s2pg.policies import S2PGTD3Policy


class S2PGTD3(AtomicSaveMixin, StatefulOffPolicyMixin, TD3):
    """Stochastic Stateful Policy Gradient with TD3 (Al-Hafez et al., ICLR 2024; official ``TD3_RS``).

    Deterministic outputs ``(mu^a, mu^z)`` of ``(o, z, a_prev)``; the kernel is made stochastic by exploration
    noise ``z' = clip(mu^z + N(0, std_z^2), -1, 1)``. Losses (reference B.4; deterministic stateful PG):

    - actor (every ``policy_delay`` steps): ``-Q_1(s, z, mu^a, mu^z, a_prev)``;
    - target: ``a'' = clip(mu^a' + clip(N(0, 0.2^2), +-0.5))``, ``z'' = clip(mu^z' + clip(N(0, (0.5 std_z)^2),
      +-1.25 std_z), -1, 1)``; ``y = r + gamma (1 - d) min_k Q'_k(s', z', a'', z'', a)``;
    - after each step the sampled transitions' stored ``z'`` are replaced by the current ``mu^z`` (reference
      B.3).

    Exploration noise: pass ``action_noise_std`` and ``z_noise_std`` (a joint ``NormalActionNoise`` is
    built); an ``action_noise`` of the joint size overrides it. A non-finite loss or gradient skips that step
    (weights untouched), counted in ``train/nonfinite_skips``.

    :param policy: ``"MlpPolicy"`` or an :class:`S2PGTD3Policy` subclass
    :param env: the env (``Box``, ``Discrete``, ``MultiDiscrete`` or ``MultiBinary`` observations; ``Box``
        actions of any shape) or its id
    :param z_dim: internal-state dimension (>= 1; default 32)
    :param learning_rate: learning rate (or schedule); official 1e-3
    :param buffer_size: replay size
    :param learning_starts: random-action steps before learning
    :param batch_size: minibatch size (official 100)
    :param tau: Polyak coefficient
    :param gamma: discount
    :param train_freq: update every ``train_freq`` steps
    :param gradient_steps: gradient steps per update
    :param action_noise_std: exploration std of ``a`` in the [-1, 1]-scaled space (official 0.1)
    :param z_noise_std: exploration std of ``z'`` (official 0.01-0.1)
    :param action_noise: joint ``[a; z']`` action noise overriding the two stds
    :param replay_buffer_class: None or a :class:`~sb3_pgx.common.stateful.buffers.StatefulReplayBuffer` subclass
    :param replay_buffer_kwargs: its keyword arguments
    :param policy_delay: critic steps per actor step
    :param target_policy_noise: target smoothing std of ``a``
    :param target_noise_clip: its clip
    :param z_target_noise: target smoothing std of ``z'`` (None: ``0.5 z_noise_std``)
    :param z_target_noise_clip: its clip (None: ``1.25 z_noise_std``)
    :param z_refresh_tau: replay refresh of ``z'`` (1: replace, 0: off)
    :param privileged_critic: feed the env's privileged state to the critic
    :param stats_window_size: episodes in the rollout statistics
    :param tensorboard_log: TensorBoard folder
    :param policy_kwargs: :class:`S2PGTD3Policy` arguments
    :param verbose: verbosity
    :param seed: seed
    :param device: torch device
    :param _init_setup_model: build the networks
    """

    default_log_interval = 4  # SB3's off-policy default

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": S2PGTD3Policy}

    def __init__(
        self,
        policy: str | type[S2PGTD3Policy],
        env: GymEnv | str | None,
        z_dim: int | None = None,
        learning_rate: float | Schedule = 1e-3,
        buffer_size: int = 1_000_000,
        learning_starts: int = 100,
        batch_size: int = 100,
        tau: float = 0.005,
        gamma: float = 0.99,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 1,
        action_noise_std: float = 0.1,
        z_noise_std: float = 0.1,
        action_noise: ActionNoise | None = None,
        replay_buffer_class: type | None = None,
        replay_buffer_kwargs: dict[str, Any] | None = None,
        policy_delay: int = 2,
        target_policy_noise: float = 0.2,
        target_noise_clip: float = 0.5,
        z_target_noise: float | None = None,
        z_target_noise_clip: float | None = None,
        z_refresh_tau: float = 1.0,
        privileged_critic: bool = False,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        for name, value in (("action_noise_std", action_noise_std), ("z_noise_std", z_noise_std)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        check_positive("z_target_noise", z_target_noise, allow_none=True)
        check_positive("z_target_noise_clip", z_target_noise_clip, allow_none=True)
        env = self._init_stateful(env, z_dim, privileged_critic, verbose)
        self._init_off_policy(replay_buffer_class, z_refresh_tau)
        self.action_noise_std, self.z_noise_std = float(action_noise_std), float(z_noise_std)
        self.z_target_noise = 0.5 * self.z_noise_std if z_target_noise is None else float(z_target_noise)
        self.z_target_noise_clip = (
            1.25 * self.z_noise_std if z_target_noise_clip is None else float(z_target_noise_clip)
        )
        if action_noise is None and env is not None:
            layout = self.action_layout
            sigma = np.r_[
                np.full(layout.action_dim, self.action_noise_std), np.full(self.z_dim, self.z_noise_std)
            ]
            action_noise = NormalActionNoise(np.zeros_like(sigma), sigma)
        super().__init__(
            self._resolve_policy(policy),  # type: ignore[arg-type]
            env,  # type: ignore[arg-type]
            learning_rate=learning_rate,
            buffer_size=buffer_size,
            learning_starts=learning_starts,
            batch_size=batch_size,
            tau=tau,
            gamma=gamma,
            train_freq=train_freq,
            gradient_steps=gradient_steps,
            action_noise=action_noise,
            replay_buffer_class=replay_buffer_class,
            replay_buffer_kwargs=replay_buffer_kwargs,
            policy_delay=policy_delay,
            target_policy_noise=target_policy_noise,
            target_noise_clip=target_noise_clip,
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

    def _target_noise(self, like: th.Tensor) -> th.Tensor:
        """Per-dimension clipped target smoothing noise: ``a`` (0.2, 0.5), ``z'`` (0.5 std_z, 1.25 std_z)."""
        a_dim = like.shape[1] - self.z_dim
        std = th.cat(
            [
                like.new_full((a_dim,), self.target_policy_noise),
                like.new_full((self.z_dim,), self.z_target_noise),
            ]
        )
        clip = th.cat(
            [
                like.new_full((a_dim,), self.target_noise_clip),
                like.new_full((self.z_dim,), self.z_target_noise_clip),
            ]
        )
        noise = th.randn_like(like) * std
        return th.maximum(th.minimum(noise, clip), -clip)

    def _actor_update(self, data: DictReplayBufferSamples, critic_accepted: bool, log: StepLog) -> None:
        """Guarded actor step on ``-Q_1(s, z, mu^a, mu^z, a_prev)``, then the Polyak updates of both targets
        (only when this gradient step's critic and actor steps were both taken).

        :param data: the sampled transitions
        :param critic_accepted: whether this gradient step's critic step was taken
        :param log: the actor's step record
        """
        # deterministic stateful PG: gradients reach the kernel through dQ/dz'
        result = guarded_optimizer_step(
            self.actor.optimizer,
            list(self.actor.parameters()),
            lambda: -self.critic.q1_forward(data.observations, self.actor(data.observations)).mean(),
        )
        log.add(result)
        if not (critic_accepted and result.accepted):
            return
        polyak_update(self.critic.parameters(), self.critic_target.parameters(), self.tau)
        polyak_update(self.actor.parameters(), self.actor_target.parameters(), self.tau)
        polyak_update(self.critic_batch_norm_stats, self.critic_batch_norm_stats_target, 1.0)
        polyak_update(self.actor_batch_norm_stats, self.actor_batch_norm_stats_target, 1.0)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        """Per gradient step, on one replay minibatch: a guarded critic step on the smoothed target; every
        ``policy_delay`` steps, the actor's step and, when both steps were taken, the targets' Polyak updates;
        and the refresh of the minibatch's ``z'`` with the current kernel's mean. Then the logs.

        :param gradient_steps: the number of gradient steps
        :param batch_size: the replay minibatch size
        """
        self.policy.set_training_mode(True)
        self._update_learning_rate([self.actor.optimizer, self.critic.optimizer])
        actor_log, critic_log = StepLog(), StepLog()
        refresh_skips = 0  # refreshes refused because z' was not finite
        z_batches = []
        for _ in range(gradient_steps):
            self._n_updates += 1
            data = self.replay_buffer.sample(batch_size)
            with th.no_grad():
                next_joint = (
                    self.actor_target(data.next_observations) + self._target_noise(data.actions)
                ).clamp(-1, 1)
                next_q = th.min(
                    th.cat(self.critic_target(data.next_observations, next_joint), dim=1), dim=1, keepdim=True
                ).values
                target_q = data.rewards + (1 - data.dones) * self.gamma * next_q
            critic_accepted = self._critic_step(data, target_q, critic_log)
            if self._n_updates % self.policy_delay == 0:
                self._actor_update(data, critic_accepted, actor_log)
            with th.no_grad():  # replay refresh of z' with the current deterministic kernel (reference B.3)
                z_next = self.actor(data.observations)[:, -self.z_dim :]
            refresh_skips += not self.replay_buffer.refresh(z_next, self.z_refresh_tau)
            z_batches.append(data.observations["z"])
        z = th.cat(z_batches) if z_batches else th.zeros(1, self.z_dim)
        # entropy of the exploration kernel N(mu^z, std_z^2) (before clipping)
        z_entropy = float(
            gaussian_entropy(th.full((self.z_dim,), float(np.log(max(self.z_noise_std, 1e-12)))))
        )
        self._log_off_policy(actor_log, critic_log, z, z_entropy, self.z_noise_std, {}, refresh_skips)

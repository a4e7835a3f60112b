"""The part of S2PG-SAC and S2PG-TD3 they share: replay buffer with z and z', guarded critic step, refresh of
z'."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.type_aliases import DictReplayBufferSamples
from torch.nn import functional as F

from sb3_pgx.common.base import record_mean
from sb3_pgx.common.steps import StepLog, guarded_optimizer_step
from sb3_pgx.s2pg.common import (
    StatefulAlgorithmMixin,
    StatefulReplayBuffer,
    check_refresh_tau,
    reject_vec_normalize_obs,
)


class StatefulOffPolicyMixin(StatefulAlgorithmMixin):
    """Replay buffer that stores ``z``/``z'`` and refreshes ``z'`` (reference B.3), the critic step on
    ``Q(s, z, a, z', a_prev)`` and the shared logs. ``z'`` lives in [-1, 1] (tanh-squashed or clipped)."""

    z_bound = 1.0
    default_z_dim = 32
    z_refresh_tau: float
    replay_buffer: StatefulReplayBuffer

    def _init_off_policy(self, replay_buffer_class: type | None, z_refresh_tau: float) -> None:
        if replay_buffer_class not in (None, StatefulReplayBuffer) and not (
            isinstance(replay_buffer_class, type) and issubclass(replay_buffer_class, StatefulReplayBuffer)
        ):
            raise ValueError(
                "replay_buffer_class must be None or a StatefulReplayBuffer subclass, "
                f"got {replay_buffer_class!r}"
            )
        check_refresh_tau(z_refresh_tau)
        self.z_refresh_tau = float(z_refresh_tau)

    def _setup_model(self) -> None:
        reject_vec_normalize_obs(self.env)  # type: ignore[attr-defined]
        if self.replay_buffer_class is None:  # type: ignore[has-type]
            self.replay_buffer_class = StatefulReplayBuffer
        self.replay_buffer_kwargs = {**(self.replay_buffer_kwargs or {}), "z_dim": self.z_dim}  # type: ignore[has-type]
        super()._setup_model()  # type: ignore[misc]

    def _critic_step(self, data: DictReplayBufferSamples, target_q: th.Tensor, log: StepLog) -> bool:
        """One guarded step on ``sum_k MSE(Q_k(s, z, a, z', a_prev), y)``; returns whether it was taken."""
        critic = self.critic  # type: ignore[attr-defined]

        def loss_fn() -> th.Tensor:
            return sum(F.mse_loss(q, target_q) for q in critic(data.observations, data.actions))  # type: ignore[return-value]

        result = guarded_optimizer_step(critic.optimizer, list(critic.parameters()), loss_fn)
        log.add(result)
        return result.accepted

    def _log_off_policy(
        self,
        actor_log: StepLog,
        critic_log: StepLog,
        z: th.Tensor,
        z_entropy: float,
        z_noise: float,
        extra: dict[str, Any],
        other_skips: int = 0,
    ) -> None:
        """Record the losses, ``train/nonfinite_skips`` (actor, critic, ``other_skips`` and the non-finite steps
        the replay buffer did not store), ``extra`` (key ->
        values to average) and the internal-state statistics."""
        logger = self.logger  # type: ignore[attr-defined]
        logger.record("train/n_updates", self._n_updates, exclude="tensorboard")  # type: ignore[attr-defined]
        record_mean(logger, "train/actor_loss", [x for x in actor_log.losses if np.isfinite(x)])
        record_mean(logger, "train/critic_loss", [x for x in critic_log.losses if np.isfinite(x)])
        dropped = self.replay_buffer.pop_dropped()
        self._record_nonfinite(actor_log.nonfinite + critic_log.nonfinite + other_skips + dropped)
        for key, values in extra.items():
            record_mean(logger, key, values)
        self._record_state_stats(z, z_entropy, z_noise)

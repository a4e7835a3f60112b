"""The rollout buffer of S2PG-PPO: SB3's ``DictRolloutBuffer`` plus the rollout policy's ``log q(z'|.)`` per
transition, which the factored ratio (``ratio="factored"``) needs to split the stored joint log-probability
into its action and internal-state parts."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import NamedTuple

import numpy as np
import torch as th
from stable_baselines3.common.buffers import DictRolloutBuffer
from stable_baselines3.common.type_aliases import TensorDict
from stable_baselines3.common.vec_env import VecNormalize


class S2PGRolloutSamples(NamedTuple):
    """``DictRolloutBufferSamples`` with ``old_z_log_prob`` (``log q_old(z'|.)``)."""

    observations: TensorDict
    actions: th.Tensor
    old_values: th.Tensor
    old_log_prob: th.Tensor
    advantages: th.Tensor
    returns: th.Tensor
    old_z_log_prob: th.Tensor


class S2PGRolloutBuffer(DictRolloutBuffer):
    """Stores the rollout's ``log q_old(z'|.)`` (set with :meth:`store_z_log_prob` after the rollout, before the
    first :meth:`get`) and returns it with every minibatch."""

    z_log_probs: np.ndarray

    def reset(self) -> None:
        super().reset()
        self.z_log_probs = np.zeros((self.buffer_size, self.n_envs), dtype=np.float32)

    def store_z_log_prob(self, z_log_prob: Callable[[TensorDict, th.Tensor], th.Tensor]) -> None:
        """Fill ``z_log_probs`` with ``z_log_prob(observations, actions)`` of the (unflattened) rollout.

        :param z_log_prob: the rollout policy's ``log q(z'|.)`` of a batch
        """
        assert not self.generator_ready, "store_z_log_prob must be called before get()"
        n = self.buffer_size * self.n_envs
        obs = {
            key: self.to_torch(value.reshape(n, *value.shape[2:])) for key, value in self.observations.items()
        }
        with th.no_grad():
            values = z_log_prob(obs, self.to_torch(self.actions.reshape(n, -1).astype(np.float32)))
        self.z_log_probs = values.cpu().numpy().reshape(self.buffer_size, self.n_envs)

    def get(self, batch_size: int | None = None) -> Generator[S2PGRolloutSamples, None, None]:  # type: ignore[override]
        if not self.generator_ready:
            self.z_log_probs = self.swap_and_flatten(self.z_log_probs)
        yield from super().get(batch_size)  # type: ignore[misc]

    def _get_samples(  # type: ignore[override]
        self, batch_inds: np.ndarray, env: VecNormalize | None = None
    ) -> S2PGRolloutSamples:
        samples = super()._get_samples(batch_inds, env)
        return S2PGRolloutSamples(
            *samples, old_z_log_prob=self.to_torch(self.z_log_probs[batch_inds].flatten())
        )

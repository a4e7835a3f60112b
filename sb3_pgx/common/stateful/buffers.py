"""The buffers of the S2PG algorithms: the replay buffer of S2PG-SAC/TD3 that stores and refreshes ``z'``, and
the rollout buffer of S2PG-PPO: SB3's ``DictRolloutBuffer`` plus the rollout policy's ``log q(z'|.)`` per
transition, which the factored ratio (``ratio="factored"``) needs to split the stored joint log-probability
into its action and internal-state parts."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.buffers import DictReplayBuffer, DictRolloutBuffer
from stable_baselines3.common.type_aliases import DictReplayBufferSamples, TensorDict
from stable_baselines3.common.vec_env import VecNormalize

from sb3_pgx.common.stateful.type_aliases import S2PGRolloutSamples


class StatefulReplayBuffer(DictReplayBuffer):
    """Replay buffer of S2PG-SAC/TD3: each transition stores ``z`` (in the observation), ``z'`` (in the joint
    action and the next observation) and ``a_prev``; no sequences. :meth:`refresh` overwrites the last
    sampled transitions' ``z'`` with a fresh sample of the current kernel (``new_state_update_tau`` in the
    official code, reference B.3): in the joint action, in the next observation, and in the observation of the
    following transition unless the sampled one ended an episode or is the newest.

    :param args: ``DictReplayBuffer``'s positional arguments (``buffer_size``, ``observation_space``,
        ``action_space``, ...)
    :param z_dim: internal-state size (the last ``z_dim`` entries of each joint action)
    :param kwargs: ``DictReplayBuffer`` arguments (``optimize_memory_usage`` must be False)
    """

    def __init__(self, *args: Any, z_dim: int, **kwargs: Any) -> None:
        if kwargs.get("optimize_memory_usage", False):
            raise ValueError(
                "optimize_memory_usage must be False for the S2PG replay buffer (allowed: False): it refreshes "
                "z' in the next observations, which that option does not store"
            )
        super().__init__(*args, **kwargs)
        self.z_dim = int(z_dim)
        self.last_batch_inds: np.ndarray | None = None
        self.last_env_inds: np.ndarray | None = None
        #: True where the next stored transition does not follow this one (a non-finite step was dropped)
        self.chain_ends = np.zeros((self.buffer_size, self.n_envs), dtype=bool)
        #: non-finite steps not stored since the last :meth:`pop_dropped`
        self.dropped = 0

    def add(
        self,
        obs: dict[str, np.ndarray],
        next_obs: dict[str, np.ndarray],
        action: np.ndarray,
        reward: np.ndarray,
        done: np.ndarray,
        infos: list[dict[str, Any]],
    ) -> None:
        """Store one step of every env, unless a value in it is non-finite: then nothing of it is stored, the
        step is counted in :attr:`dropped`, and the last stored transitions become ends of their ``z`` chains
        (a refresh does not write their ``z'`` into a transition that does not follow them).

        :param obs: the augmented observations
        :param next_obs: the augmented next observations (``terminal_observation`` where an episode ended)
        :param action: the joint actions ``[a; z']``
        :param reward: the rewards
        :param done: the episode ends
        :param infos: the env's infos (for the timeouts)
        """
        values = [*obs.values(), *next_obs.values(), action, reward]
        if not all(np.isfinite(v).all() for v in values):  # one check per array, no copies
            self.dropped += 1
            self.chain_ends[(self.pos - 1) % self.buffer_size] = True
            return
        self.chain_ends[self.pos] = False
        super().add(obs, next_obs, action, reward, done, infos)

    def pop_dropped(self) -> int:
        """The number of steps dropped since the last call."""
        dropped, self.dropped = self.dropped, 0
        return dropped

    def _get_samples(
        self, batch_inds: np.ndarray, env: VecNormalize | None = None
    ) -> DictReplayBufferSamples:  # type: ignore[override]
        env_inds = np.random.randint(0, high=self.n_envs, size=(len(batch_inds),))
        self.last_batch_inds, self.last_env_inds = batch_inds, env_inds
        obs = {key: self.to_torch(v[batch_inds, env_inds]) for key, v in self.observations.items()}
        next_obs = {key: self.to_torch(v[batch_inds, env_inds]) for key, v in self.next_observations.items()}
        dones = self.dones[batch_inds, env_inds] * (1 - self.timeouts[batch_inds, env_inds])
        return DictReplayBufferSamples(
            observations=obs,
            actions=self.to_torch(self.actions[batch_inds, env_inds]),
            next_observations=next_obs,
            dones=self.to_torch(dones).reshape(-1, 1),
            rewards=self.to_torch(self.rewards[batch_inds, env_inds].reshape(-1, 1)),
        )

    def refresh(self, z_next: th.Tensor, tau: float = 1.0) -> bool:
        """Move the last sampled transitions' ``z'`` towards ``z_next`` (``tau = 1``: replace).

        :param z_next: one fresh ``z'`` per sampled transition
        :param tau: refresh rate (0: off)
        :return: False when ``z_next`` is not finite (the buffer is left as it was), else True
        """
        if self.last_batch_inds is None or tau == 0.0:
            return True
        b, e = self.last_batch_inds, self.last_env_inds
        self.last_batch_inds = self.last_env_inds = None
        if not bool(th.isfinite(z_next).all()):
            return False
        new = z_next.detach().cpu().numpy().astype(self.actions.dtype).reshape(len(b), self.z_dim)
        if tau != 1.0:
            new = (1.0 - tau) * self.actions[b, e, -self.z_dim :] + tau * new
        self.actions[b, e, -self.z_dim :] = new
        self.next_observations["z"][b, e] = new
        newest = (self.pos - 1) % self.buffer_size
        follows = (self.dones[b, e] == 0) & (b != newest) & ~self.chain_ends[b, e]
        self.observations["z"][(b[follows] + 1) % self.buffer_size, e[follows]] = new[follows]
        return True


class S2PGRolloutBuffer(DictRolloutBuffer):
    """Stores the rollout's ``log q_old(z'|.)`` (set with :meth:`store_z_log_prob` after the rollout, before the
    first :meth:`get`) and returns it with every minibatch."""

    z_log_probs: np.ndarray

    def reset(self) -> None:
        """SB3's ``reset``, plus zeroed ``z_log_probs``."""
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
        """SB3's ``get``, with ``old_z_log_prob`` in every minibatch.

        :param batch_size: the minibatch size (None: the whole rollout as one batch)
        """
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

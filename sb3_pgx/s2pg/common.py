"""What every S2PG algorithm shares: the internal-state configuration, the augmented env, RecurrentPPO-style
``predict``, save/load of the configuration, the replay buffer that stores and refreshes ``z'``, and
logging."""

from __future__ import annotations

import contextlib
import contextvars
import io
import pathlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.buffers import DictReplayBuffer
from stable_baselines3.common.save_util import load_from_zip_file
from stable_baselines3.common.type_aliases import DictReplayBufferSamples, GymEnv
from stable_baselines3.common.utils import is_vectorized_observation
from stable_baselines3.common.vec_env import VecEnv, VecNormalize, unwrap_vec_wrapper

from sb3_pgx.common.runs import ClassNamedRunsMixin
from sb3_pgx.common.validation import check_at_least, check_in_open_interval
from sb3_pgx.s2pg.vec_env import ActionLayout, S2PGVecEnv

StatefulState = tuple[np.ndarray, np.ndarray]

#: ``(z_dim, privileged_critic)`` of the model ``load`` is rebuilding (None outside ``load``)
_SAVED_CONFIG: contextvars.ContextVar[tuple[int, bool] | None] = contextvars.ContextVar(
    "s2pg_saved_config", default=None
)


@contextlib.contextmanager
def _saved_config(z_dim: int, privileged_critic: bool) -> Iterator[None]:
    """While SB3's ``load`` constructs the model, its internal-state configuration is the saved one."""
    token = _SAVED_CONFIG.set((z_dim, privileged_critic))
    try:
        yield
    finally:
        _SAVED_CONFIG.reset(token)


class StatefulAlgorithmMixin(ClassNamedRunsMixin):
    """Put it right after ``AtomicSaveMixin`` in the bases of an S2PG algorithm.

    The algorithm trains on :class:`S2PGVecEnv` (observation ``Dict(obs, z, prev_action[, privileged])``,
    action ``[a; z']``); ``model.observation_space`` / ``action_space`` are these augmented spaces,
    ``model.env_action_space`` is the env's own. ``predict`` takes the env's observations and carries
    ``state = (z, a_prev)`` like sb3-contrib's ``RecurrentPPO`` (zeroed where ``episode_start`` is True), so
    ``evaluate_policy`` and ``rl_zoo3.enjoy`` work.
    """

    #: bound of z' (inf: unbounded Gaussian for PPO; 1 for the squashed/clipped off-policy kernels)
    z_bound: float = np.inf
    #: default internal-state size (official code: 128 for PPO, 32 for SAC/TD3)
    default_z_dim: int = 32
    #: action spaces of the env this algorithm accepts
    env_action_spaces: tuple[type[spaces.Space], ...] = (spaces.Box,)

    z_dim: int
    privileged_critic: bool
    env_action_space: spaces.Space
    #: skipped non-finite updates and (SAC/TD3) non-finite steps not stored, since the model was created
    nonfinite_skips_total: int = 0

    def _record_nonfinite(self, skips: int) -> None:
        """Add ``skips`` to :attr:`nonfinite_skips_total`; log both as ``train/nonfinite_skips(_total)``."""
        self.nonfinite_skips_total += skips
        self.logger.record("train/nonfinite_skips", skips)  # type: ignore[attr-defined]
        self.logger.record("train/nonfinite_skips_total", self.nonfinite_skips_total)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- configuration and env
    def _init_stateful(
        self, env: GymEnv | str | None, z_dim: int | None, privileged_critic: bool, verbose: int
    ) -> VecEnv | None:
        """Validate the configuration and wrap ``env``; call before ``super().__init__``."""
        saved = _SAVED_CONFIG.get()
        if saved is not None:  # load(): SB3 constructs the model without its configuration
            z_dim, privileged_critic = saved
        elif isinstance(env, S2PGVecEnv) and z_dim is None:
            z_dim = env.z_dim  # load(): the env was wrapped from the saved configuration
        z_dim = self.default_z_dim if z_dim is None else z_dim
        if isinstance(z_dim, bool) or not isinstance(z_dim, (int, np.integer)):
            raise ValueError(f"z_dim (internal-state dimension) must be an integer >= 1, got {z_dim!r}")
        check_at_least("z_dim (internal-state dimension)", int(z_dim), 1)
        self.z_dim = int(z_dim)
        self.privileged_critic = bool(privileged_critic)
        if env is None:
            return None
        return self._stateful_env(env, verbose)

    def _stateful_env(self, env: GymEnv | str, verbose: int = 0) -> S2PGVecEnv:
        if isinstance(env, S2PGVecEnv):
            if env.z_dim != self.z_dim or env.privileged != self.privileged_critic:
                raise ValueError(
                    f"the env's internal state (z_dim={env.z_dim}, privileged={env.privileged}) "
                    "does not match the "
                    f"model's (z_dim={self.z_dim}, privileged_critic={self.privileged_critic})"
                )
            venv = env
        else:
            if isinstance(env, str):
                from stable_baselines3.common.env_util import make_vec_env

                env = make_vec_env(env, n_envs=1)
            base = BaseAlgorithm._wrap_env(env, verbose, monitor_wrapper=True)
            if not isinstance(base.action_space, self.env_action_spaces):
                allowed = ", ".join(s.__name__ for s in self.env_action_spaces)
                raise ValueError(
                    f"unsupported action_space {base.action_space!r} for {type(self).__name__}: "
                    f"allowed are {allowed}"
                )
            venv = S2PGVecEnv(base, self.z_dim, self.z_bound, self.privileged_critic)
        self.env_action_space = venv.venv.action_space
        return venv

    def _resolve_policy(self, policy: str | type) -> str | type:
        """``"MlpPolicy"`` names this algorithm's stateful policy (SB3 would demand ``MultiInputPolicy`` for
        the augmented ``Dict`` observation)."""
        if isinstance(policy, str):
            aliases = self.policy_aliases  # type: ignore[attr-defined]
            if policy not in aliases and policy != "MultiInputPolicy":
                raise ValueError(
                    f"policy must be one of {', '.join(map(repr, aliases))} or a policy class; got {policy!r}"
                )
            return aliases.get(policy, aliases["MlpPolicy"])
        return policy

    @property
    def action_layout(self) -> ActionLayout:
        return ActionLayout(self.env_action_space, self.z_dim, self.z_bound)

    def get_env(self) -> VecEnv | None:
        """The env the user passed (without the internal S2PG wrapper), so callbacks and ``evaluate_policy``
        see the env's own observations."""
        env = super().get_env()  # type: ignore[misc]
        return env.venv if isinstance(env, S2PGVecEnv) else env

    def set_env(self, env: GymEnv, force_reset: bool = True) -> None:
        super().set_env(self._stateful_env(env, getattr(self, "verbose", 0)), force_reset)  # type: ignore[misc]

    @classmethod
    def load(  # type: ignore[override]
        cls,
        path: str | pathlib.Path | io.BufferedIOBase,
        env: GymEnv | None = None,
        device: th.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
        **kwargs: Any,
    ):
        """SB3's ``load``; the saved internal-state configuration is checked against ``kwargs`` and applied
        to ``env``."""
        data, _, _ = load_from_zip_file(path, device=device, custom_objects=custom_objects)
        if data is None or "z_dim" not in data:
            raise ValueError(
                f"{path!r} is not a saved {cls.__name__} model (no internal-state configuration)"
            )
        for key in ("z_dim", "privileged_critic"):
            if key in kwargs and kwargs[key] != data[key]:
                raise ValueError(
                    f"cannot load a model saved with {key}={data[key]!r} as {key}={kwargs[key]!r}: "
                    "the internal state's configuration is part of the model"
                )
        if isinstance(path, io.BufferedIOBase):
            path.seek(0)
        config = (int(data["z_dim"]), bool(data["privileged_critic"]))
        if env is not None:
            loader = cls.__new__(cls)
            loader.z_dim, loader.privileged_critic = config
            env = loader._stateful_env(env, data.get("verbose", 0))
        with _saved_config(*config):
            return super().load(path, env, device, custom_objects, print_system_info, force_reset, **kwargs)  # type: ignore[misc]

    # ---------------------------------------------------------------- acting
    def predict(  # type: ignore[override]
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: StatefulState | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, StatefulState | None]:
        """Act from the env's observation(s), carrying ``state = (z, a_prev)``.

        :param observation: one observation or a batch (one per env). An augmented ``Dict`` observation (what
            the internal wrapper produces) is passed to the policy unchanged and returns the joint action.
        :param state: ``(z, a_prev)`` returned by the previous call, or None (zeros)
        :param episode_start: per env, True where an episode starts (its state is zeroed)
        :param deterministic: use the means of ``a`` and ``z'``
        :return: the action(s) and the next state
        """
        if isinstance(observation, dict):
            return self.policy.predict(observation, state, episode_start, deterministic)  # type: ignore[attr-defined]
        obs_space = self.observation_space["obs"]  # type: ignore[attr-defined]
        obs = np.asarray(observation)
        vectorized = is_vectorized_observation(obs, obs_space)
        obs = obs.reshape((-1, *obs_space.shape))
        n, layout = obs.shape[0], self.action_layout
        if state is None:
            z, prev = np.zeros((n, self.z_dim), np.float32), np.zeros((n, layout.prev_dim), np.float32)
        else:
            z, prev = (np.array(s, dtype=np.float32).reshape(n, -1) for s in state)
        if episode_start is not None:
            starts = np.asarray(episode_start, dtype=bool).reshape(-1)
            z[starts], prev[starts] = 0.0, 0.0
        aug = {"obs": obs, "z": z, "prev_action": prev}
        if "privileged" in self.observation_space.spaces:  # type: ignore[attr-defined]
            aug["privileged"] = np.zeros((n, *self.observation_space["privileged"].shape), np.float32)  # type: ignore[attr-defined]
        joint, _ = self.policy.predict(aug, deterministic=deterministic)  # type: ignore[attr-defined]
        actions, z_next = layout.split(joint)
        next_state = (z_next, layout.encode(actions))
        if not vectorized:
            actions = actions.squeeze(axis=0)  # an np.ndarray, also for one Discrete action (SB3)
        return actions, next_state

    # ---------------------------------------------------------------- logging
    def _record_state_stats(
        self, z: th.Tensor, z_entropy: th.Tensor | float, z_noise_std: th.Tensor | float
    ) -> None:
        """TensorBoard scalars of the internal state: |z|, its spread across samples, entropy and noise of
        q(z'|.)."""
        logger = self.logger  # type: ignore[attr-defined]
        logger.record("s2pg/z_abs_mean", float(z.abs().mean()))
        logger.record("s2pg/z_std", float(z.std(0).mean()) if z.shape[0] > 1 else 0.0)
        logger.record("s2pg/z_entropy", float(z_entropy))
        logger.record("s2pg/z_noise_std", float(z_noise_std))


class StatefulReplayBuffer(DictReplayBuffer):
    """Replay buffer of S2PG-SAC/TD3: each transition stores ``z`` (in the observation), ``z'`` (in the joint
    action and the next observation) and ``a_prev``; no sequences. :meth:`refresh` overwrites the last
    sampled transitions' ``z'`` with a fresh sample of the current kernel (``new_state_update_tau`` in the
    official code, reference B.3): in the joint action, in the next observation, and in the observation of the
    following transition unless the sampled one ended an episode or is the newest.

    :param z_dim: internal-state size (the last ``z_dim`` entries of each joint action)
    :param kwargs: ``DictReplayBuffer`` arguments (``optimize_memory_usage`` must be False)
    """

    def __init__(self, *args: Any, z_dim: int, **kwargs: Any) -> None:
        if kwargs.get("optimize_memory_usage", False):
            raise ValueError("optimize_memory_usage must be False for the S2PG replay buffer")
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
        (a refresh does not write their ``z'`` into a transition that does not follow them)."""
        values = [*obs.values(), *next_obs.values(), action, reward]
        if not all(np.isfinite(np.asarray(v, dtype=np.float64)).all() for v in values):
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


def reject_sde(use_sde: bool) -> None:
    """S2PG accepts ``use_sde`` / ``sde_sample_freq`` (the zoo's ``ppo_lstm`` / ``sac`` entries set them) only
    to reject gSDE with a ValueError instead of a TypeError."""
    if use_sde:
        raise ValueError(
            "use_sde must be False for S2PG (allowed: False): gSDE is not implemented for the joint distribution "
            "of (a, z'); drop use_sde and sde_sample_freq from the hyperparameters (e.g. of a copied zoo entry)"
        )


def check_refresh_tau(value: float) -> None:
    if not 0.0 <= value <= 1.0:
        check_in_open_interval("z_refresh_tau (allowed: [0, 1])", value, 0.0, 1.0)


def reject_vec_normalize_obs(env: VecEnv | None) -> None:
    """Off-policy S2PG stores augmented observations; SB3's VecNormalize-aware storage would store the
    env's."""
    if env is None:
        return
    normalize = unwrap_vec_wrapper(env, VecNormalize)
    if normalize is not None:
        raise ValueError(
            "S2PG-SAC/TD3 do not support VecNormalize (normalize: false in the zoo); "
            "normalise observations in the "
            "env instead"
        )

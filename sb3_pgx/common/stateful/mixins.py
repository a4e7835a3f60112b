"""The algorithm mixins of S2PG: what every S2PG algorithm shares (the internal-state configuration, the
augmented env, RecurrentPPO-style ``predict``, save/load of the configuration, logging) and what S2PG-SAC and
S2PG-TD3 share (replay buffer with z and z', guarded critic step, refresh of z')."""

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
from stable_baselines3.common.save_util import load_from_zip_file
from stable_baselines3.common.type_aliases import DictReplayBufferSamples, GymEnv
from stable_baselines3.common.utils import is_vectorized_observation
from stable_baselines3.common.vec_env import VecEnv
from torch.nn import functional as F

from sb3_pgx.common.runs import ClassNamedRunsMixin
from sb3_pgx.common.stateful.buffers import StatefulReplayBuffer
from sb3_pgx.common.stateful.type_aliases import StatefulState
from sb3_pgx.common.stateful.validation import check_refresh_tau, reject_vec_normalize_obs
from sb3_pgx.common.stateful.vec_env import ActionLayout, S2PGVecEnv
from sb3_pgx.common.steps import StepLog, guarded_optimizer_step, record_mean
from sb3_pgx.common.validation import check_at_least

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
        """The layout of the joint action ``[a; z']`` of the env's action space and this model's ``z``."""
        return ActionLayout(self.env_action_space, self.z_dim, self.z_bound)

    def get_env(self) -> VecEnv | None:
        """The env the user passed (without the internal S2PG wrapper), so callbacks and ``evaluate_policy``
        see the env's own observations."""
        env = super().get_env()  # type: ignore[misc]
        return env.venv if isinstance(env, S2PGVecEnv) else env

    def set_env(self, env: GymEnv, force_reset: bool = True) -> None:
        """SB3's ``set_env`` on ``env`` wrapped in :class:`S2PGVecEnv` with this model's configuration.

        :param env: the new env (an :class:`S2PGVecEnv` must match ``z_dim`` and ``privileged_critic``)
        :param force_reset: reset the env before the next ``learn`` (SB3's)
        """
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
        to ``env``.

        :param path: the saved model (a path or an open file)
        :param env: the env to attach (wrapped with the saved ``z_dim`` and ``privileged_critic``), or None
        :param device: the device to load onto
        :param custom_objects: replacements for objects that cannot be deserialised (SB3's)
        :param print_system_info: print the saving and the current system's info (SB3's)
        :param force_reset: reset the env before the next ``learn`` (SB3's)
        :param kwargs: attributes to set on the loaded model; ``z_dim`` / ``privileged_critic``, if given,
            must equal the saved ones (a ValueError otherwise)
        """
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

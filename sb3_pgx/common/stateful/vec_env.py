"""The augmented problem of a stochastic stateful policy, as a ``VecEnvWrapper``.

S2PG treats ``(o, z, a_prev)`` as the observation and ``(a, z')`` as the action of an ordinary MDP (reference
notes B.1/B.8). :class:`S2PGVecEnv` keeps the internal state ``z`` and the previous action ``a_prev`` of
every sub-env, splits each joint action, sends ``a`` to the env, feeds ``z'`` and ``a`` back as the next
step's inputs, zeros both at every episode start (also at auto-resets) and augments
``infos[i]["terminal_observation"]`` the same way, so that timeout bootstrapping sees the right ``(z', a)``.
Every S2PG algorithm trains on this wrapper; users never see it (``model.get_env()`` returns the env they
passed).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from sb3_pgx.common.validation import check_at_least, check_space

#: info key under which a privileged env reports its full state (see :mod:`sb3_pgx.envs`)
PRIVILEGED_INFO_KEY = "privileged_state"
#: attribute (reachable with ``get_wrapper_attr``) giving the privileged state's space
PRIVILEGED_SPACE_ATTR = "privileged_observation_space"
#: observation spaces of the env S2PG accepts (Discrete / MultiDiscrete are one-hot encoded by the policies)
OBSERVATION_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)


class ActionLayout:
    """How a joint action ``[a; z']`` is laid out and how ``a`` is fed back as ``a_prev``.

    :param action_space: the env's action space (``Box`` of any shape, flattened in the joint action, or
        ``Discrete``)
    :param z_dim: internal-state dimension
    :param z_bound: bound of ``z'`` (``inf``: unbounded Gaussian, S2PG-PPO; ``1``: squashed/clipped, SAC/TD3)
    """

    def __init__(self, action_space: spaces.Space, z_dim: int, z_bound: float) -> None:
        check_space("action_space", action_space, (spaces.Box, spaces.Discrete))
        check_at_least("z_dim", z_dim, 1)
        self.action_space = action_space
        self.z_dim = int(z_dim)
        self.z_bound = float(z_bound)
        z_low, z_high = np.full(z_dim, -z_bound, np.float32), np.full(z_dim, z_bound, np.float32)
        if isinstance(action_space, spaces.Discrete):
            self.n_discrete: int | None = int(action_space.n)
            self.action_dim = 1
            self.prev_dim = self.n_discrete
            low, high = np.array([0.0], np.float32), np.array([self.n_discrete - 1], np.float32)
            self.prev_space = spaces.Box(0.0, 1.0, (self.n_discrete,), np.float32)
            self._scale = None
        else:  # a Box of any shape is flattened into the joint action and reshaped in ``split``
            self.n_discrete = None
            self.action_dim = self.prev_dim = int(np.prod(action_space.shape))
            low = action_space.low.astype(np.float32).reshape(-1)
            high = action_space.high.astype(np.float32).reshape(-1)
            bounded = bool(np.all(np.isfinite(low)) and np.all(np.isfinite(high)))
            # a_prev is fed to the networks in [-1, 1] when the env bounds are finite
            self._scale = (low, high) if bounded else None
            self.prev_space = spaces.Box(
                -1.0 if bounded else -np.inf, 1.0 if bounded else np.inf, (self.prev_dim,), np.float32
            )
        self.joint_space = spaces.Box(
            np.concatenate([low, z_low]), np.concatenate([high, z_high]), dtype=np.float32
        )

    def split(self, joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(env actions, z')`` from a batch of joint actions.

        :param joint: joint actions ``[a; z']`` (one per row; a single one is treated as a batch of one)
        :return: the env actions (Discrete: rounded and clipped to integers; Box: reshaped to the action
            space's shape) and the ``z'`` part, shape ``(batch, z_dim)``
        """
        joint = np.asarray(joint, dtype=np.float32).reshape(-1, self.action_dim + self.z_dim)
        actions, z_next = joint[:, : self.action_dim], joint[:, self.action_dim :].copy()
        if self.n_discrete is not None:
            return np.clip(np.rint(actions[:, 0]), 0, self.n_discrete - 1).astype(np.int64), z_next
        return actions.reshape((-1, *self.action_space.shape)).copy(), z_next

    def encode(self, actions: np.ndarray) -> np.ndarray:
        """The network input ``a_prev`` for a batch of env actions (one-hot for Discrete, [-1, 1] for bounded
        Box).

        :param actions: a batch of env actions (integers for Discrete, the action space's shape for Box)
        :return: float32 array of shape ``(batch, prev_dim)``
        """
        if self.n_discrete is not None:
            return np.eye(self.n_discrete, dtype=np.float32)[np.asarray(actions, dtype=np.int64).reshape(-1)]
        actions = np.asarray(actions, dtype=np.float32).reshape(-1, self.action_dim)
        if self._scale is None:
            return actions.copy()
        low, high = self._scale
        return np.clip(2.0 * (actions - low) / (high - low) - 1.0, -1.0, 1.0).astype(np.float32)


def _base_vec_env(venv: VecEnv) -> VecEnv:
    while isinstance(venv, VecEnvWrapper):
        venv = venv.venv
    return venv


def privileged_space_of(venv: VecEnv) -> spaces.Box:
    """The privileged state's space, or a ``ValueError`` if the env provides none.

    :param venv: the env; its first sub-env is asked for the attribute :data:`PRIVILEGED_SPACE_ATTR`, which
        must be a ``Box``
    """
    try:
        space = venv.get_attr(PRIVILEGED_SPACE_ATTR, indices=[0])[0]
    except AttributeError:
        space = None
    if not isinstance(space, spaces.Box):
        raise ValueError(
            "privileged_critic=True needs an env that provides a privileged state (an attribute "
            f"{PRIVILEGED_SPACE_ATTR!r} and info[{PRIVILEGED_INFO_KEY!r}], "
            "e.g. the sb3_pgx '*Privileged-v5' envs); "
            "this env provides none: use privileged_critic=False"
        )
    return space


class S2PGVecEnv(VecEnvWrapper):
    """Observation ``Dict(obs, z, prev_action[, privileged])``, action ``Box([a; z'])``.

    :param venv: the env (``Box``, ``Discrete``, ``MultiDiscrete`` or ``MultiBinary`` observations; ``Box`` or
        ``Discrete`` actions)
    :param z_dim: internal-state dimension (>= 1)
    :param z_bound: bound of ``z'`` (see :class:`ActionLayout`)
    :param privileged: also expose the env's privileged state (for the critic only)
    """

    def __init__(self, venv: VecEnv, z_dim: int, z_bound: float = np.inf, privileged: bool = False) -> None:
        check_space("observation_space", venv.observation_space, OBSERVATION_SPACES)
        self.layout = ActionLayout(venv.action_space, z_dim, z_bound)
        self.z_dim = int(z_dim)
        self.privileged = bool(privileged)
        obs_spaces: dict[str, spaces.Space] = {
            "obs": venv.observation_space,
            "z": spaces.Box(-z_bound, z_bound, (z_dim,), np.float32),
            "prev_action": self.layout.prev_space,
        }
        if privileged:
            obs_spaces["privileged"] = privileged_space_of(venv)
        super().__init__(
            venv, observation_space=spaces.Dict(obs_spaces), action_space=self.layout.joint_space
        )
        n = self.num_envs
        self.z = np.zeros((n, z_dim), np.float32)
        self.prev_action = np.zeros((n, self.layout.prev_dim), np.float32)
        self._pending: tuple[np.ndarray, np.ndarray] | None = None

    def _privileged(self, info: dict[str, Any]) -> np.ndarray:
        if PRIVILEGED_INFO_KEY not in info:
            raise ValueError(
                f"privileged_critic=True but the env's info has no {PRIVILEGED_INFO_KEY!r} entry"
            )
        return np.asarray(info[PRIVILEGED_INFO_KEY], dtype=np.float32)

    def _augment(self, obs: np.ndarray, infos: list[dict[str, Any]] | None) -> dict[str, np.ndarray]:
        out = {"obs": np.asarray(obs).copy(), "z": self.z.copy(), "prev_action": self.prev_action.copy()}
        if self.privileged:
            assert infos is not None
            out["privileged"] = np.stack([self._privileged(info) for info in infos])
        return out

    def reset(self) -> dict[str, np.ndarray]:
        """Reset every sub-env and zero ``z`` and ``a_prev``.

        :return: the augmented observations
        """
        obs = self.venv.reset()
        self.z[:] = 0.0
        self.prev_action[:] = 0.0
        return self._augment(obs, list(_base_vec_env(self.venv).reset_infos) if self.privileged else None)

    def step_async(self, actions: np.ndarray) -> None:
        """Split the joint actions, send ``a`` to the env and keep ``(z', encoded a)`` for :meth:`step_wait`.

        :param actions: joint actions ``[a; z']``, one per sub-env
        """
        env_actions, z_next = self.layout.split(actions)
        self._pending = (z_next, self.layout.encode(env_actions))
        self.venv.step_async(env_actions)

    def step_wait(self):
        """The env's step with augmented observations: ``z'`` and ``a`` become the next ``z`` and ``a_prev``,
        zeroed where an episode ended or they are not finite; a ``terminal_observation`` is augmented with the
        ``(z', a)`` of the step that ended the episode.

        :return: ``(observations, rewards, dones, infos)``, as a ``VecEnv``
        """
        obs, rewards, dones, infos = self.venv.step_wait()
        assert self._pending is not None, "step_async must be called before step_wait"
        z_next, prev_next = self._pending
        self._pending = None
        current_infos = list(infos)
        if self.privileged:
            reset_infos = _base_vec_env(self.venv).reset_infos
        for i, done in enumerate(dones):
            if not done:
                continue
            terminal = infos[i].get("terminal_observation")
            if terminal is not None:
                infos[i]["terminal_observation"] = {
                    "obs": np.asarray(terminal).copy(),
                    "z": z_next[i].copy(),
                    "prev_action": prev_next[i].copy(),
                    **({"privileged": self._privileged(infos[i])} if self.privileged else {}),
                }
            if self.privileged:
                current_infos[i] = reset_infos[i]
        self.z = z_next
        self.prev_action = prev_next
        restart = dones | ~np.isfinite(z_next).all(1) | ~np.isfinite(prev_next).all(1)
        self.z[restart] = 0.0  # a non-finite z' (from a non-finite observation) restarts the state
        self.prev_action[restart] = 0.0
        return self._augment(obs, current_infos), rewards, dones, infos

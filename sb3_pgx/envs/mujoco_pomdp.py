"""Velocity-free MuJoCo v5 tasks and their privileged variants (reference B.5).

- ``<Task>POMDP-v5``: the v5 task with every velocity removed from the observation (for Humanoid also
  ``cinert`` and ``cvel``, as in the official code; actuator and contact forces stay).
- ``<Task>Privileged-v5``: the same observation; at every reset each body's mass is scaled by ``1 + c`` with
  ``c`` drawn uniformly from {-0.3, 0, +0.3} per body. The full state (the v5 observation, with velocities)
  and ``c`` reach only the critic, through ``info["privileged_state"]`` (space:
  ``env.privileged_observation_space``). The official code also scales the geoms' sizes; here only the masses
  change.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

#: (number of leading position entries kept, number of following entries hidden) in the v5 observation
HIDDEN_LAYOUT: dict[str, tuple[int, int]] = {
    "Hopper": (5, 6),
    "Walker2d": (8, 9),
    "HalfCheetah": (8, 9),
    "Ant": (13, 14),  # then 78 contact forces, kept
    "Humanoid": (22, 23 + 130 + 78),  # qvel, cinert, cvel hidden; actuator (17) and contact (78) forces kept
}
MASS_FACTORS = (-0.3, 0.0, 0.3)


class HideVelocityWrapper(gym.Wrapper):
    """Removes velocities from a MuJoCo v5 observation; optionally randomises body masses per episode and
    reports the full state in ``info["privileged_state"]``.

    :param env: a MuJoCo v5 env of one of :data:`HIDDEN_LAYOUT`'s tasks
    :param task: its name (a key of :data:`HIDDEN_LAYOUT`)
    :param privileged: randomise masses and report the privileged state
    """

    def __init__(self, env: gym.Env, task: str, privileged: bool = False) -> None:
        super().__init__(env)
        if task not in HIDDEN_LAYOUT:
            raise ValueError(f"task must be one of {', '.join(map(repr, HIDDEN_LAYOUT))}; got {task!r}")
        keep, hide = HIDDEN_LAYOUT[task]
        full = env.observation_space
        assert isinstance(full, spaces.Box)
        self._keep = np.r_[np.arange(keep), np.arange(keep + hide, full.shape[0])].astype(np.int64)
        self.observation_space = spaces.Box(-np.inf, np.inf, (len(self._keep),), np.float64)
        self.privileged = privileged
        model = env.unwrapped.model  # type: ignore[attr-defined]
        self._base_mass = model.body_mass.copy()
        self._mass_c = np.zeros(model.nbody - 1)
        if privileged:
            self.privileged_observation_space = spaces.Box(
                -np.inf, np.inf, (full.shape[0] + model.nbody - 1,), np.float32
            )

    def _privileged(self, full_obs: np.ndarray, info: dict[str, Any]) -> dict[str, Any]:
        if self.privileged:
            info["privileged_state"] = np.concatenate([full_obs, self._mass_c]).astype(np.float32)
        return info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Reset the env; when privileged, first draw new mass factors and scale the body masses.

        :param seed: seeds the env and (privileged) the generator of the mass factors
        :param options: passed to the env's ``reset``
        :return: the velocity-free observation and the info (with ``"privileged_state"`` when privileged)
        """
        if self.privileged:
            if seed is not None:
                self._rng = np.random.default_rng(seed)
            rng = getattr(self, "_rng", None) or np.random.default_rng()
            self._rng = rng
            self._mass_c = rng.choice(MASS_FACTORS, size=self._mass_c.shape)
            model = self.env.unwrapped.model  # type: ignore[attr-defined]
            model.body_mass[1:] = self._base_mass[1:] * (1.0 + self._mass_c)
        obs, info = self.env.reset(seed=seed, options=options)
        return obs[self._keep], self._privileged(obs, info)

    def step(self, action):
        """Step the env; the observation loses its velocities.

        :param action: the env's action
        :return: ``(observation, reward, terminated, truncated, info)``, ``info`` with ``"privileged_state"``
            when privileged
        """
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs[self._keep], reward, terminated, truncated, self._privileged(obs, info)


def make_pomdp_env(task: str, privileged: bool = False, **kwargs: Any) -> gym.Env:
    """``gym.make("<task>-v5", **kwargs)`` wrapped by :class:`HideVelocityWrapper`.

    :param task: a MuJoCo task, a key of :data:`HIDDEN_LAYOUT` (``"Hopper"``, ``"Walker2d"``, ...)
    :param privileged: randomise the body masses and report the privileged state
    :param kwargs: passed to ``gym.make``
    """
    return HideVelocityWrapper(gym.make(f"{task}-v5", **kwargs), task, privileged)

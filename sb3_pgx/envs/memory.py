"""A small memory task no memoryless policy can solve (for tests and for showing the point of S2PG)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class CueMemoryEnv(gym.Env):
    """Remember a cue shown at the first step and report it when asked, ``delay`` steps later.

    Observation ``[cue, query]``: step 0 shows ``cue`` in {-1, +1} (``query = 0``); the next ``delay - 1``
    steps show ``[0, 0]``; the last step shows ``[0, 1]``. Only the action at the last step counts: the reward
    is ``cue * a`` (continuous ``a`` clipped to [-1, 1]) or ``+1 / -1`` (Discrete(2): ``a = 1`` means +1), and
    ``info["is_success"]`` says whether the sign was right. At the query step every memoryless policy sees the
    same observation whatever the cue, so it succeeds in 50% of the episodes at best (expected reward <= 0).

    The privileged state (``info["privileged_state"]`` = ``[cue, t / delay]``) lets it serve as a
    privileged-critic task too.

    :param delay: steps between the cue and the query (>= 1; episode length ``delay + 1``)
    :param discrete: Discrete(2) actions instead of Box(-1, 1, (1,))
    :param render_mode: None or ``"rgb_array"``
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"]}

    def __init__(self, delay: int = 3, discrete: bool = False, render_mode: str | None = None) -> None:
        if not isinstance(delay, (int, np.integer)) or delay < 1:
            raise ValueError(f"delay must be an integer >= 1, got {delay!r}")
        self.delay = int(delay)
        self.discrete = bool(discrete)
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = spaces.Discrete(2) if discrete else spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.privileged_observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self._cue, self._t = 1.0, 0
        self.render_mode = render_mode

    def render(self) -> np.ndarray:
        """A 1x2 image: the current observation in grey levels."""
        return np.tile(((self._obs() + 1) * 127.5).astype(np.uint8)[None, :, None], (1, 1, 3))

    def _obs(self) -> np.ndarray:
        if self._t == 0:
            return np.array([self._cue, 0.0], np.float32)
        return np.array([0.0, 1.0 if self._t == self.delay else 0.0], np.float32)

    def _info(self) -> dict[str, Any]:
        return {"privileged_state": np.array([self._cue, self._t / self.delay], np.float32)}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Draw a new cue and show it.

        :param seed: seeds the env's generator (gymnasium's)
        :param options: unused
        :return: the first observation ``[cue, 0]`` and the info (with ``"privileged_state"``)
        """
        super().reset(seed=seed)
        self._cue = float(self.np_random.choice([-1.0, 1.0]))
        self._t = 0
        return self._obs(), self._info()

    def step(self, action):
        """Advance one step; at the query step, score ``action`` and end the episode.

        :param action: an integer (Discrete(2)) or an array of one number; only the query step's action counts
        :return: ``(observation, reward, terminated, truncated, info)``; ``info`` has ``"privileged_state"``,
            and ``"is_success"`` at the query step
        """
        reward, info = 0.0, {}
        terminated = self._t == self.delay
        if terminated:
            answer = (
                (1.0 if int(action) == 1 else -1.0)
                if self.discrete
                else float(np.clip(np.asarray(action).reshape(-1)[0], -1, 1))
            )
            reward = self._cue * answer if not self.discrete else (1.0 if answer == self._cue else -1.0)
            info["is_success"] = bool(answer * self._cue > 0)
        else:
            self._t += 1
        info.update(self._info())
        return self._obs(), reward, terminated, False, info

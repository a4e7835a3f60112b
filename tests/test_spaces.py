"""Every action and observation space each class claims, with one and several envs (SB3's ``tests/test_spaces.py``
and ``test_predict.py`` over our classes); a clear ValueError, naming the space, for those it rejects."""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_pgx import MDPO, REINFORCE, S2PGPPO, S2PGSAC, S2PGTD3, SPMA, Rank1NPG, TRPOReg
from tests.model_list import ONE_PER_CLASS, Case, case_ids

ACTION_SPACES = {
    "box": spaces.Box(-1.0, 1.0, (2,), np.float32),
    "box-2d": spaces.Box(-1.0, 1.0, (2, 2), np.float32),
    "discrete": spaces.Discrete(3),
    "multi-discrete": spaces.MultiDiscrete([2, 3]),
    "multi-binary": spaces.MultiBinary(3),
}
OBSERVATION_SPACES = {
    "box": spaces.Box(-1.0, 1.0, (3,), np.float32),
    "discrete": spaces.Discrete(4),
    "multi-discrete": spaces.MultiDiscrete([2, 3]),
    "multi-binary": spaces.MultiBinary(3),
    "dict": spaces.Dict({"a": spaces.Box(-1.0, 1.0, (2,), np.float32), "b": spaces.Discrete(3)}),
}
ALL = set(ACTION_SPACES) | set(OBSERVATION_SPACES)
S2PG_OBSERVATIONS = {"box", "discrete", "multi-discrete", "multi-binary"}
SPLIT_ACTOR_CRITIC = {"actions": set(ACTION_SPACES), "observations": set(OBSERVATION_SPACES)}
#: what each class accepts; everything else must raise a ValueError that names the space
SUPPORTED: dict[type, dict[str, set[str]]] = {
    SPMA: SPLIT_ACTOR_CRITIC,
    MDPO: SPLIT_ACTOR_CRITIC,
    TRPOReg: SPLIT_ACTOR_CRITIC,
    Rank1NPG: SPLIT_ACTOR_CRITIC,
    REINFORCE: SPLIT_ACTOR_CRITIC,
    S2PGPPO: {"actions": {"box", "box-2d", "discrete"}, "observations": S2PG_OBSERVATIONS},
    S2PGSAC: {"actions": {"box", "box-2d"}, "observations": S2PG_OBSERVATIONS},
    S2PGTD3: {"actions": {"box", "box-2d"}, "observations": S2PG_OBSERVATIONS},
}


class SpaceEnv(gym.Env):
    """Random observations of ``observation_space``, reward 1 - |a| summed, episodes of 8 steps."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space, seed: int = 0) -> None:
        self.observation_space, self.action_space = observation_space, action_space
        self.observation_space.seed(seed)
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._t = 0
        return self.observation_space.sample(), {}

    def step(self, action):
        assert self.action_space.contains(
            np.asarray(action, dtype=self.action_space.dtype).reshape(self.action_space.shape)
        )
        self._t += 1
        reward = 1.0 - float(np.abs(np.asarray(action, dtype=np.float64)).mean())
        return self.observation_space.sample(), reward, False, self._t >= 8, {}


def space_env(obs: str, action: str, n_envs: int = 1) -> DummyVecEnv:
    return DummyVecEnv(
        [lambda i=i: SpaceEnv(OBSERVATION_SPACES[obs], ACTION_SPACES[action], seed=i) for i in range(n_envs)]
    )


def policy_for(obs: str) -> str:
    return "MultiInputPolicy" if obs == "dict" else "MlpPolicy"


def build(case: Case, obs: str, action: str, n_envs: int):
    kwargs = {k: v for k, v in case.kwargs.items() if k != "privileged_critic"}
    env = space_env(obs, action, n_envs)
    if "n_steps" in kwargs and "batch_size" in kwargs:
        kwargs["batch_size"] = min(kwargs["batch_size"], kwargs["n_steps"] * n_envs)
    return case.cls(policy_for(obs), env, seed=0, device="cpu", **copy.deepcopy(kwargs))


def combos(kind: str) -> list[tuple[Case, str]]:
    names = ACTION_SPACES if kind == "actions" else OBSERVATION_SPACES
    return [(case, name) for case in ONE_PER_CLASS for name in names]


def combo_ids(kind: str) -> list[str]:
    return [f"{case.id}-{name}" for case, name in combos(kind)]


def check_learn_and_predict(case: Case, obs: str, action: str, n_envs: int) -> None:
    model = build(case, obs, action, n_envs).learn(64)
    env = space_env(obs, action, n_envs)
    observation = env.reset()
    actions, _ = model.predict(observation, deterministic=True)
    assert isinstance(actions, np.ndarray)
    assert actions.shape == (n_envs, *ACTION_SPACES[action].shape)
    for a in actions:
        assert ACTION_SPACES[action].contains(a.astype(ACTION_SPACES[action].dtype))
    single = (
        observation[0] if not isinstance(observation, dict) else {k: v[0] for k, v in observation.items()}
    )
    one, _ = model.predict(single, deterministic=True)
    assert isinstance(one, np.ndarray) and one.shape == ACTION_SPACES[action].shape


@pytest.mark.parametrize(("case", "action"), combos("actions"), ids=combo_ids("actions"))
@pytest.mark.parametrize("n_envs", [1, 3])
def test_action_spaces(case: Case, action: str, n_envs: int):
    obs = "box"
    if action in SUPPORTED[case.cls]["actions"]:
        check_learn_and_predict(case, obs, action, n_envs)
    else:
        with pytest.raises(ValueError, match="action_space|action space"):
            build(case, obs, action, n_envs)


@pytest.mark.parametrize(("case", "obs"), combos("observations"), ids=combo_ids("observations"))
def test_observation_spaces(case: Case, obs: str):
    action = "box" if "box" in SUPPORTED[case.cls]["actions"] else "discrete"
    if obs in SUPPORTED[case.cls]["observations"]:
        check_learn_and_predict(case, obs, action, n_envs=2)
    else:
        with pytest.raises(ValueError, match="observation_space|observation space"):
            build(case, obs, action, n_envs=1)


def test_every_class_is_covered():
    assert set(SUPPORTED) == {case.cls for case in ONE_PER_CLASS}


@pytest.mark.parametrize("case", ONE_PER_CLASS, ids=case_ids(ONE_PER_CLASS))
def test_policy_predict_on_env_observations(case: Case):
    """``model.policy.predict(obs)`` works as in SB3, or (stateful policies) says to use ``model.predict``."""
    model = case.make()
    obs = np.stack([model.get_env().observation_space.sample() for _ in range(2)])
    if case.stateful:
        with pytest.raises(ValueError, match=r"model\.predict"):
            model.policy.predict(obs)
    else:
        actions, _ = model.policy.predict(obs, deterministic=True)
        assert np.allclose(actions, model.predict(obs, deterministic=True)[0])

"""A NaN or inf in a reward or an observation, for every class in every configuration: nothing non-finite reaches
the weights, the optimizer states, the temperatures or a replay buffer, training goes on, and the skips are
counted (``nonfinite_skips_total``)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env

from tests.model_list import MODEL_LIST, Case, case_ids, learned_state

BOX_ACTION_CASES = [case for case in MODEL_LIST if case.env_id != "CartPole-v1"]


class Poison(gym.Wrapper):
    """Every ``every``-th step, the reward or the observation becomes ``value``. Non-finite actions reach the
    inner env as zeros, so only the injected values are non-finite."""

    def __init__(self, env: gym.Env, target: str, value: float, every: int = 7) -> None:
        super().__init__(env)
        self.target, self.value, self.every, self._t = target, value, every, 0

    def step(self, action):
        action = np.where(np.isfinite(action), action, 0).astype(np.asarray(action).dtype)
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._t += 1
        if self._t % self.every == 0:
            if self.target == "reward":
                reward = self.value
            else:
                obs = np.full_like(obs, self.value)
        return obs, reward, terminated, truncated, info


def poisoned_env(case: Case, target: str, value: float):
    return make_vec_env(
        case.env_id, n_envs=1, seed=0, wrapper_class=Poison, wrapper_kwargs={"target": target, "value": value}
    )


def assert_nothing_non_finite(model) -> None:
    for key, value in learned_state(model).items():
        assert np.isfinite(value).all(), key
    buffer = getattr(model, "replay_buffer", None)
    if buffer is not None:
        n = buffer.buffer_size if buffer.full else buffer.pos
        for name in ("observations", "next_observations", "actions", "rewards"):
            stored = getattr(buffer, name)
            arrays = stored.values() if isinstance(stored, dict) else [stored]
            for array in arrays:
                assert np.isfinite(array[:n]).all(), name


def check(case: Case, target: str, value: float) -> None:
    model = case.make(env=poisoned_env(case, target, value))
    model.learn(3 * case.budget)
    assert_nothing_non_finite(model)
    assert model.nonfinite_skips_total > 0
    assert model.logger.name_to_value["train/nonfinite_skips_total"] == model.nonfinite_skips_total


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("case", MODEL_LIST, ids=case_ids(MODEL_LIST))
def test_non_finite_reward(case: Case, value: float):
    check(case, "reward", value)


@pytest.mark.parametrize("case", BOX_ACTION_CASES, ids=case_ids(BOX_ACTION_CASES))
def test_non_finite_observation(case: Case):
    check(case, "observation", np.nan)


# ------------------------------------------------------------------ the S2PG pieces behind these guarantees
def test_replay_buffer_drops_a_non_finite_step_and_ends_the_z_chain_before_it():
    import torch as th
    from gymnasium import spaces

    from sb3_pgx.common.stateful.buffers import StatefulReplayBuffer

    obs_space = spaces.Dict({"obs": spaces.Box(-1, 1, (2,)), "z": spaces.Box(-1, 1, (1,))})
    buffer = StatefulReplayBuffer(8, obs_space, spaces.Box(-1, 1, (2,)), device="cpu", z_dim=1)

    def step(value: float, reward: float = 0.0) -> None:
        obs = {"obs": np.full((1, 2), value, np.float32), "z": np.zeros((1, 1), np.float32)}
        buffer.add(obs, obs, np.zeros((1, 2), np.float32), np.array([reward]), np.array([False]), [{}])

    step(0.1)
    step(np.nan)  # not stored
    step(0.3, reward=np.inf)  # not stored
    step(0.4)
    step(0.5)
    assert buffer.pos == 3 and buffer.pop_dropped() == 2 and buffer.pop_dropped() == 0
    assert np.allclose(buffer.observations["obs"][:3, 0, 0], [0.1, 0.4, 0.5])
    buffer.last_batch_inds, buffer.last_env_inds = np.array([0, 1]), np.array([0, 0])
    assert buffer.refresh(th.full((2, 1), 0.7))
    # transition 0 is a chain end (the steps after it were dropped): its z' does not reach transition 1,
    # transition 1's does reach transition 2
    assert buffer.observations["z"][1, 0, 0] == 0.0 and buffer.observations["z"][2, 0, 0] == np.float32(0.7)


def test_wrapper_restarts_a_non_finite_internal_state():
    from sb3_pgx.common.stateful.vec_env import S2PGVecEnv

    env = S2PGVecEnv(make_vec_env("Pendulum-v1", n_envs=2, seed=0), z_dim=2)
    env.reset()
    joint = np.array([[0.1, np.nan, 0.5], [0.2, 0.3, 0.4]], np.float32)
    obs, *_ = env.step(joint)
    assert np.array_equal(obs["z"][0], [0.0, 0.0]) and np.allclose(obs["z"][1], [0.3, 0.4])

"""The POMDP environments of sb3_pgx.envs: registration, hidden velocities, privileged state, memory task."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import sb3_pgx  # noqa: F401  (registers the ids)
from sb3_pgx.envs import CueMemoryEnv


@pytest.mark.parametrize(
    ("task", "full", "pomdp"),
    [
        ("Hopper", 11, 5),
        ("Walker2d", 17, 8),
        ("HalfCheetah", 17, 8),
        ("Ant", 105, 91),
        ("Humanoid", 348, 117),
    ],
)
def test_velocities_are_hidden(task, full, pomdp):
    env = gym.make(f"{task}POMDP-v5")
    obs, info = env.reset(seed=0)
    assert obs.shape == (pomdp,) and env.observation_space.shape == (pomdp,)
    assert "privileged_state" not in info
    full_obs = env.unwrapped._get_obs()
    n_pos = env.unwrapped.data.qpos.size - (1 if task in ("Hopper", "Walker2d", "HalfCheetah") else 2)
    assert np.allclose(obs[:n_pos], full_obs[:n_pos]) and full_obs.shape == (full,)
    env.close()


def test_privileged_variant_randomises_masses_and_reports_full_state():
    env = gym.make("HopperPrivileged-v5")
    base = env.unwrapped.model.body_mass.copy()
    seen = set()
    for seed in range(6):
        obs, info = env.reset(seed=seed)
        privileged = info["privileged_state"]
        assert obs.shape == (5,) and privileged.shape == (11 + 4,)
        c = privileged[-4:]
        assert np.all(np.abs(c[:, None] - np.array([-0.3, 0.0, 0.3])).min(axis=1) < 1e-6)
        assert np.allclose(env.unwrapped.model.body_mass[1:], base[1:] * (1 + c))
        assert np.allclose(privileged[:5], obs)  # the full state contains what the policy sees
        seen.add(tuple(np.round(c.astype(float), 3)))
        _, _, _, _, info = env.step(env.action_space.sample())
        assert info["privileged_state"].shape == (15,)
    assert len(seen) > 1
    assert env.get_wrapper_attr("privileged_observation_space").shape == (15,)


def test_memory_task_defeats_memoryless_policies():
    env = CueMemoryEnv(delay=3)
    query_obs = set()
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        cue = obs[0]
        for _ in range(3):
            obs, reward, terminated, _, info = env.step(np.array([0.3]))
            assert reward == 0.0 and not terminated
        query_obs.add(tuple(obs))
        _, reward, terminated, _, info = env.step(np.array([cue]))
        assert terminated and reward == 1.0 and info["is_success"]
    assert query_obs == {(0.0, 1.0)}  # the query step looks the same whatever the cue
    with pytest.raises(ValueError, match="delay"):
        CueMemoryEnv(delay=0)

"""Save / load for every class in every configuration (sb3-contrib's ``tests/test_save_load.py`` over one
``MODEL_LIST``): what was learned comes back bit for bit, predictions are identical, and training continues
with ``reset_num_timesteps=False`` after a load with or without an env."""

from __future__ import annotations

import io

import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env

from tests.model_list import MODEL_LIST, Case, case_ids, learned_state, predict


def observations(case: Case, n: int = 5) -> np.ndarray:
    env = make_vec_env(case.env_id, n_envs=1, seed=1)
    env.observation_space.seed(1)
    return np.stack([env.observation_space.sample() for _ in range(n)])


def assert_same_actions(a: np.ndarray, b: np.ndarray) -> None:
    """Equal up to float round-off: equal weights can still differ in the last bit of a matmul whose weight
    strides differ (a trained tensor against a freshly loaded, contiguous one), as SB3's own test allows."""
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.allclose(a, b, rtol=1e-5, atol=1e-6)


def assert_same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key], equal_nan=True), key


@pytest.mark.parametrize("case", MODEL_LIST, ids=case_ids(MODEL_LIST))
def test_save_load_then_continue(case: Case, tmp_path):
    model = case.make().learn(case.budget)
    obs = observations(case)
    before, state = predict(model, obs), learned_state(model)
    model.save(tmp_path / "model")

    loaded = case.cls.load(tmp_path / "model", device="cpu")
    assert_same_state(state, learned_state(loaded))
    assert_same_actions(before, predict(loaded, obs))
    assert loaded.num_timesteps == model.num_timesteps

    with_env = case.cls.load(
        tmp_path / "model", env=make_vec_env(case.env_id, n_envs=1, seed=2), device="cpu"
    )
    assert_same_actions(before, predict(with_env, obs))
    with_env.learn(case.budget, reset_num_timesteps=False)
    assert with_env.num_timesteps >= model.num_timesteps + case.budget

    loaded.set_env(make_vec_env(case.env_id, n_envs=1, seed=3))
    loaded.learn(case.budget, reset_num_timesteps=False)
    assert loaded.num_timesteps >= model.num_timesteps + case.budget


@pytest.mark.parametrize("case", MODEL_LIST, ids=case_ids(MODEL_LIST))
def test_save_to_a_file_object_and_atomically(case: Case, tmp_path):
    model = case.make().learn(case.budget)
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    assert_same_state(learned_state(model), learned_state(case.cls.load(buffer, device="cpu")))
    model.save(tmp_path / "model.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.zip"]  # no temporary file left behind

"""Regression tests of S2PG fixes: loading a privileged model with an env, the non-finite guards of the
temperatures, targets and replay buffer, PPO's early stop, argument checks, predict's return type,
TensorBoard names, more observation / action spaces and ``policy.predict``."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import S2PGPPO, S2PGSAC, S2PGTD3

TINY_OFF = {
    "z_dim": 3,
    "batch_size": 16,
    "learning_starts": 20,
    "policy_kwargs": {"n_features": 8, "net_arch": {"pi": [16], "qf": [16]}},
    "seed": 0,
}


def memory_env(n_envs: int = 1, seed: int = 0):
    return make_vec_env("S2PGMemory-v0", n_envs=n_envs, seed=seed)


# ------------------------------------------------------------------ 1. load a privileged model with an env
@pytest.mark.parametrize("cls", [S2PGSAC, S2PGTD3])
def test_privileged_model_loads_with_an_env_and_keeps_training(cls, tmp_path):
    model = cls("MlpPolicy", memory_env(), privileged_critic=True, **TINY_OFF).learn(40)
    model.save(tmp_path / "m")
    loaded = cls.load(tmp_path / "m", env=memory_env(n_envs=2, seed=1))  # what the zoo's --trained-agent does
    assert loaded.privileged_critic and loaded.z_dim == 3
    assert "privileged" in loaded.observation_space.spaces and loaded.env.privileged
    loaded.learn(40, reset_num_timesteps=False)
    assert loaded.num_timesteps > model.num_timesteps
    with pytest.raises(ValueError, match="privileged_critic"):
        cls.load(tmp_path / "m", env=memory_env(), privileged_critic=False)


# ------------------------------------------------------------------ 3. a rejected step changes nothing
def snapshot(model) -> dict:
    """Everything a rejected gradient step must leave as it was."""
    buf = model.replay_buffer
    state = {}
    if isinstance(model, S2PGSAC):
        state["log_ent_coef"] = model.log_ent_coef.detach().clone()
        state["log_z_ent_coef"] = model.log_z_ent_coef.detach().clone()
        state["ent_opt"] = copy.deepcopy(model.ent_coef_optimizer.state_dict())
    state.update(
        actions=buf.actions.copy(),
        obs={k: v.copy() for k, v in buf.observations.items()},
        next_obs={k: v.copy() for k, v in buf.next_observations.items()},
        policy=copy.deepcopy(model.policy.state_dict()),
        actor_opt=copy.deepcopy(model.actor.optimizer.state_dict()),
        critic_opt=copy.deepcopy(model.critic.optimizer.state_dict()),
    )
    return state


def assert_identical(a, b, path: str = "") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_identical(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}/{i}")
    elif isinstance(a, th.Tensor):
        assert th.equal(a.nan_to_num(123.0), b.nan_to_num(123.0)) and th.equal(a.isnan(), b.isnan()), path
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=True), path
    else:
        assert a == b, path


def trained_off_policy(cls):
    model = cls("MlpPolicy", memory_env(), **TINY_OFF).learn(60)  # Adam states are non-empty
    assert model.logger.name_to_value["train/nonfinite_skips"] == 0
    return model


@pytest.mark.parametrize(("cls", "poison"), [(S2PGSAC, "batch"), (S2PGSAC, "actor"), (S2PGTD3, "batch")])
def test_rejected_steps_leave_weights_temperatures_optimizers_and_buffer_as_they_were(cls, poison):
    model = trained_off_policy(cls)
    buf = model.replay_buffer
    if poison == "batch":
        buf.observations["obs"][: buf.pos] = np.nan
        buf.next_observations["obs"][: buf.pos] = np.nan
    else:  # the actor's samples and log-probabilities are NaN
        original = model.actor.action_log_prob
        model.actor.action_log_prob = lambda obs: tuple(t * np.nan for t in original(obs))
    before = snapshot(model)
    model.train(gradient_steps=4, batch_size=16)
    assert_identical(before, snapshot(model))
    skips = model.logger.name_to_value["train/nonfinite_skips"]
    assert skips >= 4 + (2 if cls is S2PGTD3 else 4)  # each critic step and each actor step (TD3: delayed)


# ------------------------------------------------------------------ 9. PPO stops before the step past target_kl
TINY_PPO = {
    "z_dim": 2,
    "n_steps": 32,
    "batch_size": 16,
    "n_epochs": 2,
    "policy_kwargs": {"n_features": 8, "value_net_arch": [8]},
    "seed": 0,
}


def test_ppo_does_not_apply_the_step_that_exceeds_target_kl():
    model = S2PGPPO("MlpPolicy", memory_env(), target_kl=0.01, **TINY_PPO).learn(32)
    original = model.policy.evaluate_actions

    def shifted(obs, actions):  # ratio e everywhere: approx_kl = e - 2 > 1.5 target_kl at the first minibatch
        values, log_prob, entropy = original(obs, actions)
        return values, log_prob + 1.0, entropy

    model.policy.evaluate_actions = shifted
    weights = copy.deepcopy(model.policy.state_dict())
    optimizer = copy.deepcopy(model.policy.optimizer.state_dict())
    model.train()
    assert_identical(weights, model.policy.state_dict())
    assert_identical(optimizer, model.policy.optimizer.state_dict())
    assert model.logger.name_to_value["train/approx_kl"] > 0.5  # logged, as SB3 does, before stopping


# ------------------------------------------------------------------ 10. n_epochs >= 1
@pytest.mark.parametrize("n_epochs", [0, -1])
def test_ppo_rejects_n_epochs_below_one(n_epochs):
    with pytest.raises(ValueError, match="n_epochs"):
        S2PGPPO("MlpPolicy", "S2PGMemory-v0", n_epochs=n_epochs)


# ------------------------------------------------------------------ 11. predict returns an np.ndarray
def test_predict_on_one_discrete_observation_returns_an_ndarray():
    model = S2PGPPO("MlpPolicy", make_vec_env("S2PGMemoryDiscrete-v0", n_envs=1), **TINY_PPO)
    action, (z, prev) = model.predict(np.array([1.0, 0.0], np.float32), deterministic=True)
    assert isinstance(action, np.ndarray) and action.shape == () and action.dtype == np.int64
    assert z.shape == (1, 2) and prev.shape == (1, 2)
    assert model.env_action_space.contains(action)


@pytest.mark.parametrize("cls", [S2PGPPO, S2PGSAC, S2PGTD3])
def test_predict_on_one_box_observation_returns_an_ndarray(cls):
    kwargs = TINY_PPO if cls is S2PGPPO else TINY_OFF
    model = cls("MlpPolicy", memory_env(), **kwargs)
    action, _ = model.predict(np.array([1.0, 0.0], np.float32), deterministic=True)
    assert isinstance(action, np.ndarray) and action.shape == (1,)
    actions, _ = model.predict(np.zeros((3, 2), np.float32), deterministic=True)
    assert isinstance(actions, np.ndarray) and actions.shape == (3, 1)


# ------------------------------------------------------------------ 12. TensorBoard run names
@pytest.mark.parametrize("cls", [S2PGPPO, S2PGSAC, S2PGTD3])
def test_tensorboard_runs_are_named_after_the_class(cls, tmp_path):
    kwargs = TINY_PPO if cls is S2PGPPO else TINY_OFF
    cls("MlpPolicy", memory_env(), tensorboard_log=str(tmp_path), **kwargs).learn(32)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{cls.__name__}_1"]

"""Regression tests of S2PG fixes: loading a privileged model with an env, the non-finite guards of the
temperatures, targets and replay buffer, PPO's early stop, argument checks, predict's return type,
TensorBoard names, more observation / action spaces and ``policy.predict``."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
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


# ------------------------------------------------------------------ 13. more observation and action spaces
class SpacesEnv(gym.Env):
    """Episodes of 4 steps (terminated or truncated); checks that every action it receives lies in its own
    action space."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space, self.action_space = observation_space, action_space
        self.t = 0
        self.received: list[np.ndarray] = []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.observation_space.seed(seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action):
        assert self.action_space.contains(np.asarray(action, dtype=self.action_space.dtype)), action
        self.received.append(np.asarray(action))
        self.t += 1
        reward = float(np.sum(action)) if isinstance(self.action_space, spaces.Box) else float(action)
        end = self.t >= 4
        truncated = end and self.np_random.random() < 0.5  # both timeout bootstrapping and terminal ends
        return self.observation_space.sample(), reward, end and not truncated, truncated, {}


def spaces_env(obs_space: spaces.Space, action_space: spaces.Space, n_envs: int = 2):
    return make_vec_env(lambda: SpacesEnv(obs_space, action_space), n_envs=n_envs, seed=0)


def tiny_kwargs(cls) -> dict:
    return {**TINY_PPO, "n_steps": 16} if cls is S2PGPPO else {**TINY_OFF, "learning_starts": 8}


BOX_2X3 = spaces.Box(-1.0, 1.0, (2, 3), np.float32)


@pytest.mark.parametrize("cls", [S2PGPPO, S2PGSAC, S2PGTD3])
def test_multidimensional_box_actions_are_flattened_and_reshaped(cls):
    env = spaces_env(spaces.Box(-1.0, 1.0, (3,), np.float32), BOX_2X3)
    model = cls("MlpPolicy", env, **tiny_kwargs(cls)).learn(48)
    assert model.action_space.shape == (6 + model.z_dim,) and model.env_action_space == BOX_2X3
    received = env.envs[0].unwrapped.received
    assert len(received) > 0 and all(a.shape == (2, 3) for a in received)
    action, (z, prev) = model.predict(np.zeros(3, np.float32))
    assert action.shape == (2, 3) and prev.shape == (1, 6) and z.shape == (1, model.z_dim)
    actions, _ = model.predict(np.zeros((4, 3), np.float32), deterministic=True)
    assert actions.shape == (4, 2, 3)


@pytest.mark.parametrize("cls", [S2PGPPO, S2PGSAC, S2PGTD3])
@pytest.mark.parametrize(
    ("obs_space", "flat_dim"),
    [(spaces.Discrete(5), 5), (spaces.MultiDiscrete([3, 4]), 7), (spaces.Box(-1, 1, (2, 2), np.float32), 4)],
)
def test_discrete_and_multidiscrete_observations_are_one_hot(cls, obs_space, flat_dim):
    action_space = spaces.Discrete(3) if cls is S2PGPPO else spaces.Box(-1.0, 1.0, (2,), np.float32)
    model = cls("MlpPolicy", spaces_env(obs_space, action_space), **tiny_kwargs(cls)).learn(48)
    kernel = model.policy.kernel if cls is S2PGPPO else model.actor.kernel
    assert kernel.obs_embed[0].in_features == flat_dim
    obs = obs_space.sample()
    action, _ = model.predict(obs, deterministic=True)
    assert isinstance(action, np.ndarray) and model.env_action_space.contains(action)
    batch, _ = model.predict(np.stack([obs, obs]), deterministic=True)
    assert batch.shape == (2, *action_space.shape) and np.allclose(batch[0], action, atol=1e-5)
    if isinstance(obs_space, spaces.Discrete):  # one-hot: every observation gets its own input row
        from sb3_pgx.s2pg.policies import flat_obs  # noqa: PLC0415  (added by this fix)

        one_hot = flat_obs(th.arange(5), obs_space)
        assert th.equal(one_hot, th.eye(5))


@pytest.mark.parametrize(
    ("cls", "obs_space", "action_space", "message"),
    [
        (
            S2PGPPO,
            spaces.Dict({"a": BOX_2X3}),
            spaces.Discrete(2),
            "observation_space.*Box, Discrete, MultiDiscrete",
        ),
        (S2PGSAC, spaces.Discrete(2), spaces.Discrete(2), r"action_space.*allowed are Box$"),
        (S2PGTD3, spaces.Discrete(2), spaces.MultiDiscrete([2, 2]), r"action_space.*allowed are Box$"),
        (S2PGPPO, spaces.Discrete(2), spaces.MultiBinary(3), r"action_space.*allowed are Box, Discrete$"),
    ],
)
def test_unsupported_spaces_name_the_space_and_what_is_allowed(cls, obs_space, action_space, message):
    with pytest.raises(ValueError, match=message):
        cls("MlpPolicy", spaces_env(obs_space, action_space))


# ------------------------------------------------------------------ 14. policy.predict on the env's observation
@pytest.mark.parametrize("cls", [S2PGPPO, S2PGSAC, S2PGTD3])
def test_policy_predict_on_the_envs_observation_says_to_use_model_predict(cls):
    model = cls("MlpPolicy", memory_env(), **tiny_kwargs(cls))
    with pytest.raises(ValueError, match=r"model\.predict\(obs, state, episode_start\)"):
        model.policy.predict(np.array([1.0, 0.0], np.float32))
    augmented = {
        "obs": np.zeros((2, 2), np.float32),
        "z": np.zeros((2, 3 if cls is not S2PGPPO else 2)),
        "prev_action": np.zeros((2, 1), np.float32),
    }
    joint, _ = model.policy.predict(augmented, deterministic=True)
    assert joint.shape == (2, *model.action_space.shape)

"""S2PG shared pieces and S2PG-PPO: kernel densities, state handling, memory task, save/load, bad input,
zoo samplers (the zoo's train and enjoy: tests/test_zoo.py)."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_pgx import S2PGPPO, S2PGSAC
from sb3_pgx.common.stateful.kernel import gaussian_entropy, gaussian_log_prob, squashed_gaussian_rsample
from sb3_pgx.common.stateful.vec_env import S2PGVecEnv
from sb3_pgx.envs import CueMemoryEnv
from sb3_pgx.s2pg.policies import JointDistribution
from tests.zoo_helpers import sampled_kwargs

MEMORY_PPO = {
    "z_dim": 8,
    "n_steps": 64,
    "batch_size": 128,
    "n_epochs": 10,
    "learning_rate": 1e-3,
    "policy_kwargs": {"n_features": 32, "value_net_arch": [64, 64]},
}


def success_rate(model, env_id: str = "S2PGMemory-v0", n: int = 200, deterministic: bool = True) -> float:
    env = make_vec_env(env_id, n_envs=4, seed=123)
    episode_successes: list[float] = []

    def callback(locals_, globals_):
        info = locals_["info"]
        if locals_["done"] and "is_success" in info:
            episode_successes.append(float(info["is_success"]))

    evaluate_policy(model, env, n_eval_episodes=n, deterministic=deterministic, callback=callback)
    return float(np.mean(episode_successes))


# ------------------------------------------------------------------ kernel: closed forms
def test_gaussian_log_prob_and_entropy_closed_form():
    th.manual_seed(0)
    mean, log_std, x = th.randn(5, 3), th.randn(5, 3) * 0.3, th.randn(5, 3)
    expected = th.distributions.Normal(mean, log_std.exp()).log_prob(x).sum(-1)
    assert th.allclose(gaussian_log_prob(x, mean, log_std), expected, atol=1e-5)
    manual = (-0.5 * ((x - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    assert th.allclose(gaussian_log_prob(x, mean, log_std), manual, atol=1e-5)
    assert th.allclose(
        gaussian_entropy(log_std), th.distributions.Normal(mean, log_std.exp()).entropy().sum(-1), atol=1e-5
    )


def test_squashed_kernel_log_prob_and_reparameterisation():
    th.manual_seed(0)
    mean = th.randn(64, 4, requires_grad=True)
    log_std = (th.randn(64, 4) * 0.3).requires_grad_(True)
    y, log_prob = squashed_gaussian_rsample(mean, log_std)
    u = th.atanh(y.detach().clamp(-1 + 1e-6, 1 - 1e-6))
    closed = th.distributions.Normal(mean, log_std.exp()).log_prob(u).sum(-1) - th.log(
        1 - y.detach() ** 2
    ).sum(-1)
    assert th.allclose(log_prob, closed, atol=1e-3)
    # reparameterisation: y = tanh(mean + std * eps)
    # => dy/dmean = 1 - y^2 and dy/dlog_std = (1 - y^2) * (u - mean)
    y.sum().backward()
    assert th.allclose(mean.grad, 1 - y.detach() ** 2, atol=1e-5)
    assert th.allclose(log_std.grad, (1 - y.detach() ** 2) * (u - mean.detach()), atol=1e-3)


def test_joint_distribution_is_product_of_action_and_kernel():
    th.manual_seed(0)
    a_mean, a_log_std, z_mean, z_log_std = (
        th.randn(6, 2),
        th.randn(2) * 0.2,
        th.randn(6, 3),
        th.randn(3) * 0.2,
    )
    dist = JointDistribution((a_mean, a_log_std), z_mean, z_log_std)
    joint = dist.get_actions()
    expected = th.distributions.Normal(a_mean, a_log_std.exp()).log_prob(joint[:, :2]).sum(
        -1
    ) + th.distributions.Normal(z_mean, z_log_std.exp()).log_prob(joint[:, 2:]).sum(-1)
    assert th.allclose(dist.log_prob(joint), expected, atol=1e-5)
    assert th.allclose(dist.get_actions(deterministic=True), th.cat([a_mean, z_mean], -1))
    logits = th.randn(6, 4)
    dist = JointDistribution((logits, None), z_mean, z_log_std)
    joint = dist.get_actions()
    expected = th.distributions.Categorical(logits=logits).log_prob(
        joint[:, 0].long()
    ) + th.distributions.Normal(z_mean, z_log_std.exp()).log_prob(joint[:, 1:]).sum(-1)
    assert th.allclose(dist.log_prob(joint), expected, atol=1e-5)


# ------------------------------------------------------------------ internal state across episodes
def test_wrapper_resets_z_and_prev_action_at_episode_starts():
    venv = DummyVecEnv([lambda d=d: CueMemoryEnv(delay=d) for d in (1, 2, 3)])
    env = S2PGVecEnv(venv, z_dim=2, z_bound=1.0)
    obs = env.reset()
    assert np.all(obs["z"] == 0) and np.all(obs["prev_action"] == 0)
    for step in range(6):
        joint = np.full((3, 3), 0.5, np.float32)
        joint[:, 1:] = step / 10 + 0.1
        obs, _, dones, infos = env.step(joint)
        for i in range(3):
            if dones[i]:
                assert np.all(obs["z"][i] == 0) and np.all(obs["prev_action"][i] == 0)
                terminal = infos[i]["terminal_observation"]
                assert np.allclose(terminal["z"], step / 10 + 0.1) and np.allclose(
                    terminal["prev_action"], 0.5
                )
            else:
                assert np.allclose(obs["z"][i], step / 10 + 0.1) and np.allclose(obs["prev_action"][i], 0.5)


def test_predict_carries_state_and_resets_it_per_env():
    model = S2PGPPO("MlpPolicy", make_vec_env("S2PGMemory-v0", n_envs=2, seed=0), **MEMORY_PPO, seed=0)
    obs = np.array([[1.0, 0.0], [1.0, 0.0]], np.float32)
    _, (z, prev) = model.predict(obs, deterministic=True)
    assert z.shape == (2, 8) and prev.shape == (2, 1) and np.abs(z).sum() > 0
    state = (np.ones((2, 8), np.float32), np.ones((2, 1), np.float32))
    a_start, s_start = model.predict(
        obs, state=state, episode_start=np.array([True, False]), deterministic=True
    )
    a_zero, s_zero = model.predict(obs, state=None, deterministic=True)
    a_ones, s_ones = model.predict(obs, state=state, deterministic=True)
    assert np.allclose(s_start[0][0], s_zero[0][0]) and np.allclose(a_start[0], a_zero[0])  # env 0 restarted
    assert np.allclose(s_start[0][1], s_ones[0][1]) and not np.allclose(
        s_start[0][1], s_zero[0][1]
    )  # env 1 carried
    single, _ = model.predict(obs[0], deterministic=True)
    assert single.shape == (1,)


# ------------------------------------------------------------------ the memory task
def test_memory_task_is_learned_by_s2pg_ppo_and_not_by_memoryless_ppo():
    env = make_vec_env("S2PGMemory-v0", n_envs=8, seed=0)
    model = S2PGPPO("MlpPolicy", env, **MEMORY_PPO, seed=0).learn(20_000)
    assert success_rate(model) >= 0.95
    assert model.logger.name_to_value["train/nonfinite_skips"] == 0
    memoryless = PPO(
        "MlpPolicy", make_vec_env("S2PGMemory-v0", n_envs=8, seed=0), n_steps=64, batch_size=128, seed=0
    )
    memoryless.learn(20_000)
    assert success_rate(memoryless) <= 0.65


def test_ortho_init_has_sb3_gains_per_layer():
    """SB3's gains for the action head: sqrt(2) for its hidden layers, 0.01 for its output layer (the whole head
    used to get 0.01, which left hidden action layers near zero); every layer of V keeps gain 1. An orthogonal
    matrix times the gain has every singular value equal to the gain."""
    kwargs = {"n_features": 16, "action_net_arch": [32, 32], "value_net_arch": [32, 32]}
    policy = S2PGPPO("MlpPolicy", "Pendulum-v1", z_dim=4, policy_kwargs=kwargs, seed=0).policy

    def gains(net: th.nn.Sequential) -> list[float]:
        return [
            float(th.linalg.svdvals(m.weight.detach()).mean()) for m in net if isinstance(m, th.nn.Linear)
        ]

    assert np.allclose(gains(policy.action_head), [math.sqrt(2), math.sqrt(2), 0.01], rtol=1e-4)
    assert np.allclose(gains(policy.value_head), [1.0, 1.0, 1.0], rtol=1e-4)
    assert np.allclose(gains(policy.head_obs_embed), [math.sqrt(2)], rtol=1e-4)


def test_discrete_actions():
    env = make_vec_env("S2PGMemoryDiscrete-v0", n_envs=4, seed=0)
    model = S2PGPPO("MlpPolicy", env, **MEMORY_PPO, seed=0).learn(512)
    actions, _ = model.predict(np.zeros((4, 2), np.float32))
    assert actions.dtype == np.int64 and set(actions.tolist()) <= {0, 1}
    assert model.logger.name_to_value["train/nonfinite_skips"] == 0
    # the stored joint action is [index, z'] (the buffer is flattened after training);
    # its log-probability is categorical + Gaussian
    buffer = model.rollout_buffer
    obs = {k: th.as_tensor(v.reshape(-1, v.shape[-1])[:16]) for k, v in buffer.observations.items()}
    joint = th.as_tensor(buffer.actions.reshape(-1, buffer.actions.shape[-1])[:16])
    assert set(joint[:, 0].tolist()) <= {0.0, 1.0} and joint.shape[1] == 1 + 8
    with th.no_grad():
        dist = model.policy.get_distribution(obs)
        logits, expected = dist.a_param, th.distributions.Categorical(logits=dist.a_param)
        expected = expected.log_prob(joint[:, 0].long()) + dist.z_log_prob(joint[:, 1:])
        assert th.allclose(dist.log_prob(joint), expected) and logits.shape == (16, 2)


# ------------------------------------------------------------------ save / load
def test_save_load_identical_predictions_and_z_dim_checks(tmp_path):
    env = make_vec_env("S2PGMemory-v0", n_envs=2, seed=0)
    model = S2PGPPO("MlpPolicy", env, **MEMORY_PPO, seed=0).learn(256)
    model.save(tmp_path / "m")
    loaded = S2PGPPO.load(tmp_path / "m")
    assert loaded.z_dim == 8
    obs = np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32)
    state = (np.random.default_rng(0).normal(size=(2, 8)).astype(np.float32), np.zeros((2, 1), np.float32))
    a1, s1 = model.predict(obs, state=state, deterministic=True)
    a2, s2 = loaded.predict(obs, state=state, deterministic=True)
    assert np.array_equal(a1, a2) and np.array_equal(s1[0], s2[0])
    with pytest.raises(ValueError, match="z_dim"):
        S2PGPPO.load(tmp_path / "m", z_dim=16)
    other = S2PGVecEnv(make_vec_env("S2PGMemory-v0", n_envs=2), z_dim=4, z_bound=1e4)
    with pytest.raises(ValueError, match="z_dim=4"):
        S2PGPPO.load(tmp_path / "m", env=other)
    continued = S2PGPPO.load(tmp_path / "m", env=make_vec_env("S2PGMemory-v0", n_envs=3, seed=1))
    continued.learn(256)
    assert continued.n_envs == 3
    continued.set_env(make_vec_env("S2PGMemory-v0", n_envs=3, seed=2))  # the user's env, wrapped again
    assert not isinstance(continued.get_env(), S2PGVecEnv) and isinstance(continued.env, S2PGVecEnv)
    continued.learn(256)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("z_dim", [0, -3, 1.5])
def test_bad_z_dim(z_dim):
    with pytest.raises(ValueError, match="z_dim"):
        S2PGPPO("MlpPolicy", "S2PGMemory-v0", z_dim=z_dim)


def test_bad_spaces_and_privileged_flag():
    with pytest.raises(ValueError, match="privileged"):
        S2PGSAC("MlpPolicy", "Pendulum-v1", privileged_critic=True)
    with pytest.raises(ValueError, match="privileged_critic"):
        S2PGPPO("MlpPolicy", "S2PGMemory-v0", privileged_critic=True)
    with pytest.raises(ValueError, match="action_space"):
        S2PGSAC("MlpPolicy", "CartPole-v1")
    with pytest.raises(ValueError, match="observation_space"):
        S2PGPPO("MlpPolicy", make_vec_env(lambda: gym.make("Blackjack-v1")))


def test_samplers_return_constructor_kwargs_and_converters_rebuild_them():
    from sb3_pgx import S2PGTD3
    from sb3_pgx.s2pg import hpo

    for cls, sample, convert in (
        (S2PGPPO, hpo.sample_s2pg_ppo_params, hpo.convert_s2pg_ppo_params),
        (S2PGSAC, hpo.sample_s2pg_sac_params, hpo.convert_s2pg_sac_params),
        (S2PGTD3, hpo.sample_s2pg_td3_params, hpo.convert_s2pg_td3_params),
    ):
        (kwargs,) = sampled_kwargs(sample, convert, seed=0)
        model = cls("MlpPolicy", "S2PGMemory-v0", **kwargs)
        assert model.z_dim == kwargs["z_dim"]

"""S2PG on the zoo's velocity-masked tasks (issue 12): the factored ratio of S2PG-PPO, the shipped NoVel
entries through the zoo's train/enjoy, and a short learning test on a masked task."""

from __future__ import annotations

import pytest
import torch as th
from stable_baselines3.common.buffers import DictRolloutBuffer
from stable_baselines3.common.callbacks import ConvertCallback
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import S2PGPPO, S2PGSAC, S2PGTD3
from sb3_pgx.common.stateful.buffers import S2PGRolloutBuffer, StatefulReplayBuffer
from sb3_pgx.common.stateful.vec_env import S2PGVecEnv
from tests.zoo_helpers import assert_ok, run_zoo_enjoy, run_zoo_train

SMALL = {"z_dim": 4, "n_steps": 32, "batch_size": 32, "n_epochs": 1, "policy_kwargs": {"n_features": 16}}


def _collected(ratio: str) -> S2PGPPO:
    """A model with one rollout of its initial policy in its buffer."""
    model = S2PGPPO("MlpPolicy", make_vec_env("Pendulum-v1", n_envs=2, seed=0), ratio=ratio, seed=0, **SMALL)
    return _collect(model)


def _collect(model: S2PGPPO) -> S2PGPPO:
    """``model`` with one rollout of its current policy in its buffer."""
    model._setup_learn(64)
    callback = ConvertCallback(None)
    callback.init_callback(model)
    model.collect_rollouts(model.env, callback, model.rollout_buffer, model.n_steps)
    return model


def _policy_grad(model: S2PGPPO) -> th.Tensor:
    buffer = model.rollout_buffer
    if model.ratio == "factored":
        buffer.store_z_log_prob(model.policy.z_log_prob)
    data = next(buffer.get(None))
    model.policy.zero_grad()
    loss, _ = model._minibatch_loss(data, data.advantages, 0.2, None)
    loss.backward()
    return th.cat([p.grad.flatten() for p in model.policy.parameters() if p.grad is not None])


def test_factored_ratio_has_the_joint_gradient_at_the_rollout_policy():
    th.manual_seed(0)
    joint, factored = _policy_grad(_collected("joint")), _policy_grad(_collected("factored"))
    assert th.allclose(joint, factored, rtol=1e-4, atol=1e-6)


def test_buffer_stores_the_kernel_log_prob_of_the_rollout():
    model = _collected("factored")
    buffer = model.rollout_buffer
    assert isinstance(buffer, S2PGRolloutBuffer)
    buffer.store_z_log_prob(model.policy.z_log_prob)
    data = next(buffer.get(None))
    with th.no_grad():
        _, log_a, log_z, _ = model.policy.evaluate_factored(data.observations, data.actions)
    assert th.allclose(data.old_z_log_prob, log_z, atol=1e-4)
    assert th.allclose(data.old_log_prob, log_a + log_z, atol=1e-4)


def test_bad_ratio_and_buffer():
    with pytest.raises(ValueError, match="ratio"):
        S2PGPPO("MlpPolicy", "Pendulum-v1", ratio="sum")
    with pytest.raises(ValueError, match="rollout_buffer_class"):
        S2PGPPO("MlpPolicy", "Pendulum-v1", ratio="factored", rollout_buffer_class=DictRolloutBuffer)
    S2PGPPO("MlpPolicy", "Pendulum-v1", rollout_buffer_class=DictRolloutBuffer, **SMALL).learn(64)
    with pytest.raises(ValueError, match="z_coef"):
        S2PGPPO("MlpPolicy", "Pendulum-v1", z_coef=0.5)
    with pytest.raises(ValueError, match="z_coef"):
        S2PGPPO("MlpPolicy", "Pendulum-v1", ratio="factored", z_coef=-1.0)
    with pytest.raises(ValueError, match="z_coef"):
        S2PGPPO("MlpPolicy", "Pendulum-v1", ratio="factored", z_coef="0.5")


def test_gsde_of_a_copied_sac_zoo_entry_is_a_value_error():
    """The zoo's sac Pendulum entry sets use_sde: S2PG-SAC rejects it by name, not with a TypeError."""
    with pytest.raises(ValueError, match="use_sde must be False"):
        S2PGSAC("MlpPolicy", "Pendulum-v1", use_sde=True, sde_sample_freq=4)
    S2PGSAC("MlpPolicy", "Pendulum-v1", use_sde=False, sde_sample_freq=4)


def test_off_policy_settings_name_the_allowed_value():
    """gSDE in an off-policy S2PG policy's kwargs and a memory-optimised replay buffer: the message says what
    is allowed."""
    with pytest.raises(ValueError, match=r"use_sde must be False for S2PG-SAC/TD3 policies \(allowed: False"):
        S2PGTD3("MlpPolicy", "Pendulum-v1", policy_kwargs={"use_sde": True})
    env = S2PGVecEnv(make_vec_env("Pendulum-v1", n_envs=1), z_dim=2)
    with pytest.raises(ValueError, match=r"optimize_memory_usage must be False .*\(allowed: False\)"):
        StatefulReplayBuffer(10, env.observation_space, env.action_space, z_dim=2, optimize_memory_usage=True)


# ------------------------------------------------------------------ gSDE (S2PG-PPO)
def test_gsde_bad_settings_name_the_parameter():
    with pytest.raises(ValueError, match="use_sde=True needs a Box action space"):
        S2PGPPO("MlpPolicy", "CartPole-v1", use_sde=True, **SMALL)
    with pytest.raises(ValueError, match="full_std=True and use_expln=False"):
        S2PGPPO("MlpPolicy", "Pendulum-v1", use_sde=True, policy_kwargs={"use_expln": True})


def _gsde_model(n_envs: int = 2, sde_sample_freq: int = 4) -> S2PGPPO:
    env = make_vec_env("Pendulum-v1", n_envs=n_envs, seed=0)
    return S2PGPPO("MlpPolicy", env, use_sde=True, sde_sample_freq=sde_sample_freq, seed=0, **SMALL)


def test_gsde_noise_is_each_envs_latent_times_its_own_matrix():
    """a - mean = latent @ E_env, with E_env held between redraws; the rollout's log-probability is the one the
    update evaluates (std^2 = latent^2 @ sigma^2 + 1e-6, SB3's gSDE)."""
    model = _gsde_model()
    policy = model.policy
    assert policy.log_std.shape == (SMALL["policy_kwargs"]["n_features"] + SMALL["z_dim"], 1)
    policy.reset_noise(2)
    obs = {key: th.as_tensor(value) for key, value in model.env.reset().items()}
    with th.no_grad():
        o, z, prev = policy._split_obs(obs)
        head_input = th.cat([policy.head_obs_embed(o), policy.kernel(o, z, prev)], dim=-1)
        mean = policy.action_head(head_input)
        dist = policy.get_distribution(obs)
        first, second = dist.get_actions()[:, :1], dist.get_actions()[:, :1]
        noise = th.stack([head_input[i] @ policy.exploration[i] for i in range(2)])
        assert th.allclose(first - mean, noise, atol=1e-5)
        assert th.allclose(first, second)  # the same matrices: the same noise
        assert not th.allclose(noise[0], noise[1])  # each env its own matrix
        std = (head_input.pow(2) @ policy.log_std.exp().pow(2) + 1e-6).sqrt()
        assert th.allclose(dist.a_log_std.exp(), std, atol=1e-6)
        policy.reset_noise(2)
        assert not th.allclose(policy.get_distribution(obs).get_actions()[:, :1], first)
    data = next(_collect(model).rollout_buffer.get(None))
    with th.no_grad():
        _, log_prob, _ = policy.evaluate_actions(data.observations, data.actions)
    assert th.allclose(data.old_log_prob, log_prob, atol=1e-4)


def test_gsde_std_trains_log_std_only():
    """SB3's learn_features=False: the gradient of the action's log-std reaches ``log_std``, not the features."""
    model = _gsde_model()
    policy = model.policy
    obs = {key: th.as_tensor(value) for key, value in model.env.reset().items()}
    policy.get_distribution(obs).a_log_std.sum().backward()
    assert policy.log_std.grad.abs().sum() > 0
    assert all(p.grad is None for p in policy.head_obs_embed.parameters())


# ------------------------------------------------------------------ zoo, shipped NoVel entries
@pytest.mark.parametrize(
    ("algo", "env_id", "extra"),
    [
        ("s2pg_ppo", "CartPoleNoVel-v1", []),
        ("s2pg_ppo", "MountainCarContinuousNoVel-v0", []),
        ("s2pg_sac", "PendulumNoVel-v1", ["-params", "learning_starts:64"]),
        ("s2pg_sac", "MountainCarContinuousNoVel-v0", []),
        ("s2pg_td3", "MountainCarContinuousNoVel-v0", ["-params", "learning_starts:64"]),
    ],
)
def test_zoo_train_and_enjoy_on_novel_tasks(tmp_path, algo, env_id, extra):
    """The shipped entry (the zoo refuses an env without one) trains, saves and replays."""
    folder = tmp_path / "logs"
    assert_ok(run_zoo_train(algo, env_id, folder, 256, *extra))
    assert_ok(run_zoo_enjoy(algo, env_id, folder, 40))


# ------------------------------------------------------------------ learning at a tiny budget
def test_cartpole_novel_is_learned_by_s2pg_ppo_and_not_by_memoryless_ppo():
    """20k steps of the shipped CartPoleNoVel-v1 entry on seeds 0-2, one torch thread: S2PG-PPO balances well
    beyond what PPO without memory does with the same settings. One seed used to be enough (187 vs 50), until the
    packages of a fresh install (here gymnasium 1.4.0, numpy 2.4.6) moved seed 0 to 96-110; the mean over three seeds is the claim."""
    import rl_zoo3.import_envs  # noqa: F401  (registers CartPoleNoVel-v1)
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy

    threads = th.get_num_threads()
    th.set_num_threads(1)
    returns: dict[str, list[float]] = {"s2pg": [], "ppo": []}
    try:
        for seed in range(3):
            common = {"n_steps": 256, "batch_size": 256, "n_epochs": 10, "learning_rate": 1e-3, "seed": seed}
            env = make_vec_env("CartPoleNoVel-v1", n_envs=8, seed=seed)
            models = {
                "s2pg": S2PGPPO("MlpPolicy", env, z_dim=16, policy_kwargs={"n_features": 64}, **common),
                "ppo": PPO("MlpPolicy", make_vec_env("CartPoleNoVel-v1", n_envs=8, seed=seed), **common),
            }
            for name, model in models.items():
                model.learn(20_000)
                eval_env = make_vec_env("CartPoleNoVel-v1", n_envs=1, seed=5)
                returns[name].append(evaluate_policy(model, eval_env, 10)[0])
    finally:
        th.set_num_threads(threads)
    s2pg, ppo = (sum(r) / len(r) for r in returns.values())
    assert s2pg >= 120 and ppo <= 90 and s2pg >= 2 * ppo, returns


def test_action_std_is_relative_to_the_action_half_range():
    """Default std 0.5 x (high - low) / 2: 0.5 on [-1, 1] (MuJoCo, unchanged), 1.0 on Pendulum's [-2, 2]."""
    import math

    def std(env_id: str, **policy_kwargs) -> list[float]:
        model = S2PGPPO("MlpPolicy", env_id, z_dim=2, policy_kwargs=policy_kwargs)
        return model.policy.log_std.detach().exp().tolist()

    assert std("Pendulum-v1") == pytest.approx([1.0])
    assert std("S2PGMemory-v0") == pytest.approx([0.5])
    assert std("Pendulum-v1", log_std_init=math.log(0.25)) == pytest.approx([0.5])
    assert std("CartPole-v1") == pytest.approx([0.5])  # Discrete: unused, not rescaled

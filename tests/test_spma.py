"""SPMA (and, where the behaviour is the family's, MDPO and TRPO-reg): API, spaces, learning, save/load, bad input."""

import numpy as np
import optuna
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import (
    FakeImageEnv,
    IdentityEnv,
    IdentityEnvBox,
    IdentityEnvMultiBinary,
    IdentityEnvMultiDiscrete,
    SimpleMultiObsEnv,
)
from stable_baselines3.common.evaluation import evaluate_policy

from sb3_pgx import MDPO, SPMA, Rank1NPG, TRPOReg
from sb3_pgx.common.hpo import convert_mirror_params, sample_mirror_params

FAMILY = [SPMA, MDPO, TRPOReg]


@pytest.mark.parametrize("algo_class", FAMILY)
@pytest.mark.parametrize(
    "env",
    [IdentityEnv(4), IdentityEnvBox(), IdentityEnvMultiDiscrete(3), IdentityEnvMultiBinary(3)],
    ids=["Discrete", "Box", "MultiDiscrete", "MultiBinary"],
)
@pytest.mark.parametrize("inner_loop", ["armijo", "adam"])
def test_action_spaces(algo_class, env, inner_loop):
    model = algo_class("MlpPolicy", env, n_steps=32, batch_size=16, n_epochs=2, inner_loop=inner_loop, seed=0)
    model.learn(64)
    action, state = model.predict(env.observation_space.sample(), deterministic=True)
    assert env.action_space.contains(action) and state is None
    assert all(th.isfinite(p).all() for p in model.policy.parameters())


@pytest.mark.parametrize("policy,env", [("CnnPolicy", FakeImageEnv(screen_height=36, screen_width=36)),
                                        ("MultiInputPolicy", SimpleMultiObsEnv())], ids=["cnn", "dict"])  # fmt: skip
def test_cnn_and_multi_input_policies(policy, env):
    model = SPMA(policy, env, n_steps=16, batch_size=8, n_epochs=1, inner_loop="adam", seed=0,
                 policy_kwargs=dict(features_extractor_kwargs=dict(features_dim=16)) if policy == "CnnPolicy" else None)  # fmt: skip
    model.learn(32)
    assert model.policy.vf_features_extractor is not model.policy.pi_features_extractor
    model.predict(env.observation_space.sample())


def test_actor_and_critic_are_separate_parameter_groups():
    model = SPMA("MlpPolicy", "Pendulum-v1", n_steps=64, seed=0)
    actor = {id(p) for p in model.policy.actor_parameters()}
    critic = {id(p) for p in model.policy.critic_parameters()}
    assert actor and critic and not actor & critic
    assert actor | critic == {id(p) for p in model.policy.parameters()}
    assert id(model.policy.log_std) in actor
    assert {id(p) for g in model.policy.optimizer.param_groups for p in g["params"]} == actor
    assert {id(p) for g in model.policy.critic_optimizer.param_groups for p in g["params"]} == critic


def test_spma_learns_cartpole():
    env = make_vec_env("CartPole-v1", n_envs=8, seed=2)
    model = SPMA("MlpPolicy", env, n_steps=256, n_epochs=5, eta=1.0, critic_learning_rate=1e-3, seed=2)
    model.learn(20_000)
    mean_return, _ = evaluate_policy(model, make_vec_env("CartPole-v1", n_envs=4, seed=1), n_eval_episodes=8)
    assert mean_return > 300


@pytest.mark.parametrize("algo_class", [MDPO, TRPOReg])
def test_family_learns_cartpole(algo_class):
    env = make_vec_env("CartPole-v1", n_envs=8, seed=0)
    model = algo_class("MlpPolicy", env, n_steps=256, n_epochs=5, eta=1.0, critic_learning_rate=1e-3, seed=0)
    model.learn(12_000)
    mean_return, _ = evaluate_policy(model, make_vec_env("CartPole-v1", n_envs=4, seed=1), n_eval_episodes=8)
    assert mean_return > 100  # a random policy gets about 20


@pytest.mark.parametrize("algo_class", FAMILY)
def test_save_load_round_trip_and_continue(algo_class, tmp_path):
    model = algo_class("MlpPolicy", "Pendulum-v1", n_steps=64, n_epochs=2, seed=0)
    model.learn(128)
    model.observation_space.seed(0)  # SB3 seeds the action space only
    obs = np.stack([model.observation_space.sample() for _ in range(10)])
    actions, _ = model.predict(obs, deterministic=True)
    model.save(tmp_path / "model")
    assert not list(tmp_path.glob("*.tmp"))
    loaded = algo_class.load(tmp_path / "model.zip", env=model.get_env())
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0], actions)
    assert loaded.actor_step_size == model.actor_step_size  # the line-search warm start is kept
    for opt_name in ("optimizer", "critic_optimizer"):
        saved = getattr(model.policy, opt_name).state_dict()["state"]
        restored = getattr(loaded.policy, opt_name).state_dict()["state"]
        assert saved.keys() == restored.keys()
    loaded.learn(128, reset_num_timesteps=False)
    assert loaded.num_timesteps == 256


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = SPMA("MlpPolicy", "CartPole-v1", n_steps=64, seed=0)
    model.save(tmp_path / "model.zip")
    before = (tmp_path / "model.zip").read_bytes()

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("stable_baselines3.common.base_class.save_to_zip_file", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(tmp_path / "model.zip")
    assert (tmp_path / "model.zip").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]


def test_non_finite_advantages_leave_the_weights_untouched():
    model = SPMA("MlpPolicy", "CartPole-v1", n_steps=64, seed=0)
    model.learn(64)  # fills the rollout buffer
    model.rollout_buffer.advantages[:] = np.nan
    before = [p.detach().clone() for p in model.policy.actor_parameters()]
    model.train()
    assert all(th.equal(a, b) for a, b in zip(before, model.policy.actor_parameters(), strict=True))
    assert model.logger.name_to_value["train/nonfinite_skips"] == model.n_epochs
    assert model.nonfinite_skips_total >= model.n_epochs


def test_tensorboard_scalars_and_callbacks(tmp_path):
    seen = []

    class Count(BaseCallback):
        def _on_step(self) -> bool:
            seen.append(self.num_timesteps)
            return True

    model = SPMA("MlpPolicy", "CartPole-v1", n_steps=64, seed=0, tensorboard_log=str(tmp_path))
    model.learn(128, callback=Count(), progress_bar=True)
    assert seen[-1] == 128
    logged = model.logger.name_to_value
    for key in ("train/kl_old_new", "train/approx_kl", "train/ratio_mean", "train/ratio_max", "train/eta",
                "train/armijo_step_size", "train/armijo_backtracks", "train/line_search_failures",
                "train/actor_loss", "train/critic_loss", "train/explained_variance"):  # fmt: skip
        assert key in logged, key
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next(tmp_path.glob("SPMA_*")))).Reload()
    assert "train/kl_old_new" in events.Tags()["scalars"]


def test_kl_stays_small_with_small_eta():
    kls = {}
    for eta in (0.05, 2.0):
        model = SPMA("MlpPolicy", "CartPole-v1", n_steps=512, n_epochs=10, eta=eta, seed=0)
        model.learn(512)
        kls[eta] = model.logger.name_to_value["train/kl_old_new"]
    assert kls[0.05] < kls[2.0]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(eta=0.0), "eta must be > 0"),
        (dict(eta=-1.0), "eta must be > 0"),
        (dict(eta="exp_1"), "eta must be a positive number, 'lin_<x>'"),
        (dict(n_epochs=0), "n_epochs must be an integer >= 1"),
        (dict(inner_loop="sgd"), "inner_loop must be one of 'armijo', 'adam'"),
        (dict(critic_inner_loop="lbfgs"), "critic_inner_loop must be one of"),
        (dict(batch_size=50), "batch_size=50 must divide the rollout size n_steps \\* n_envs = 64"),
        (dict(critic_batch_size=7), "critic_batch_size=7 must divide"),
        (dict(armijo_c=0.0), "armijo_c must be in"),
        (dict(gamma=1.5), "gamma must be in"),
        (dict(max_grad_norm=-1.0), "max_grad_norm must be > 0"),
        (
            dict(policy_kwargs=dict(share_features_extractor=True)),
            "share_features_extractor=True is not supported",
        ),
    ],
)
def test_bad_hyperparameters_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SPMA("MlpPolicy", "CartPole-v1", n_steps=64, **kwargs)


def test_unsupported_action_space_raises_value_error():
    env = IdentityEnv(3)
    env.action_space = spaces.Tuple([spaces.Discrete(2), spaces.Discrete(2)])
    with pytest.raises(
        ValueError, match="unsupported action space .* allowed are Box, Discrete, MultiDiscrete, MultiBinary"
    ):
        SPMA("MlpPolicy", env, n_steps=64)


@pytest.mark.parametrize("algo_class,actor_calls", [(SPMA, 0), (MDPO, 3), (TRPOReg, 3)])
def test_old_policy_forward_only_where_the_surrogate_needs_it(algo_class, actor_calls, monkeypatch):
    """SPMA reads pi_old only through the stored log-probs: no forward of the old actor per inner step."""
    model = algo_class("MlpPolicy", "CartPole-v1", n_steps=64, n_epochs=3, seed=0)
    model.learn(64)
    calls = []
    original = model._old_policy.get_distribution
    monkeypatch.setattr(model._old_policy, "get_distribution", lambda obs: calls.append(1) or original(obs))
    model.train()
    assert len(calls) == actor_calls + 1  # + the one pass for the logged KL statistics


def _critic_batch_sizes(model) -> list[int]:
    """The size of every batch the critic steps on in one more ``train()`` (the rollout buffer must be full)."""
    sizes = []
    loss_fn = model._critic_loss_fn

    def recording(data):
        sizes.append(len(data.returns))
        return loss_fn(data)

    model._critic_loss_fn = recording
    model.train()
    return sizes


@pytest.mark.parametrize("algo_class", [SPMA, Rank1NPG])
@pytest.mark.parametrize("critic_inner_loop", ["armijo", "adam"])
def test_critic_batch_size_none_is_the_whole_rollout(algo_class, critic_inner_loop):
    """``critic_batch_size=None`` is one critic step per epoch on all n_steps x n_envs samples, as documented
    (it was the largest divisor <= 64: here 64, three steps per epoch)."""
    env = make_vec_env("CartPole-v1", n_envs=2, seed=0)
    model = algo_class("MlpPolicy", env, n_steps=96, critic_batch_size=None, n_critic_epochs=2,
                       critic_inner_loop=critic_inner_loop, seed=0)  # fmt: skip
    model.learn(192)
    assert _critic_batch_sizes(model) == [192, 192]


@pytest.mark.parametrize("algo_class", FAMILY)
def test_n_critic_epochs_defaults_to_n_epochs(algo_class):
    """The default ``n_critic_epochs=None`` is ``n_epochs`` critic passes (it was 10 whatever n_epochs)."""
    model = algo_class("MlpPolicy", "CartPole-v1", n_steps=64, n_epochs=3, seed=0)
    model.learn(64)
    assert model.n_critic_epochs is None
    assert _critic_batch_sizes(model) == [64, 64, 64]
    model = algo_class("MlpPolicy", "CartPole-v1", n_steps=64, n_epochs=3, n_critic_epochs=2, seed=0)
    model.learn(64)
    assert _critic_batch_sizes(model) == [64, 64]


@pytest.mark.parametrize(
    "n_envs,expected,batches", [(8, 128, [128] * 4), (3, 64, [64] * 3), (2, None, [128])]
)
def test_optuna_critic_batch_is_compared_with_the_whole_rollout(n_envs, expected, batches):
    """A sampled critic minibatch of 2**7 = 128 with n_steps = 64: a minibatch when the rollout is 64 x 8 = 512
    samples, 64 (the largest divisor of 192 that divides 128) for 64 x 3, the whole rollout (None) for 64 x 2 =
    128 (the converter compared 128 with n_steps alone)."""
    params = dict(one_minus_gamma=0.01, one_minus_gae_lambda=0.05, n_steps_pow=6, net_arch="tiny",
                  activation_fn="tanh", eta=1.0, n_epochs=2, critic_learning_rate=1e-3, n_critic_epochs=1,
                  critic_batch_size_pow=7, n_envs=n_envs)  # fmt: skip
    trial = optuna.trial.FixedTrial(params)
    kwargs = sample_mirror_params(trial, 1, n_envs, {})
    assert kwargs["critic_batch_size"] == expected and "n_envs" not in kwargs
    assert convert_mirror_params(trial.params) == kwargs
    model = SPMA("MlpPolicy", make_vec_env("CartPole-v1", n_envs=n_envs, seed=0), **kwargs)
    model.learn(64 * n_envs)
    assert _critic_batch_sizes(model) == batches

"""REINFORCE with the adam / hessian (PG-SOM) / rk2 updates, the SPG-NM optimizer, and the zoo plug-in."""

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from sb3_pgx import REINFORCE
from sb3_pgx.optim import PGSOM, NegativeMomentum
from tests.zoo_helpers import sampled_kwargs

SMALL = {"net_arch": {"pi": [32], "vf": [32]}}


def actor_vector(model):
    return th.cat([p.detach().flatten() for p in model.policy.actor_parameters()]).clone()


def test_learns_cartpole_at_a_small_budget():
    model = REINFORCE(
        "MlpPolicy", "CartPole-v1", learning_rate=0.01, seed=0, device="cpu",
        policy_kwargs={"net_arch": {"pi": [128], "vf": [128]}, "activation_fn": th.nn.ReLU},
    )  # fmt: skip
    env = gym.make("CartPole-v1")
    before, _ = evaluate_policy(model, env, n_eval_episodes=10, deterministic=True)
    model.learn(12_000)
    after, _ = evaluate_policy(model, env, n_eval_episodes=10, deterministic=True)
    assert after > 150 and after > 3 * before


@pytest.mark.parametrize("update", ["adam", "hessian", "rk2"])
@pytest.mark.parametrize("baseline", ["none", "value"])
def test_update_rules_move_the_actor_and_log(update, baseline, tmp_path):
    model = REINFORCE(
        "MlpPolicy", "CartPole-v1", update=update, baseline=baseline, n_episodes=2, ent_coef=0.01,
        max_grad_norm=1.0, policy_kwargs=SMALL, seed=1, device="cpu", tensorboard_log=str(tmp_path),
    )  # fmt: skip
    if update == "hessian":
        assert isinstance(model.policy.optimizer, PGSOM)
    critic_before = th.cat([p.detach().flatten() for p in model.policy.critic_parameters()]).clone()
    before = actor_vector(model)
    model.learn(300, log_interval=1)
    assert model._n_updates >= 1
    assert not th.equal(before, actor_vector(model))
    critic_after = th.cat([p.detach().flatten() for p in model.policy.critic_parameters()])
    assert th.equal(critic_before, critic_after) == (baseline != "value")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = next(tmp_path.iterdir())
    tags = set(EventAccumulator(str(run_dir)).Reload().Tags()["scalars"])
    assert {"train/update_norm", "train/policy_loss", "train/nonfinite_skips_total"} <= tags
    if update == "hessian":
        assert {"train/hessian_diag_mean", "train/hessian_diag_abs_mean"} <= tags
    if baseline == "value":
        assert "train/value_loss" in tags


def test_rk2_heun_step_is_exact_on_the_batch():
    """With a fixed batch, the Heun step equals theta + lr/2 (k1 + k2) computed by hand."""
    model = REINFORCE("MlpPolicy", "CartPole-v1", update="rk2", policy_kwargs=SMALL, seed=2, device="cpu")
    model.learn(1)  # one rollout and one update: the batch is now in model._episodes
    obs, actions, returns = model._batch()
    adv = model._advantages(obs, returns)
    loss_fn = model._policy_loss_fn(obs, actions, adv)
    params = model.policy.actor_parameters()
    start = [p.detach().clone() for p in params]
    k1 = [-g for g in th.autograd.grad(loss_fn(), params)]
    with th.no_grad():
        for p, s, k in zip(params, start, k1, strict=False):
            p.copy_(s + 0.002 * k)
    k2 = [-g for g in th.autograd.grad(loss_fn(), params)]
    expected = [s + 0.001 * (a + b) for s, a, b in zip(start, k1, k2, strict=False)]
    with th.no_grad():
        for p, s in zip(params, start, strict=False):
            p.copy_(s)
    model._rk2_step(loss_fn, 0.002)
    for p, e in zip(params, expected, strict=False):
        assert th.allclose(p, e, atol=1e-6)


def test_negative_momentum_through_policy_kwargs():
    model = REINFORCE(
        "MlpPolicy", "CartPole-v1", n_episodes=2, seed=0, device="cpu",
        policy_kwargs=dict(**SMALL, optimizer_class=NegativeMomentum, optimizer_kwargs={"lam": 1.5}),
    )  # fmt: skip
    model.learn(400)
    opt = model.policy.optimizer
    assert isinstance(opt, NegativeMomentum)
    assert opt.n_steps == model._n_updates and 0 <= opt.acceptance_rate <= 1


def test_vec_env_updates_use_complete_episodes_only():
    env = make_vec_env("CartPole-v1", n_envs=3, seed=0)
    model = REINFORCE("MlpPolicy", env, n_episodes=4, policy_kwargs=SMALL, seed=0, device="cpu")
    model.learn(500)
    assert len(model._episodes) == 4
    lengths = sorted(len(e["returns"]) for e in model._episodes)
    # each kept episode is a full CartPole episode: its return-to-go at t=0 is the discounted sum of its
    # length
    for e in model._episodes:
        n = len(e["returns"])
        assert e["returns"][0] == pytest.approx(sum(0.99**k for k in range(n)), rel=1e-5)
    assert min(lengths) >= 8  # CartPole cannot fail faster


def test_total_return_and_sum_reduction():
    model = REINFORCE(
        "MlpPolicy", "CartPole-v1", return_type="total", loss_reduction="sum", baseline="none",
        policy_kwargs=SMALL,
        seed=0, device="cpu",
    )  # fmt: skip
    model.learn(50)
    e = model._episodes[0]
    assert np.all(e["returns"] == len(e["returns"]))


def test_save_load_predict(tmp_path):
    model = REINFORCE("MlpPolicy", "CartPole-v1", update="hessian", policy_kwargs=SMALL, seed=0, device="cpu")
    model.learn(200)
    model.save(tmp_path / "m")
    loaded = REINFORCE.load(tmp_path / "m", device="cpu")
    obs = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    a1, _ = model.predict(obs, deterministic=True)
    a2, _ = loaded.predict(obs, deterministic=True)
    assert np.array_equal(a1, a2)
    assert isinstance(loaded.policy.optimizer, PGSOM)
    assert (
        loaded.policy.optimizer.state_dict()["state"].keys()
        == model.policy.optimizer.state_dict()["state"].keys()
    )
    loaded.set_env(make_vec_env("CartPole-v1", n_envs=1))
    loaded.learn(100, reset_num_timesteps=False)


class NaNReward(gym.Wrapper):
    def step(self, action):
        obs, _, terminated, truncated, info = self.env.step(action)
        return obs, float("nan"), terminated, truncated, info


@pytest.mark.parametrize("update", ["adam", "hessian", "rk2"])
def test_nonfinite_update_is_skipped_and_counted(update):
    env = NaNReward(gym.make("CartPole-v1"))
    model = REINFORCE(
        "MlpPolicy", env, update=update, baseline="none", policy_kwargs=SMALL, seed=0, device="cpu"
    )
    before = actor_vector(model)
    model.learn(100)
    assert model.nonfinite_skips_total == model._n_updates >= 1
    assert th.equal(before, actor_vector(model))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"update": "newton"},
        {"baseline": "critic"},
        {"return_type": "discounted"},
        {"n_episodes": 0},
        {"learning_rate": 0.0},
        {"max_grad_norm": -1.0},
        {"gamma": 1.5},
        {"ent_coef": -0.1},
        {"loss_reduction": "max"},
        {"rk_method": "rk4"},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        REINFORCE("MlpPolicy", "CartPole-v1", **kwargs)


def test_optuna_sampler_and_converter_agree():
    from sb3_pgx.reinforce.hpo import convert_reinforce_params, sample_reinforce_params

    for kwargs in sampled_kwargs(
        sample_reinforce_params, convert_reinforce_params, seed=0, n_trials=5, n_actions=2
    ):
        model = REINFORCE("MlpPolicy", "CartPole-v1", **kwargs, device="cpu")
        assert model.update == kwargs["update"]


@pytest.mark.parametrize("update", ["adam", "hessian", "rk2"])
def test_continuous_actions(update):
    model = REINFORCE(
        "MlpPolicy", "Pendulum-v1", update=update, baseline="value", policy_kwargs=SMALL, seed=0
    )
    before = actor_vector(model)
    model.learn(400)
    assert model._n_updates == 2
    assert not th.equal(before, actor_vector(model))
    action, _ = model.predict(np.zeros(3, dtype=np.float32), deterministic=True)
    assert action.shape == (1,)


def test_gsde_and_dict_observations():
    from stable_baselines3.common.envs import SimpleMultiObsEnv

    sde = REINFORCE("MlpPolicy", "Pendulum-v1", use_sde=True, sde_sample_freq=4, policy_kwargs=SMALL, seed=0)
    sde.learn(400)
    assert sde._n_updates == 2
    multi = REINFORCE(
        "MultiInputPolicy", SimpleMultiObsEnv(random_start=False), max_rollout_steps=5000, seed=0
    )
    multi.learn(300)
    assert multi._n_updates >= 1 and isinstance(multi._episodes[0]["obs"], dict)


def test_hessian_update_uses_the_return_hessian_diagonal_with_episode_weights():
    model = REINFORCE(
        "MlpPolicy", "CartPole-v1", update="hessian", n_episodes=3, return_type="total", baseline="none",
        loss_reduction="sum", policy_kwargs=SMALL, seed=0, device="cpu",
    )  # fmt: skip
    assert model.policy.optimizer.curvature == "return"
    surrogate = REINFORCE(
        "MlpPolicy", "CartPole-v1", update="hessian", hessian_kwargs={"curvature": "surrogate"}
    )
    assert surrogate.policy.optimizer.curvature == "surrogate"
    model.learn(1)
    obs, actions, returns = model._batch()
    log_probs, weights = model._trajectory_terms_fn(obs, actions, model._advantages(obs, returns))()
    lengths = [len(e["returns"]) for e in model._episodes]
    step_log_probs = model.policy.get_distribution(obs).log_prob(actions).split(lengths)
    assert th.allclose(log_probs, th.stack([lp.sum() for lp in step_log_probs]))
    # the seed's weight of each trajectory: -R(tau) for the summed loss with total returns and no baseline
    assert th.equal(weights, -th.tensor(lengths, dtype=th.float32))


def frozen_episode_lengths(n_envs: int, n_episodes: int, total_steps: int, weights) -> tuple[list[int], list]:
    """Episode lengths of the batches (and of ``ep_info_buffer``) collected by a policy that never trains."""
    env = make_vec_env("CartPole-v1", n_envs=n_envs, seed=n_envs)
    model = REINFORCE(
        "MlpPolicy", env, n_episodes=n_episodes, policy_kwargs=SMALL, stats_window_size=10_000, seed=0,
        device="cpu",
    )  # fmt: skip
    model.policy.load_state_dict(weights)
    lengths: list[int] = []
    model.train = lambda: lengths.extend(len(e["returns"]) for e in model._episodes)  # the policy stays fixed
    model.learn(total_steps)
    return lengths, [info["l"] for info in model.ep_info_buffer]


def test_vec_env_batches_are_an_unbiased_sample_of_episodes():
    weights = REINFORCE(
        "MlpPolicy", "CartPole-v1", policy_kwargs=SMALL, seed=0, device="cpu"
    ).policy.state_dict()
    single, _ = frozen_episode_lengths(1, 4, 3000, weights)
    multi, logged = frozen_episode_lengths(8, 4, 10_000, weights)
    assert len(single) >= 120 and len(multi) >= 120
    se = np.sqrt(np.var(single) / len(single) + np.var(multi) / len(multi))
    # keeping the first episodes to finish gave a mean of 14.6 against 21.5 here (about 7 se)
    assert abs(np.mean(multi) - np.mean(single)) < 3.5 * se
    assert abs(np.mean(logged) - np.mean(single)) < 3.5 * se  # rollout/ep_len_mean counts the same episodes
    assert sorted(logged) == sorted(multi)


class NeverEnds(gym.Env):
    """An env that never terminates nor truncates; it refuses to run past ``budget`` steps."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, max_episode_steps=None, budget=3000):
        if max_episode_steps is not None:
            self.spec = gym.envs.registration.EnvSpec("NeverEnds-v0", max_episode_steps=max_episode_steps)
        self.budget, self.steps = budget, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(2, np.float32), {}

    def step(self, action):
        self.steps += 1
        if self.steps > self.budget:
            raise RuntimeError("the rollout limit did not stop an env that never ends")
        return np.zeros(2, np.float32), 1.0, False, False, {}


def test_env_that_never_ends_fails_within_the_rollout_limit():
    env = NeverEnds(max_episode_steps=50)
    model = REINFORCE("MlpPolicy", env, n_episodes=2, policy_kwargs=SMALL, seed=0, device="cpu")
    with pytest.raises(ValueError, match="max_rollout_steps=1000"):  # default: 10 x 50 x 2 episodes
        model.learn(10_000)
    assert env.steps == 1000
    user = REINFORCE("MlpPolicy", NeverEnds(), max_rollout_steps=30, policy_kwargs=SMALL, device="cpu")
    with pytest.raises(ValueError, match="max_rollout_steps=30"):
        user.learn(10_000)
    assert user.num_timesteps == 30
    # without a known time limit: 10 x 1000 steps per episode; CartPole: 10 x 500
    unknown = REINFORCE("MlpPolicy", NeverEnds(), policy_kwargs=SMALL)
    assert unknown._rollout_step_limit(unknown.env) == 10_000
    cartpole = REINFORCE("MlpPolicy", make_vec_env("CartPole-v1", n_envs=2), n_episodes=3)
    assert cartpole._rollout_step_limit(cartpole.env) == 10 * 500 * 2
    with pytest.raises(ValueError, match="max_rollout_steps"):
        REINFORCE("MlpPolicy", "CartPole-v1", max_rollout_steps=0)


def test_max_grad_norm_clips_negative_momentum_steps():
    kwargs = dict(n_episodes=2, learning_rate=0.01, seed=0, device="cpu")
    nm = dict(
        **SMALL, optimizer_class=NegativeMomentum, optimizer_kwargs={"lam": 1.0}
    )  # plain gradient steps
    model = REINFORCE("MlpPolicy", "CartPole-v1", max_grad_norm=1e-3, policy_kwargs=nm, **kwargs)
    before = actor_vector(model)
    model.learn(1)  # one update
    moved = (actor_vector(model) - before).norm()
    assert 0 < moved <= 0.01 * 1e-3 * (1 + 1e-4)  # unclipped, this step was lr * 0.17
    assert model.policy.optimizer.max_grad_norm == 1e-3
    assert float(model.policy.optimizer.last_stats["grad_norm"]) > 0.01  # the clipping bites
    conflicting = dict(**SMALL, optimizer_class=NegativeMomentum, optimizer_kwargs={"max_grad_norm": 5.0})
    with pytest.raises(ValueError, match="max_grad_norm"):
        REINFORCE("MlpPolicy", "CartPole-v1", max_grad_norm=1.0, policy_kwargs=conflicting, **kwargs)


def test_negative_momentum_counters_survive_save_load(tmp_path):
    nm = dict(**SMALL, optimizer_class=NegativeMomentum, optimizer_kwargs={"schedule": "apg"})
    model = REINFORCE("MlpPolicy", "CartPole-v1", n_episodes=2, policy_kwargs=nm, seed=0, device="cpu")
    model.learn(300)
    opt = model.policy.optimizer
    assert opt.n_steps == model._n_updates >= 2
    model.save(tmp_path / "nm")
    loaded = REINFORCE.load(tmp_path / "nm", device="cpu")
    lopt = loaded.policy.optimizer
    assert (lopt.n_steps, lopt.n_accepted, lopt.n_nonfinite) == (opt.n_steps, opt.n_accepted, opt.n_nonfinite)
    loaded.set_env(make_vec_env("CartPole-v1", n_envs=1))
    loaded.learn(100, reset_num_timesteps=False)
    assert lopt.n_steps == loaded._n_updates  # the apg ramp goes on from where it was


@pytest.mark.parametrize("update", ["hessian", "rk2"])
def test_optimizer_class_with_an_update_that_takes_its_own_step_is_refused(update):
    with pytest.raises(ValueError, match="optimizer_class"):
        REINFORCE(
            "MlpPolicy", "CartPole-v1", update=update, policy_kwargs={"optimizer_class": NegativeMomentum}
        )


def test_update_optimizer_is_adam():
    """``update="optimizer"`` is the clearer name of ``update="adam"`` (the policy's optimizer, whatever its
    class): same training, same parameters."""
    params = []
    for update in ("adam", "optimizer"):
        model = REINFORCE("MlpPolicy", "CartPole-v1", update=update, seed=0, device="cpu").learn(200)
        params.append(th.nn.utils.parameters_to_vector(model.policy.parameters()).detach().numpy())
    np.testing.assert_array_equal(*params)

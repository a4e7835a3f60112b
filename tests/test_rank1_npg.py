"""Rank1NPG: Sherman-Morrison vs dense solves, ghost norms vs explicit per-sample gradients, the KL-normalised
step, the per-sample bound, learning, bad input, save/load, spaces/policies and the zoo."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch as th
import yaml
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import FakeImageEnv, SimpleMultiObsEnv
from stable_baselines3.common.evaluation import evaluate_policy
from torch import nn

from sb3_pgx import Rank1NPG
from sb3_pgx.rank1_npg import fisher
from sb3_pgx.rank1_npg.fisher import (
    GhostNorms,
    actor_log_prob,
    flat_grad,
    ghost_norm_modules,
    rank1_natural_direction,
    sherman_morrison_quadratic,
    sherman_morrison_solve,
)
from sb3_pgx.zoo import hyperparams_path
from tests.zoo_helpers import sampled_kwargs

SMALL = {"net_arch": {"pi": [8, 8], "vf": [8]}}


def _batch(model: Rank1NPG, n: int, seed: int = 0):
    """n observations from the env, actions from the policy, random advantages (float64 policy)."""
    rng = np.random.default_rng(seed)
    model.observation_space.seed(seed)
    obs = th.as_tensor(np.stack([model.observation_space.sample() for _ in range(n)]), dtype=th.float64)
    with th.no_grad():
        actions = model.policy.get_distribution(obs).sample()
    actions = model._actions_for_log_prob(actions)
    return obs, actions, th.as_tensor(rng.standard_normal(n))


def _per_sample_grads(model: Rank1NPG, obs, actions) -> th.Tensor:
    """Explicit (N, d) per-sample scores, one backward per sample (tests only)."""
    params = model.policy.actor_parameters()
    rows = []
    for i in range(len(obs)):
        log_prob, _ = actor_log_prob(
            model.policy, obs[i : i + 1], actions[i : i + 1], per_sample_leaves=False
        )
        rows.append(flat_grad(log_prob.sum(), params, retain_graph=False))
    return th.stack(rows)


@pytest.fixture(autouse=True)
def _float64_observations(monkeypatch):
    """SB3 casts Box observations to float32; the float64 checks below need them in the policy's dtype."""
    import stable_baselines3.common.policies as sb3_policies

    original = sb3_policies.preprocess_obs

    def preprocess(obs, *args, **kwargs):
        out = original(obs, *args, **kwargs)
        return out.double() if th.is_tensor(obs) and obs.dtype == th.float64 else out

    monkeypatch.setattr(sb3_policies, "preprocess_obs", preprocess)


def _tiny_float64_model(env_id: str, cls: type[Rank1NPG] = Rank1NPG) -> Rank1NPG:
    model = cls(
        "MlpPolicy", env_id, n_steps=32, critic_batch_size=None, seed=0, policy_kwargs=SMALL, device="cpu"
    )
    model.policy.double()
    return model


@pytest.fixture(params=["CartPole-v1", "Pendulum-v1"])
def model64(request) -> Rank1NPG:
    return _tiny_float64_model(request.param)


def test_sherman_morrison_matches_dense_solve(model64: Rank1NPG):
    damping = 0.3
    params = model64.policy.actor_parameters()
    obs, actions, adv = _batch(model64, 12)
    grads = _per_sample_grads(model64, obs, actions)
    d = grads.shape[1]
    g_hat = (adv[:, None] * grads).mean(0)
    for u in (grads[3], g_hat):  # the minibatch (one sampled score) and self-gradient readings
        dense = damping * th.eye(d, dtype=th.float64) + th.outer(u, u)
        exact = th.linalg.solve(dense, g_hat)
        assert th.allclose(sherman_morrison_solve(g_hat, u, damping), exact, rtol=0, atol=1e-8)
        assert abs(sherman_morrison_quadratic(g_hat, u, damping) - g_hat @ exact) < 1e-8
    # the per-sample reading: mean_i (damping I + g_i g_i^T)^-1 (A_i g_i), from ghost norms + one weighted
    # backward
    dense_ps = th.stack(
        [
            th.linalg.solve(damping * th.eye(d, dtype=th.float64) + th.outer(g, g), a * g)
            for g, a in zip(grads, adv, strict=True)
        ]
    ).mean(0)
    ghost = GhostNorms(ghost_norm_modules(model64.policy, params))
    with ghost:
        log_prob, leaves = actor_log_prob(model64.policy, obs, actions, per_sample_leaves=True)
    nat = rank1_natural_direction("per_sample", log_prob, adv, params, damping, ghost, leaves)
    assert th.allclose(nat.direction, dense_ps, rtol=0, atol=1e-8)
    assert th.allclose(nat.score_sq_norm, grads.pow(2).sum(1).mean(), rtol=1e-10)
    # the minibatch reading draws u from the batch with torch's RNG and matches the dense solve for that
    # sample
    th.manual_seed(5)
    nat = rank1_natural_direction("minibatch", log_prob, adv, params, damping)
    th.manual_seed(5)
    u = grads[int(th.randint(len(obs), (1,)).item())]
    exact = th.linalg.solve(damping * th.eye(d, dtype=th.float64) + th.outer(u, u), g_hat)
    assert th.allclose(nat.direction, exact, rtol=0, atol=1e-8)


@pytest.mark.parametrize("chunk", [fisher.CONV_CHUNK_ELEMENTS, 50])
def test_ghost_norms_of_conv_and_sequence_layers(chunk: int, monkeypatch):
    """Both ghost-norm branches (T x T Gram matrices and materialised per-sample gradients) match explicit
    norms, with and without splitting the samples into chunks."""
    monkeypatch.setattr(fisher, "CONV_CHUNK_ELEMENTS", chunk)
    th.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=1),
        nn.ReLU(),
        nn.Conv2d(3, 4, 2, stride=2, padding=1),
        nn.Flatten(),
        nn.LazyLinear(5),
    ).double()
    x = th.randn(6, 2, 9, 9, dtype=th.float64)
    net(x)
    seq = nn.Linear(4, 3).double()  # a Linear on (N, T, features) inputs
    xs = th.randn(6, 7, 4, dtype=th.float64)
    layers = [*[m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))], seq]
    ghost = GhostNorms(layers)
    with ghost:
        out = net(x).pow(2).sum(1) + seq(xs).sin().sum((1, 2))
    sq = ghost.sq_norms(out)
    params = [p for m in layers for p in m.parameters()]
    explicit = th.stack([flat_grad(out[i], params).pow(2).sum() for i in range(len(out))])
    assert th.allclose(sq, explicit, rtol=1e-10)


def test_ghost_norms_of_cnn_policy():
    model = Rank1NPG(
        "CnnPolicy",
        FakeImageEnv(screen_height=36, screen_width=36, n_channels=1),
        n_steps=8,
        batch_size=8,
        critic_batch_size=8,
        seed=0,
        device="cpu",
    )
    model.policy.double()
    params = model.policy.actor_parameters()
    obs, actions, _ = _batch(model, 5)
    ghost = GhostNorms(ghost_norm_modules(model.policy, params))
    with ghost:
        log_prob, leaves = actor_log_prob(model.policy, obs, actions, per_sample_leaves=True)
    explicit = _per_sample_grads(model, obs, actions).pow(2).sum(1)
    assert th.allclose(ghost.sq_norms(log_prob, leaves), explicit, rtol=1e-9)


def test_per_sample_change_of_log_prob_is_bounded(model64: Rank1NPG):
    """Along its own direction d_i = A_i g_i / (damping + ||g_i||^2), log pi(a_i|s_i) changes to first order
    by A_i ||g_i||^2 / (damping + ||g_i||^2), which is at most |A_i| (references, part A.1, variant P)."""
    damping, alpha = 0.05, 1e-4
    params = model64.policy.actor_parameters()
    obs, actions, adv = _batch(model64, 6, seed=1)
    adv = adv * 5.0
    start = [p.detach().clone() for p in params]
    for i in range(len(obs)):
        one = (obs[i : i + 1], actions[i : i + 1])
        ghost = GhostNorms(ghost_norm_modules(model64.policy, params))
        with ghost:
            log_prob, leaves = actor_log_prob(model64.policy, *one, per_sample_leaves=True)
        nat = rank1_natural_direction("per_sample", log_prob, adv[i : i + 1], params, damping, ghost, leaves)
        sq = nat.score_sq_norm
        with th.no_grad():
            th.nn.utils.vector_to_parameters(
                th.nn.utils.parameters_to_vector(params) + alpha * nat.direction, params
            )
            change = (
                actor_log_prob(model64.policy, *one, per_sample_leaves=False)[0] - log_prob
            ).item() / alpha
            for p, s in zip(params, start, strict=True):
                p.copy_(s)
        first_order = (adv[i] * sq / (damping + sq)).item()
        assert change == pytest.approx(first_order, rel=1e-2, abs=1e-6)
        assert abs(first_order) <= abs(adv[i].item())
        assert abs(change) <= abs(adv[i].item()) * 1.01


@pytest.mark.parametrize("fisher", ["per_sample", "minibatch", "self_gradient"])
def test_kl_normalised_step(fisher: str):
    """The predicted KL of the KL-normalised step is delta; with kl_rescale the measured KL is close to
    delta."""
    delta = 0.01
    kwargs = {
        "n_steps": 256,
        "seed": 0,
        "fisher": fisher,
        "delta": delta,
        "policy_kwargs": SMALL,
        "n_critic_epochs": 1,
    }
    model = Rank1NPG("MlpPolicy", "Pendulum-v1", kl_rescale=False, **kwargs)
    model.learn(256)
    values = model.logger.name_to_value
    assert values["train/predicted_kl"] == pytest.approx(delta, rel=1e-5)
    assert values["train/step_kl"] > 0
    model = Rank1NPG("MlpPolicy", "Pendulum-v1", kl_rescale=True, **kwargs)
    model.learn(512)
    values = model.logger.name_to_value
    assert values["train/step_kl"] == pytest.approx(delta, rel=0.15)
    assert values["train/kl_old_new"] == pytest.approx(delta, rel=0.15)


def test_line_search_keeps_kl_below_delta():
    model = Rank1NPG(
        "MlpPolicy", "Pendulum-v1", n_steps=256, seed=0, fisher="self_gradient", line_search=True, delta=0.005
    )
    model.learn(1024)
    assert model.logger.name_to_value["train/step_kl"] <= 0.005


def test_learns_cartpole():
    env = make_vec_env("CartPole-v1", n_envs=8, seed=0)
    model = Rank1NPG("MlpPolicy", env, n_steps=64, seed=0)  # the defaults are the zoo file's Fisher setting
    before = evaluate_policy(model, env, n_eval_episodes=10, deterministic=False)[0]
    model.learn(24_000)
    after = evaluate_policy(model, env, n_eval_episodes=10, deterministic=False)[0]
    assert before < 60 and after > 150  # random play: ~20


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"damping": 0.0}, "damping"),
        ({"damping": -1.0}, "damping"),
        ({"damping": float("nan")}, "damping"),
        ({"delta": 0.0}, "delta"),
        ({"delta": float("inf")}, "delta"),
        ({"fisher": "full"}, "fisher"),
        ({"step_rule": "adam"}, "step_rule"),
        ({"line_search_max_iter": 0}, "line_search_max_iter"),
    ],
)
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Rank1NPG("MlpPolicy", "CartPole-v1", **kwargs)


def test_bad_input_names_allowed_values():
    with pytest.raises(ValueError, match="per_sample.*minibatch.*self_gradient"):
        Rank1NPG("MlpPolicy", "CartPole-v1", fisher="full")
    with pytest.raises(ValueError, match="minibatch"):
        Rank1NPG("MlpPolicy", "Pendulum-v1", fisher="per_sample", use_sde=True)  # no per-sample gSDE norms


@pytest.mark.parametrize("step_rule", ["kl", "fixed"])
@pytest.mark.parametrize("corrupt", ["zero_advantages", "nan_observations"])
def test_degenerate_direction_skips_the_step(step_rule: str, corrupt: str):
    model = Rank1NPG("MlpPolicy", "Pendulum-v1", n_steps=64, step_rule=step_rule, seed=0, n_critic_epochs=1)
    model.learn(64)
    before = [p.detach().clone() for p in model.policy.actor_parameters()]
    skips = model.nonfinite_skips_total
    if corrupt == "zero_advantages":
        model.rollout_buffer.advantages[:] = 0.0
    else:
        model.rollout_buffer.observations[:5] = np.nan
    model.train()
    assert all(th.equal(a, b) for a, b in zip(before, model.policy.actor_parameters(), strict=True))
    assert model.nonfinite_skips_total > skips
    assert model.logger.name_to_value["train/nonfinite_skips"] >= 1


def test_save_load(tmp_path):
    model = Rank1NPG(
        "MlpPolicy",
        "Pendulum-v1",
        n_steps=128,
        seed=0,
        fisher="minibatch",
        damping=0.5,
        tensorboard_log=str(tmp_path),
    )
    model.learn(256, progress_bar=True)
    assert list(tmp_path.rglob("events.out.tfevents.*"))
    model.save(tmp_path / "model")
    loaded = Rank1NPG.load(tmp_path / "model")
    assert (loaded.fisher, loaded.damping, loaded.delta) == ("minibatch", 0.5, 0.01)
    obs = model.env.reset()
    assert np.allclose(model.predict(obs, deterministic=True)[0], loaded.predict(obs, deterministic=True)[0])
    for a, b in zip(model.policy.state_dict().values(), loaded.policy.state_dict().values(), strict=True):
        assert th.equal(a, b)
    loaded.set_env(model.env)
    loaded.learn(128, reset_num_timesteps=False)


@pytest.mark.parametrize(
    "policy, env",
    [
        ("MlpPolicy", "CartPole-v1"),
        ("MlpPolicy", "Pendulum-v1"),
        ("MlpPolicy", "multidiscrete"),
        ("MlpPolicy", "multibinary"),
        ("CnnPolicy", "image"),
        ("MultiInputPolicy", "dict"),
    ],
)
def test_spaces_and_policies(policy: str, env):
    from stable_baselines3.common.envs import IdentityEnvMultiBinary, IdentityEnvMultiDiscrete

    env = {
        "multidiscrete": lambda: IdentityEnvMultiDiscrete(dim=3),
        "multibinary": lambda: IdentityEnvMultiBinary(dim=3),
        "image": lambda: FakeImageEnv(screen_height=36, screen_width=36, n_channels=1),
        "dict": lambda: SimpleMultiObsEnv(random_start=True),
    }.get(env, lambda: env)()
    model = Rank1NPG(policy, env, n_steps=32, batch_size=16, critic_batch_size=16, n_critic_epochs=1, seed=0)
    before = th.nn.utils.parameters_to_vector(model.policy.actor_parameters()).clone()
    model.learn(64)
    assert not th.equal(before, th.nn.utils.parameters_to_vector(model.policy.actor_parameters()))
    assert (
        model.nonfinite_skips_total == 0
    )  # (a per-sample direction that is not an ascent one is counted apart)


def test_optuna_sampler_and_converter():
    from sb3_pgx.rank1_npg.hpo import convert_rank1_npg_params, sample_rank1_npg_params

    for kwargs in sampled_kwargs(sample_rank1_npg_params, convert_rank1_npg_params, seed=3, n_trials=3):
        assert kwargs["fisher"] in ("per_sample", "minibatch", "self_gradient") and kwargs["damping"] > 0
        Rank1NPG("MlpPolicy", "CartPole-v1", **kwargs)


def _fisher_ablation(kind: str, damping: float):
    """The Rank1NPG subclass of ``scripts/ablate_rank1_fisher.py`` (a script, loaded by path)."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "ablate_rank1_fisher.py"
    spec = importlib.util.spec_from_file_location("ablate_rank1_fisher", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ablation_class(kind, damping)


def _categorical_fisher(model: Rank1NPG, obs: th.Tensor) -> th.Tensor:
    """The exact Fisher ``mean_s sum_a pi(a|s) g_sa g_sa^T`` of a Discrete policy, by enumerating actions."""
    n_actions = model.action_space.n
    rows, weights = [], []
    for a in range(n_actions):
        actions = th.full((len(obs),), a, dtype=th.long)
        rows.append(_per_sample_grads(model, obs, actions))
        with th.no_grad():
            weights.append(model.policy.get_distribution(obs).log_prob(actions).exp())
    return sum(th.einsum("n,ni,nj->ij", w, g, g) for w, g in zip(weights, rows, strict=True)) / len(obs)


@pytest.mark.parametrize("kind", ["exact_ef", "diag_ef", "true_fisher_cg"])
def test_fisher_ablation_directions_match_dense_solves(kind: str):
    """The ablation script's directions are the dense solves they stand for (float64, tiny CartPole policy)."""
    damping = 0.3
    model = _tiny_float64_model("CartPole-v1", _fisher_ablation(kind, damping))
    obs, actions, adv = _batch(model, 12)
    grads = _per_sample_grads(model, obs, actions)
    eye = th.eye(grads.shape[1], dtype=th.float64)
    g_hat = (adv[:, None] * grads).mean(0)
    recorder = model._ghost if model._ghost is not None else contextlib.nullcontext()
    with recorder:
        log_prob, leaves = actor_log_prob(
            model.policy, obs, actions, per_sample_leaves=model._ghost is not None
        )
    th.manual_seed(5)
    nat = model._natural_direction(log_prob, adv, leaves, obs)
    if kind == "exact_ef":
        dense = damping * eye + grads.T @ grads / len(grads)
    elif kind == "diag_ef":
        th.manual_seed(5)
        u = grads[int(th.randint(len(obs), (1,)).item())]
        dense = th.diag(grads.pow(2).mean(0)) + damping * eye + th.outer(u, u)
    else:
        dense = damping * eye + _categorical_fisher(model, obs)
    exact = th.linalg.solve(dense, g_hat)
    if kind == "true_fisher_cg":
        # CG stops at a residual ||r|| < 1e-5, so ||d - exact|| <= ||r|| / lambda_min(F + damping I) <= 1e-5 / damping
        assert th.linalg.vector_norm(nat.direction - exact) <= 1e-5 / damping
    else:
        assert th.allclose(nat.direction, exact, rtol=1e-6, atol=1e-7)
    assert th.allclose(nat.quadratic, g_hat @ exact, rtol=1e-5)


def test_fisher_ablation_bad_input():
    """The ablation script names the bad option (before any training) and refuses CNN policies clearly."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "ablate_rank1_fisher.py"
    for args, message in (
        (["--direction", "exact_ef", "--ablation-damping", "0"], "--ablation-damping must be > 0"),
        (["--direction", "top1"], "invalid choice"),
    ):
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    model = _fisher_ablation("exact_ef", 0.1)(
        "CnnPolicy",
        FakeImageEnv(screen_height=36, screen_width=36, n_channels=1),
        n_steps=8,
        critic_batch_size=8,
        seed=0,
        device="cpu",
    )
    model.policy.double()
    obs, actions, adv = _batch(model, 4)
    with model._ghost:
        log_prob, leaves = actor_log_prob(model.policy, obs, actions, per_sample_leaves=True)
    with pytest.raises(ValueError, match="MLP policies"):
        model._natural_direction(log_prob, adv, leaves, obs)


def test_defaults_are_the_zoo_files_uniform_settings():
    """Every constructor argument that ``hyperparams/rank1_npg.yml`` sets to the same value in all its entries is
    the constructor's default, so ``Rank1NPG("MlpPolicy", "CartPole-v1")`` runs the zoo file's rank-1 reading
    (the default was ``fisher="per_sample"``, ``damping=1.0``, ``kl_rescale=False``, which stalls on CartPole)."""
    table = yaml.safe_load(hyperparams_path("rank1_npg").read_text())
    entries = [entry for env_id, entry in table.items() if env_id != "default"]
    defaults = {
        name: p.default
        for name, p in inspect.signature(Rank1NPG.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    uniform = {
        name: value
        for name, value in entries[0].items()
        if name in defaults and all(name in entry and entry[name] == value for entry in entries)
    }
    assert uniform == {"fisher": "minibatch", "damping": 0.1, "kl_rescale": True}
    model = Rank1NPG("MlpPolicy", "CartPole-v1", n_steps=64)
    assert {name: getattr(model, name) for name in uniform} == uniform
    assert model._ghost is None  # no per-sample norms recorded for the one-sample reading

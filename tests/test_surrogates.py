"""The mirror-family surrogates: gradient at r = 1, the tabular SPMA step, and the KL helpers."""

import copy

import numpy as np
import pytest
import torch as th

from sb3_pgx import MDPO, SPMA, TRPOReg
from sb3_pgx.common.line_search import ArmijoLineSearch
from sb3_pgx.common.mirror import SurrogateInputs
from sb3_pgx.common.surrogates import analytic_kl, bregman_log_ratio, spma_per_sample


@pytest.mark.parametrize("algo_class", [SPMA, MDPO, TRPOReg])
@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_gradient_at_ratio_one_is_policy_gradient(algo_class, env_id):
    """At theta = theta_old every KL term is stationary: grad L = -mean(A grad log pi)."""
    model = algo_class("MlpPolicy", env_id, n_steps=64, seed=3, eta=0.7)
    policy = model.policy
    th.manual_seed(0)
    model.observation_space.seed(0)  # SB3 seeds the action space only
    obs = th.as_tensor(np.stack([model.observation_space.sample() for _ in range(32)]), dtype=th.float32)
    with th.no_grad():
        actions, _, old_log_prob = policy(obs)
    if env_id == "CartPole-v1":
        actions = actions.long().flatten()
    advantages = th.randn(32)
    params = policy.actor_parameters()
    with th.no_grad():  # SB3 reuses one Distribution object per policy: pi_old needs its own copy
        old_dist = copy.deepcopy(policy).get_distribution(obs)

    dist = policy.get_distribution(obs)
    log_ratio = dist.log_prob(actions) - old_log_prob
    surrogate_grad = th.autograd.grad(
        model.surrogate(SurrogateInputs(log_ratio, advantages, dist, old_dist, 0.7)), params
    )
    pg_grad = th.autograd.grad(-(advantages * policy.get_distribution(obs).log_prob(actions)).mean(), params)
    for g1, g2 in zip(surrogate_grad, pg_grad, strict=True):
        assert th.allclose(g1, g2, atol=1e-6)


@pytest.mark.parametrize("eta", [0.3, 1.0, 2.5])
def test_spma_projection_in_a_bandit_gives_the_tabular_update(eta):
    """Minimising SPMA's expected surrogate over a softmax policy gives pi_old * (1 + eta A) (Eq. 2/3)."""
    rewards = th.tensor([1.0, 0.8, 0.1, 0.4], dtype=th.float64)
    logits_old = th.tensor([0.2, -0.1, 0.5, 0.0], dtype=th.float64)
    pi_old = th.softmax(logits_old, 0)
    advantages = rewards - (pi_old * rewards).sum()
    eta_max = 1.0 / advantages.abs().max().item()  # keeps 1 + eta A > 0, the validity condition of Eq. 2
    eta = min(eta, 0.99 * eta_max)
    logits = th.nn.Parameter(logits_old.clone())

    def expected_loss():  # exact expectation over a ~ pi_old
        log_ratio = th.log_softmax(logits, 0) - th.log(pi_old)
        return (pi_old * spma_per_sample(log_ratio, advantages, eta)).sum()

    search = ArmijoLineSearch([logits], c=0.5, alpha_max=10.0)
    for _ in range(300):
        search.step(expected_loss)
    target = pi_old * (1 + eta * advantages)
    assert th.allclose(th.softmax(logits, 0), target, atol=1e-6)
    assert abs(target.sum().item() - 1.0) < 1e-12  # no normalisation needed


def test_k3_estimator_is_unbiased_for_kl_old_new():
    th.manual_seed(0)
    p_old = th.distributions.Categorical(logits=th.tensor([0.3, -0.4, 1.1]))
    p_new = th.distributions.Categorical(logits=th.tensor([0.0, 0.2, 0.6]))
    a = p_old.sample((200_000,))
    estimate = bregman_log_ratio(p_new.log_prob(a) - p_old.log_prob(a)).mean()
    assert abs(estimate - th.distributions.kl_divergence(p_old, p_new)) < 3e-3
    assert (bregman_log_ratio(th.linspace(-5, 5, 101)) >= 0).all()


def test_analytic_kl_sums_over_action_dimensions():
    model = SPMA("MlpPolicy", "Pendulum-v1", n_steps=64, seed=0)
    obs = th.zeros(5, 3)
    p = copy.deepcopy(model.policy).get_distribution(obs)
    with th.no_grad():
        model.policy.log_std += 0.5
    q = model.policy.get_distribution(obs)
    sigma_ratio = np.exp(0.5)
    expected = np.log(sigma_ratio) + 1 / (2 * sigma_ratio**2) - 0.5  # KL(N(m, 1) || N(m, e^0.5)) per dim
    assert th.allclose(analytic_kl(p, q), th.full((5,), expected, dtype=th.float32), atol=1e-6)

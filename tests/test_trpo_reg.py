"""TRPO-regularized: the KL in the TRPO direction, analytic or sampled."""

import copy

import numpy as np
import pytest
import torch as th

from sb3_pgx import SPMA, TRPOReg
from sb3_pgx.common.mirror import SurrogateInputs
from sb3_pgx.common.surrogates import analytic_kl, bregman_log_ratio


def _perturbed(model):
    model.observation_space.seed(0)  # SB3 seeds the action space only
    obs = th.as_tensor(np.stack([model.observation_space.sample() for _ in range(16)]))
    old = copy.deepcopy(model.policy).get_distribution(obs)
    with th.no_grad():
        model.policy.action_net.bias += 0.3
    return old, model.policy.get_distribution(obs)


def test_analytic_kl_is_old_new():
    model = TRPOReg("MlpPolicy", "CartPole-v1", n_steps=64, seed=0)
    old, dist = _perturbed(model)
    loss = model.surrogate(SurrogateInputs(th.zeros(16), th.zeros(16), dist, old, eta=2.0))
    assert loss.item() == pytest.approx(analytic_kl(old, dist).mean().item() / 2.0, rel=1e-6)


def test_sampled_kl_differs_from_spma_only_in_the_linear_term():
    trpo = TRPOReg("MlpPolicy", "CartPole-v1", n_steps=64, seed=0, kl_estimator="sampled")
    spma = SPMA("MlpPolicy", "CartPole-v1", n_steps=64, seed=0)
    log_ratio, adv = th.linspace(-0.5, 0.5, 16), th.randn(16)
    difference = trpo.surrogate(SurrogateInputs(log_ratio, adv, None, None, 1.0)) - spma.surrogate(
        SurrogateInputs(log_ratio, adv, None, None, 1.0)
    )
    assert difference.item() == pytest.approx(
        (-adv * log_ratio.exp() + adv * log_ratio).mean().item(), rel=1e-5
    )
    assert bregman_log_ratio(th.zeros(1)).item() == 0.0


def test_unknown_kl_estimator():
    with pytest.raises(ValueError, match="kl_estimator must be one of 'analytic', 'sampled'"):
        TRPOReg("MlpPolicy", "CartPole-v1", kl_estimator="exact")

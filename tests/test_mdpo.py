"""MDPO: the analytic KL in the mirror-descent direction and the annealed step size."""

import copy

import numpy as np
import pytest
import torch as th

from sb3_pgx import MDPO
from sb3_pgx.common.mirror import SurrogateInputs
from sb3_pgx.common.surrogates import analytic_kl


def test_surrogate_uses_kl_new_old():
    model = MDPO("MlpPolicy", "Pendulum-v1", n_steps=64, seed=0)
    model.observation_space.seed(0)  # SB3 seeds the action space only
    obs = th.as_tensor(np.stack([model.observation_space.sample() for _ in range(16)]))
    old = copy.deepcopy(model.policy).get_distribution(obs)
    with th.no_grad():
        model.policy.log_std += 0.3
        model.policy.action_net.bias += 0.2
    dist = model.policy.get_distribution(obs)
    zero_adv = th.zeros(16)
    loss = model.surrogate(SurrogateInputs(th.zeros(16), zero_adv, dist, old, eta=0.5))
    assert loss.item() == pytest.approx(analytic_kl(dist, old).mean().item() / 0.5, rel=1e-6)
    assert loss.item() != pytest.approx(analytic_kl(old, dist).mean().item() / 0.5, rel=1e-3)


def test_annealed_step_size_follows_the_remaining_budget():
    model = MDPO("MlpPolicy", "CartPole-v1", n_steps=64, n_epochs=1, eta="lin_1.0", seed=0)
    etas = []
    model.learn(64 * 4, callback=lambda *_: etas.append(model.logger.name_to_value.get("train/eta")) or True)
    assert model.eta_schedule(1.0) == 1.0 and model.eta_schedule(0.25) == pytest.approx(0.25)
    assert model.logger.name_to_value["train/eta"] == pytest.approx(0.25)  # last of 4 updates: t_k = 1 - 3/4
